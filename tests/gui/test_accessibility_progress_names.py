"""Every progress bar is named: a screen reader said "progress bar, 40 %" of the status
bar's, the Pretrain page's and the wizard's alike, without saying whose."""

from __future__ import annotations

from PySide6.QtGui import QAccessible


def _name(widget) -> str:
    return QAccessible.queryAccessibleInterface(widget).text(QAccessible.Text.Name)


def test_the_three_progress_bars_are_named(make_window, project):
    window = make_window(project)
    assert _name(window.progress) == "Job progress"
    assert _name(window.pretrain.view.progress) == "Pretraining progress"
    wizard = window.open_wizard()
    assert _name(wizard.pages["train"].progress) == "Fine-tuning progress"
