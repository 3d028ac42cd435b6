"""A percentage box shows one decimal; it kept more (typing 7.25 stored 0.0725 and
showed "7.2%"), so a share used was not the one on the screen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ssl_studio.gui.percent_spin import PercentSpin


def _typed(box: PercentSpin, text: str) -> None:
    box.lineEdit().selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, Qt.Key.Key_Return)


def test_a_percentage_box_keeps_the_share_it_shows(qtbot):
    box = PercentSpin()
    qtbot.addWidget(box)
    box.setRange(0.05, 0.35)
    box.setSingleStep(0.05)
    box.setValue(0.2)
    for typed, shown, share in (
        ("7.25", "7.2%", 0.072),
        ("12,5", "12.5%", 0.125),
        ("25", "25%", 0.25),
    ):
        _typed(box, typed)
        assert box.text() == shown
        assert box.value() == share
    box.setValue(0.0725)  # set in code: the same rule
    assert (box.text(), box.value()) == ("7.2%", 0.072)
    box.setValue(0.2)
    box.stepBy(1)
    assert box.value() == 0.25


def test_the_page_writes_a_share_as_its_box_shows_it(make_window, project):
    """The protocol page's text rounded shares to whole percent beside a box showing one
    decimal: "About 8%" next to "7.5%"."""
    from test_wizard_first_use import _on_protocol_page

    from ssl_studio.gui.percent_spin import percent_text

    assert [percent_text(s) for s in (0.2, 0.075, 0.35)] == ["20%", "7.5%", "35%"]
    page = _on_protocol_page(make_window(project), per_class=40).pages["protocol"]  # (a split)
    page.test_fraction.setValue(0.075)
    assert page.test_fraction.text() == "7.5%"
    assert "About 7.5% of the labeled items" in page.testing.text()
