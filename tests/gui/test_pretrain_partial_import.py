"""Pretraining a dataset whose last import did not finish: the form says so, Start asks
first (No by default), and Yes starts a run that knowingly trains on the part imported."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store

from gui_helpers import import_shapes

STOPPED = "Import stopped after 4 of 12 files — import the folder again to finish"


def test_start_asks_before_pretraining_on_a_partly_imported_dataset(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    import_shapes(project, tmp_path, n=6)
    with Store.open(project, write=True) as store:  # a re-import of the folder, stopped
        stopped = store.start_import(store.dataset("shapes")["id"], {})
        store.finish_import(stopped, "cancelled", {"files_done": 4, "files_seen": 12})
    started = []

    def pretrain(cfg, report, stop):
        started.append(cfg)
        return {"status": "done", "run_id": 1, "steps": 1, "seconds": 1.0, "final_loss": None}

    monkeypatch.setattr("ssl_studio.gui.panels.pretrain_panel.pretrain", pretrain)
    asked = []

    def answer(reply):
        def question(_, title, text, buttons, default):
            asked.append((title, text, default))
            return reply

        return question

    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain
    assert panel.form.import_note.isVisible() and STOPPED in panel.form.import_note.text()
    assert panel.start_button.isEnabled()
    assert "Start asks before" in panel.start_button.toolTip()

    no, yes = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes
    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", answer(no))
    assert not panel.start() and not window.runner.busy and started == []
    [(title, text, default)] = asked
    assert title == "Pretrain on part of the dataset?" and default == no  # Enter: No
    assert "'shapes' is only partly imported. " + STOPPED in text

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", answer(yes))
    assert panel.start()
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert started[-1].allow_partial_import is True  # the core job would refuse it else

    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"]))  # finished
    window.context.notify("datasets")
    assert not panel.form.import_note.isVisible()
    assert "Start asks" not in panel.start_button.toolTip()
    asked.clear()
    assert panel.start() and asked == []  # nothing to ask
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert started[-1].allow_partial_import is False


def test_ctrl_r_while_a_job_runs_says_so_without_asking_first(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    import_shapes(project, tmp_path, n=6)
    with Store.open(project, write=True) as store:
        store.start_import(store.dataset("shapes")["id"], {})  # cut off
    window = make_window(project)
    asked = []
    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", lambda *a: asked.append(a))
    release = threading.Event()
    assert window.runner.start("Another job", lambda report, stop: release.wait(10))
    try:
        assert not window.pretrain.start()
        assert asked == [] and "still running" in messages[-1][1]
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.runner.busy)


def test_a_folder_cut_off_before_another_was_added_to_the_end_is_marked_in_both_panels(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    """Only the last import decided: an import of a folder added to the dataset was cut
    off (a kill), another folder added after it finished, and the dataset showed as whole."""
    from PIL import Image

    from ssl_studio.core.data import import_decoding, import_writing

    import_shapes(project, tmp_path, n=6)
    for name in ("more", "extra"):
        (tmp_path / name).mkdir()
        for i in range(4):
            Image.new("L", (16, 16), 30 * i).save(tmp_path / name / f"{i}.png")
    real_commit = import_writing.ImportWriting._commit

    def killed(self, batch, writer):
        real_commit(self, batch, writer)
        if batch:
            raise KeyboardInterrupt  # as a kill once a file was recorded

    with monkeypatch.context() as patch:
        patch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
        patch.setattr(import_writing.ImportWriting, "_commit", killed)
        with pytest.raises(KeyboardInterrupt):
            more = ImportConfig(project=project, paths=[tmp_path / "more"], name="shapes")
            import_data(replace(more, add=True, workers=1))
    import_data(ImportConfig(project=project, paths=[tmp_path / "extra"], name="shapes", add=True))
    note = "did not finish (it was interrupted) — import that folder again to finish"

    window = make_window(project)
    assert note in window.data.summary.text() and "skipped so far" in window.data.summary.text()
    window.show_step(1)
    form = window.pretrain.form
    assert form.import_note.isVisible() and "An earlier import of " in form.import_note.text()
    assert note in form.import_note.text()

    import_data(ImportConfig(project=project, paths=[tmp_path / "more"], name="shapes"))
    window.context.notify("datasets")
    assert not form.import_note.isVisible()


def test_the_note_of_a_stopped_import_whose_folder_is_gone_names_no_command_line_flag(
    make_window, project, tmp_path
):
    import shutil

    import_shapes(project, tmp_path, n=6)
    with Store.open(project, write=True) as store:  # a re-import of the folder, stopped
        stopped = store.start_import(store.dataset("shapes")["id"], {})
        store.finish_import(stopped, "cancelled", {"files_done": 4, "files_seen": 12})
    shutil.rmtree(tmp_path / "shapes")
    window = make_window(project)
    window.show_step(1)
    note = window.pretrain.form.import_note.text()
    assert "that folder is no longer there — import any folder of the dataset (or pretrain on " in (
        note
    )
    assert "--" not in note.replace(" — ", "")
    window.show_step(0)
    shown = window.data.findChildren(type(window.pretrain.form.import_note))
    assert any("pretrain on what is imported" in label.text() for label in shown)
    assert not any("--allow-partial-import" in label.text() for label in shown)
