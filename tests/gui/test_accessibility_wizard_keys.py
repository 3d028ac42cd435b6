"""The fine-tune wizard is a window of its own: the menu's Ctrl+P (pause / resume), Ctrl+.
(stop) and F1 (the guide) did nothing while it had the focus, though the status bar said
"Paused — Ctrl+P to resume". They work there now, pressed as keys, and its training page
has a Pause / Resume button of its own."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWizard
from test_results_export_reading import _six_items

from gui_helpers import OPTIONS

WAIT_MS = 20_000
CTRL = Qt.KeyboardModifier.ControlModifier


def _until_stopped(report, stop):
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped"}


def _activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)


def _press(window, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A real key press where the window's focus is (shortcuts go through Qt's map)."""
    from PySide6.QtTest import QTest

    QTest.keyClick(window.focusWidget() or window, key, modifier)


def test_ctrl_p_ctrl_period_and_f1_work_in_the_wizard(qtbot, make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    _activate(qtbot, wizard)
    assert window.runner.start("Pretraining", _until_stopped)
    _press(wizard, Qt.Key.Key_P, CTRL)
    assert window.runner.paused
    _press(wizard, Qt.Key.Key_P, CTRL)
    assert not window.runner.paused
    _activate(qtbot, window)  # the main window's keys are still its own, not ambiguous
    _press(window, Qt.Key.Key_P, CTRL)
    assert window.runner.paused
    _activate(qtbot, wizard)
    _press(wizard, Qt.Key.Key_F1)
    assert window.guide is not None and window.guide.isVisible()
    _activate(qtbot, wizard)
    _press(wizard, Qt.Key.Key_Period, CTRL)
    assert window.runner.stop_asked
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_the_training_page_pauses_and_resumes_and_hands_the_focus_to_results(
    qtbot, make_window, project, monkeypatch
):
    trained = threading.Event()

    def training(cfg, *, report, stop):
        while not trained.is_set() and not stop.stopped:
            time.sleep(0.01)
        return _six_items()

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", training)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    wizard.setStartId(wizard.pageIds()[list(wizard.pages).index("train")])
    wizard.restart()  # Next from the protocol page: the fine-tuning starts
    train = wizard.pages["train"]
    assert train.running and window.runner.busy
    _activate(qtbot, wizard)
    train.pause_button.setFocus()
    qtbot.keyClick(train.pause_button, Qt.Key.Key_Space)
    assert window.runner.paused and train.pause_button.text() == "Resume"
    _press(wizard, Qt.Key.Key_P, CTRL)  # the key and the button say the same
    assert not window.runner.paused and train.pause_button.text() == "Pause"
    trained.set()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert train.isComplete() and not train.pause_button.isEnabled()
    results = wizard.button(QWizard.WizardButton.CommitButton)
    assert results.isEnabled() and wizard.focusWidget() is results  # Enter: the results


def test_stop_pressed_turns_the_training_page_s_pause_off(qtbot, make_window, project, monkeypatch):
    monkeypatch.setattr(
        "ssl_studio.gui.wizard.train_page.finetune", lambda cfg, **kw: _until_stopped(**kw)
    )
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    train = wizard.pages["train"]
    train.initializePage()
    assert train.pause_button.isEnabled() and train.stop_button.isEnabled()
    window.stop_button.click()  # the status bar's
    assert not train.pause_button.isEnabled()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert not train.pause_button.isEnabled() and not train.stop_button.isEnabled()
