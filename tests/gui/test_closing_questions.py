"""Closing loses nothing silently: Escape or Cancel in the wizard while it fine-tunes asks
before stopping (No by default), and in "Label by clicking" asks before throwing away the
labels given (Save / Discard / Cancel)."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox

from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.wizard.label_dialog import UNLABELED, LabelDialog

from gui_helpers import import_shapes

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


def test_escape_while_the_label_efficiency_curve_is_measured_asks_first(
    qtbot, make_window, project, monkeypatch
):
    """Closing the wizard while its curve was measured neither asked nor stopped it: the
    job went on with the wizard gone."""

    def measuring(cfg, *, report, stop, **_):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped", "curve": []}

    monkeypatch.setattr("ssl_studio.gui.wizard.results_page.label_efficiency", measuring)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result, wizard.options, wizard.per_class = {"run_id": 1}, dict(OPTIONS), 6
    results = wizard.pages["results"]
    assert results.label_efficiency() and results.measuring and window.runner.busy
    asked = _answering(monkeypatch, BUTTON.No)
    QTest.keyClick(wizard, Qt.Key.Key_Escape)
    assert len(asked) == 1 and "label-efficiency curve" in asked[0][1]
    assert asked[0][3] == BUTTON.No and wizard.isVisible() and window.runner.busy
    asked = _answering(monkeypatch, BUTTON.Yes)
    wizard.reject()
    assert len(asked) == 1 and not wizard.isVisible()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert not results.measuring


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


def _label_dialog(qtbot, project, tmp_path) -> tuple[LabelDialog, list[int]]:
    """A shown dialog on four items, the last labeled 'normal' when it opened."""
    import_shapes(project, tmp_path, n=4)
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    dialog = LabelDialog(view, {ids[3]: "normal"})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog, ids


def test_escape_in_label_by_clicking_asks_and_cancel_keeps_the_labels(
    qtbot, project, tmp_path, monkeypatch
):
    dialog, ids = _label_dialog(qtbot, project, tmp_path)
    dialog.label.setCurrentText("effusion")
    dialog.label_index(dialog.model.index(0))
    dialog.label_index(dialog.model.index(1))
    asked = _answering(monkeypatch, BUTTON.Cancel)
    QTest.keyClick(dialog.grid, Qt.Key.Key_Escape)
    assert len(asked) == 1 and "2 items have labels that are not saved" in asked[0][1]
    assert asked[0][2] == BUTTON.Save | BUTTON.Discard | BUTTON.Cancel
    assert dialog.isVisible() and dialog.changes == {ids[0]: "effusion", ids[1]: "effusion"}

    _answering(monkeypatch, BUTTON.Save)  # Save: as the Save button does
    dialog.close()  # the window's close button
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.changes == {ids[0]: "effusion", ids[1]: "effusion"}


def test_cancel_then_discard_throws_the_labels_away(qtbot, project, tmp_path, monkeypatch):
    dialog, ids = _label_dialog(qtbot, project, tmp_path)
    dialog.label.setCurrentText(UNLABELED)
    dialog.label_index(dialog.model.index(3))  # a label taken away is a change too
    asked = _answering(monkeypatch, BUTTON.Discard)
    buttons = dialog.findChild(QDialogButtonBox)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert len(asked) == 1 and "1 item has labels" in asked[0][1] and not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_without_a_change_escape_closes_without_asking(qtbot, project, tmp_path, monkeypatch):
    dialog, ids = _label_dialog(qtbot, project, tmp_path)
    dialog.label.setCurrentText("normal")
    dialog.label_index(dialog.model.index(3))  # the label it had: nothing to lose
    asked = _answering(monkeypatch, BUTTON.Cancel)
    QTest.keyClick(dialog.grid, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not asked
