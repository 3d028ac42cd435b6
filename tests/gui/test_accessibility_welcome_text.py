"""The welcome screen's lead is larger than the text around it at any app font: a fixed
12 pt was smaller than the body at 1.6 times the usual font. Its recent projects open with
Enter too, and say so."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor, QTextDocument

from ssl_studio.gui.panels.welcome_panel import INTRO, WelcomePanel


def _lead_points(base: float) -> float:
    """The lead's size in points where the app's text is ``base`` points."""
    document = QTextDocument()
    font = QFont()
    font.setPointSizeF(base)
    document.setDefaultFont(font)
    document.setHtml(INTRO)
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.NextBlock)  # the heading, then the lead
    cursor.movePosition(QTextCursor.MoveOperation.NextCharacter)
    assert cursor.block().text().startswith("Teach a network")
    return QFont(cursor.charFormat().font()).pointSizeF()


def test_the_lead_is_larger_than_the_body_at_any_font(qapp):
    for base in (9.0, 14.4, 20.0):
        assert _lead_points(base) > base


def test_the_recent_list_says_and_does_enter_opens(qtbot, tmp_path):
    panel = WelcomePanel()
    qtbot.addWidget(panel)
    panel.set_recent([(tmp_path / "study", "")])
    assert "double-click or Enter to open" in panel.recent_title.text()
    opened: list[Path] = []
    panel.recent_chosen.connect(opened.append)
    panel.show()
    panel.recent.setCurrentRow(0)
    panel.recent.setFocus()
    qtbot.keyClick(panel.recent, Qt.Key.Key_Return)
    assert opened == [tmp_path / "study"]
