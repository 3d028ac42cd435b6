"""Numbers typed into the app mean the same under any system language: a point or a
comma is the decimal mark, never a thousands separator (German settings read "0.07"
in a plain QDoubleSpinBox as 7)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QValidator

from ssl_studio.core.tasks.registry import TASKS
from ssl_studio.gui.decimal_spin import DecimalSpin
from ssl_studio.gui.options_form import OptionsForm


@pytest.fixture
def german():
    before = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    yield
    QLocale.setDefault(before)


def _typed(qtbot, spin: DecimalSpin, text: str) -> float:
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    spin.interpretText()
    return spin.value()


@pytest.mark.parametrize("text", ["0.07", "0,07"])
def test_a_point_or_a_comma_is_the_decimal_mark_under_german_settings(qtbot, german, text):
    spin = DecimalSpin()
    qtbot.addWidget(spin)
    spin.setRange(-1e9, 1e9)
    assert _typed(qtbot, spin, text) == pytest.approx(0.07)
    assert spin.text() == "0.07"  # shown as the README and the command line write it


def test_a_thousands_separator_is_refused_not_read_as_a_decimal_mark(qtbot, german):
    spin = DecimalSpin()
    qtbot.addWidget(spin)
    spin.setRange(-1e9, 1e9)
    assert spin.validate("1.000,5", 7)[0] != QValidator.State.Acceptable


def test_a_task_option_typed_with_a_point_keeps_its_value_under_german_settings(qtbot, german):
    form = OptionsForm(TASKS["simclr"].Config)
    qtbot.addWidget(form)
    spin = form.editors["temperature"][0]
    _typed(qtbot, spin, "0.07")
    assert form.values()["temperature"] == pytest.approx(0.07)


def test_an_optional_number_field_takes_a_decimal_comma(qtbot, german):
    from ssl_studio.core.config import TrainConfig

    form = OptionsForm(TrainConfig)
    qtbot.addWidget(form)
    edit = form.editors["lr"][0]
    edit.setText("0,0003")
    assert form.values()["lr"] == pytest.approx(0.0003)


def test_no_window_builds_a_spin_box_for_real_numbers_of_its_own():
    from pathlib import Path

    import ssl_studio.gui

    gui = Path(ssl_studio.gui.__file__).parent
    own = [
        p.relative_to(gui).as_posix()
        for p in gui.rglob("*.py")
        if "QDoubleSpinBox(" in p.read_text(encoding="utf-8") and p.name != "decimal_spin.py"
    ]
    assert own == [], "use gui.decimal_spin.DecimalSpin (it reads 0.07 alike in every language)"


def test_a_number_whose_comma_may_group_thousands_is_not_guessed(qtbot, german):
    """ "1,000" is a thousand in English and one in German: it was read as 1.0."""
    spin = DecimalSpin()
    qtbot.addWidget(spin)
    spin.setRange(-1e9, 1e9)
    spin.setValue(3.0)
    assert spin.validate("1,000", 5)[0] == QValidator.State.Intermediate
    assert spin.validate("1,5", 3)[0] == QValidator.State.Acceptable
    assert spin.validate("0,125", 5)[0] == QValidator.State.Acceptable
    from ssl_studio.core.config import TrainConfig
    from ssl_studio.core.errors import ConfigError

    form = OptionsForm(TrainConfig)
    qtbot.addWidget(form)
    form.editors["lr"][0].setText("1,000")
    with pytest.raises(ConfigError, match="'1,000' could be a thousand or one"):
        form.values()
