"""Data → Erase a patient…: the files (or a patient's) are chosen, the question says what
goes and that the runs on the dataset go too, No keeps everything, Yes erases in a job;
the patient's ID is not kept in the dialog afterwards."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QMessageBox

from ssl_studio.core.project.store import Store
from ssl_studio.gui import erasure_dialog

from gui_helpers import import_shapes


def choosing(monkeypatch, files=(), patient="", dialogs=None):
    """The erasure dialog answered with ``files`` or ``patient`` (and then cancelled)."""
    answers = iter([QDialog.DialogCode.Accepted, QDialog.DialogCode.Rejected])

    def exec_(dialog):
        if dialogs is not None:
            dialogs.append(dialog)
        dialog.set_files(list(files)) if files else None
        dialog.patient.setText(patient)
        return next(answers)

    monkeypatch.setattr(erasure_dialog.ErasureDialog, "exec", exec_)


def answer(monkeypatch, reply):
    asked = []

    def question(_, title, text, buttons, default):
        asked.append((title, text))
        return reply

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    return asked


def items(project):
    with Store.open(project) as store:
        return sorted(i["rel_path"] for i in store.items(store.dataset("shapes")["id"]))


def test_erasing_a_file_asks_first_and_no_keeps_it(
    qtbot, make_window, project, tmp_path, monkeypatch, messages
):
    import_shapes(project, tmp_path)
    before = items(project)
    target = tmp_path / "shapes" / before[0]
    window = make_window(project)
    panel = window.data
    assert panel.erase_button.isEnabled()
    choosing(monkeypatch, files=[str(target)])
    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    assert not panel.erase_patient()
    assert messages == []
    [(title, text)] = asked
    assert title == "Erase from dataset 'shapes'?" and "Outside the project nothing" in text
    assert items(project) == before
    choosing(monkeypatch, files=[str(target)])
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert panel.erase_patient()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    assert items(project) == before[1:]
    assert panel.current_dataset() == "shapes"


def test_an_unknown_patient_is_said_and_the_id_is_not_kept(
    qtbot, make_window, project, tmp_path, monkeypatch, messages
):
    import_shapes(project, tmp_path)
    window = make_window(project)
    shown = []
    choosing(monkeypatch, patient="MRN-448812", dialogs=shown)
    assert not window.data.erase_patient()  # told, asked again, then cancelled
    [(title, text)] = messages
    assert title == "Erase" and "MRN-448812" not in text
    assert shown[0].patient.text() == ""  # emptied once the question was answered
