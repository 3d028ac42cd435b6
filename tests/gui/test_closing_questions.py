"""Closing loses nothing silently: Escape or Cancel in the wizard while it fine-tunes asks
before stopping (No by default)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

WAIT_MS = 10_000
OPTIONS = {"protocol": "linear", "baseline": True, "test_fraction": 0.2, "seed": 0, "steps": 5}
BUTTON = QMessageBox.StandardButton


def _until_stopped(cfg, *, report, stop):
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped", "run_id": 1}


def _answering(monkeypatch, answer: QMessageBox.StandardButton) -> list[tuple]:
    """Answer every question with ``answer``; the list gets (title, text, buttons, default)."""
    asked: list[tuple] = []

    def question(_, title, text, buttons, default):
        asked.append((title, text, buttons, default))
        return answer

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    return asked


def test_escape_while_fine_tuning_asks_before_stopping_it(qtbot, make_window, project, monkeypatch):
    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", _until_stopped)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    train = wizard.pages["train"]
    train.initializePage()  # Next from the protocol page: the fine-tuning starts
    assert train.running and window.runner.busy

    asked = _answering(monkeypatch, BUTTON.No)
    QTest.keyClick(wizard, Qt.Key.Key_Escape)
    wizard.button(wizard.WizardButton.CancelButton).click()
    assert len(asked) == 2 and asked[0][0] == "Fine-tuning is running"
    assert "stop it and close?" in asked[0][1] and asked[0][3] == BUTTON.No  # No by default
    assert wizard.isVisible() and window.runner.busy and train.running

    asked = _answering(monkeypatch, BUTTON.Yes)
    wizard.reject()
    assert len(asked) == 1 and not wizard.isVisible()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_escape_when_not_fine_tuning_closes_the_wizard_without_a_question(
    make_window, project, monkeypatch
):
    window = make_window(project)
    wizard = window.open_wizard()
    asked = _answering(monkeypatch, BUTTON.No)
    QTest.keyClick(wizard, Qt.Key.Key_Escape)
    assert not asked and not wizard.isVisible()
