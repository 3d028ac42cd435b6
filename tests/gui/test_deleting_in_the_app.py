"""Deleting runs (Runs: Delete…, the Delete key) and removing a dataset (Data: Remove
dataset…): the question says what goes, No keeps everything, Yes removes it in a job and
every panel forgets it; exports stay listed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.project.store import Store

from gui_helpers import import_shapes


def add_runs(project) -> tuple[int, int, int]:
    """A pretraining run, a run fine-tuned from it (with an export) and another one."""
    with Store.open(project, write=True) as store:
        dataset = store.dataset("shapes")["id"]
        ids = []
        for parent in (None, 1, None):
            run_id = store.create_run(dataset, "pretrain" if parent is None else "finetune", {
                "task": "simclr", "parent_run_id": parent,
            })  # fmt: skip
            (store.paths.run_folder(run_id) / "last.pt").write_bytes(b"\0" * 4000)
            store.add_metrics(run_id, [(1, 0, "loss", 1.0)])
            store.finish_run(run_id, "done")
            ids.append(run_id)
        store.add_export(ids[1], str(project / "exports" / "model"), ["onnx"], {"classes": []})
    return ids[0], ids[1], ids[2]


def answer(monkeypatch, reply):
    asked = []

    def question(_, title, text, buttons, default):
        asked.append((title, text, default))
        return reply

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    return asked


def test_deleting_a_pretraining_run_asks_and_takes_its_fine_tuned_run_along(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    import_shapes(project, tmp_path)
    pre, tuned, other = add_runs(project)
    monkeypatch.setattr(  # (the export's card is a stand-in)
        "ssl_studio.gui.panels.export_panel.card_markdown", lambda card: "# card"
    )
    window = make_window(project)
    window.show_step(3)
    panel = window.runs
    assert not panel.delete_button.isEnabled()  # nothing chosen
    panel.select_run(pre)
    assert panel.delete_button.isEnabled()

    no, yes = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes
    asked = answer(monkeypatch, no)
    assert not panel.delete_selected()
    [(title, text, default)] = asked
    assert title == "Delete runs 1, 2?" and default == no  # Enter keeps them
    assert text.startswith("Removes run 1 and run 2 made from it (1 fine-tuned model), ")
    assert "This cannot be undone." in text
    assert [run["id"] for run in panel.runs] == [other, tuned, pre]

    asked = answer(monkeypatch, yes)
    window.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)  # the Delete key asks the same
    assert asked and window.runner.busy
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    assert [run["id"] for run in panel.runs] == [other]
    assert not (project / "runs" / "1").exists() and not (project / "runs" / "2").exists()
    window.show_step(5)
    assert window.export.table.rowCount() == 1  # the export is kept, its run deleted
    assert window.export.table.item(0, 1).text() == "deleted"
    box = window.map.run_box
    assert [box.itemData(i)[0] for i in range(box.count())] == [other]


def test_removing_a_dataset_asks_and_every_panel_forgets_it(
    qtbot, make_window, project, tmp_path, monkeypatch, messages
):
    import_shapes(project, tmp_path)
    add_runs(project)
    monkeypatch.setattr("ssl_studio.gui.panels.export_panel.card_markdown", lambda card: "# card")
    window = make_window(project)
    panel = window.data
    assert panel.current_dataset() == "shapes" and panel.remove_button.isEnabled()
    from types import SimpleNamespace

    forgotten = []
    monkeypatch.setattr(window.map, "_forget", lambda: forgotten.append(True))
    window.map.view = SimpleNamespace(name="shapes")  # a map of it is shown (its cache open)
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert panel.remove_dataset()
    assert forgotten == [True]  # let go before the job deletes its cache
    [(title, text, _)] = asked
    assert title == "Remove dataset 'shapes'?"
    assert text.startswith(
        "Removes dataset 'shapes' (its labels, import history and cache) and its runs 1, 2 and 3"
    )
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    assert panel.datasets == [] and panel.view is None and panel.empty.isVisible()
    assert not panel.remove_button.isEnabled()
    assert window.runs.runs == [] and window.pretrain.form.dataset.count() == 0
    assert list((project / "cache").iterdir()) == []
    # the window's own reading never keeps the removed rows in the database files
    assert not [title for title, _ in messages if "not yet erased" in title]


def test_export_labels_writes_the_chosen_label_set_to_a_csv(
    make_window, project, tmp_path, monkeypatch, messages
):
    """Data → Export labels…: labels given in the app can be taken out as a CSV."""
    import csv

    from ssl_studio.core.labels import set_labels

    import_shapes(project, tmp_path)
    window = make_window(project)
    panel = window.data
    assert panel.labels_button.isEnabled()
    assert not panel.export_labels()  # no labels yet: said, nothing asked
    assert "has no labels yet" in messages[-1][1]
    set_labels(project, "shapes", {1: "round", 2: "square"}, name="first")
    set_labels(project, "shapes", {1: "odd"}, name="clicks")
    out = tmp_path / "out.csv"
    offered = []

    def pick(parent, title, label, items, current, editable):
        offered.extend(items)
        return items[current], True  # (the default: the set written last)

    monkeypatch.setattr("ssl_studio.gui.label_export.QInputDialog.getItem", pick)
    monkeypatch.setattr(
        "ssl_studio.gui.label_export.QFileDialog.getSaveFileName", lambda *a: (str(out), "")
    )
    out.write_text("old", encoding="utf-8")  # (the save dialog asked to replace it)
    assert panel.export_labels()
    assert messages[-1] == (
        "Labels exported",
        f"Label set 'clicks' (version 1): 1 label written to {out}.",
    )
    assert [r["label"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))] == ["odd"]
    assert offered == ["clicks (version 1, 1 label)", "first (version 1, 2 labels)"]


def test_a_removal_that_fails_shows_the_dataset_again(
    qtbot, make_window, project, tmp_path, monkeypatch, messages
):
    """The Data panel lets go of a dataset before its removal; a removal that then fails
    (here: refused) left the panel showing nothing until something else reloaded it."""
    from ssl_studio.core.errors import ConfigError

    import_shapes(project, tmp_path)
    window = make_window(project)
    panel = window.data

    def refused(project, plan):
        raise ConfigError("refused for the test")

    monkeypatch.setattr("ssl_studio.gui.removal.remove", refused)
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert panel.remove_dataset()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    assert ("Remove dataset 'shapes' failed", "refused for the test") in messages
    assert panel.current_dataset() == "shapes" and panel.view is not None


def test_the_pretrain_page_forgets_a_run_deleted_since_it_finished(
    make_window, project, tmp_path, monkeypatch
):
    """After Runs → Delete…, the Pretrain page still said "Run 4 finished … Next: Fine-tune"
    beside its curves; it now forgets a run that is gone (one still there stays)."""
    from ssl_studio.gui.panels.training_view import IDLE_WITH_RUNS

    import_shapes(project, tmp_path)
    pre, _, other = add_runs(project)
    monkeypatch.setattr(  # (the export's card is a stand-in)
        "ssl_studio.gui.panels.export_panel.card_markdown", lambda card: "# card"
    )
    window = make_window(project)
    panel = window.pretrain
    for run_id, kept in ((other, True), (pre, False)):
        summary = {"run_id": run_id, "status": "done", "steps": 4, "seconds": 1.0}
        panel.last_summary = summary
        panel.view.show_done(summary)
        panel.view.loss_plot.append("loss", 1, 1.0)
        if not kept:
            with Store.open(project, write=True) as store:
                store.delete_runs([pre, 2])
        window.context.notify("runs")
        assert (panel.last_summary is not None) is kept
        assert ("finished" in panel.view.status.text()) is kept
    assert panel.view.status.text() == IDLE_WITH_RUNS  # (run 3 is still listed)
    assert not panel.view.loss_plot.buffers


def test_a_removal_another_program_kept_from_erasing_says_so(
    qtbot, make_window, project, tmp_path, monkeypatch, messages
):
    import_shapes(project, tmp_path)
    monkeypatch.setattr(Store, "erase_removed", lambda self: False)  # (a reader held it)
    window = make_window(project)
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert window.data.remove_dataset()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20_000)
    title, text = messages[-1]
    assert title == "Remove dataset 'shapes': not yet erased"
    assert text.startswith("The removed data stays in the project's database file until")
