"""A panel told that its part of the project changed (by another process: project_watch.py,
or View → Refresh) keeps what the user chose and where they scrolled: the Data panel its
shown dataset, chosen item and scroll; the Export, Fine-tune and Map pages their chosen
export, runs and run; the Pretrain form the options of its dataset; the Runs plot the
view the user zoomed to while a running run's curve grows."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store
from ssl_studio.gui.panels.runs_panel import _curve_key

from gui_helpers import add_runs, import_shapes

WAIT_MS = 10_000


def _other_dataset(project, name: str = "other") -> None:
    """Another process adds a dataset (nothing of the shown one changes)."""
    with Store.open(project, write=True) as store:
        store.create_dataset(name, "image", 16)


def _chosen_item(window) -> int:
    data = window.data
    return data.view.item_id(data.grid.currentIndex().row())


def test_the_shown_dataset_stays_as_it_is_when_another_changes(
    qtbot, make_window, project, tmp_path
):
    import_shapes(project, tmp_path, n=60)
    window = make_window(project)
    data = window.data
    window.resize(1100, 700)
    data.grid.setCurrentIndex(data.model.index(45))
    data.grid.scrollTo(data.model.index(45))
    view, scrolled = data.view, data.grid.verticalScrollBar().value()
    assert scrolled > 0
    _other_dataset(project)
    window.context.notify("datasets")
    assert data.dataset_list.count() == 2 and data.current_dataset() == "shapes"
    assert data.view is view  # (not read again: its thumbnails and viewer stay)
    assert data.grid.currentIndex().row() == 45
    assert data.grid.verticalScrollBar().value() == scrolled


def test_the_shown_dataset_read_again_keeps_the_chosen_item(qtbot, make_window, project, tmp_path):
    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    data = window.data
    data.grid.setCurrentIndex(data.model.index(4))
    chosen = _chosen_item(window)
    folder = tmp_path / "shapes"  # another process imports more files into it
    Image.fromarray(np.full((16, 16), 7, np.uint8)).save(folder / "extra.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    window.context.notify("datasets")
    assert data.model.rowCount() == 7
    assert _chosen_item(window) == chosen


def test_another_project_shows_its_first_item(qtbot, make_window, project, tmp_path):
    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    window.data.grid.setCurrentIndex(window.data.model.index(4))
    window.open_project(project)  # ("project": nothing is kept)
    assert window.data.grid.currentIndex().row() == 0


def _exports(project, count: int) -> list[int]:
    [run] = add_runs(project, 1, points=5) if count else [None]
    with Store.open(project, write=True) as store:
        run = run or store.runs()[0]["id"]
        return [store.add_export(run, f"exports/e{n}", ["onnx"], {}) for n in range(count)]


def test_the_chosen_export_stays_chosen_and_the_newest_follows(
    qtbot, make_window, project, monkeypatch
):
    monkeypatch.setattr("ssl_studio.gui.panels.export_panel.card_markdown", lambda card: "")
    first, second = _exports(project, 2)
    window = make_window(project)
    panel = window.export
    assert panel.selected()["id"] == second  # (the newest)
    panel.table.selectRow(1)
    assert panel.selected()["id"] == first
    with Store.open(project, write=True) as store:
        third = store.add_export(store.runs()[0]["id"], "exports/e2", ["onnx"], {})
    window.context.notify("exports")
    assert panel.table.rowCount() == 3 and panel.selected()["id"] == first

    panel.table.selectRow(0)  # the newest chosen: a new one is chosen when it comes
    with Store.open(project, write=True) as store:
        fourth = store.add_export(store.runs()[0]["id"], "exports/e3", ["onnx"], {})
    window.context.notify("exports")
    assert panel.selected()["id"] == fourth != third


def _finetuned(project, count: int) -> list[int]:
    with Store.open(project, write=True) as store:
        parent = store.runs()[0]["id"]
        dataset = store.runs()[0]["dataset_id"]
        ids = []
        for _ in range(count):
            run = store.create_run(dataset, "finetune", {"task": "linear", "parent_run_id": parent})
            store.finish_run(run, "done", {"protocol": "linear"})
            ids.append(run)
    return ids


def test_the_chosen_fine_tuned_run_stays_chosen(qtbot, make_window, project):
    add_runs(project, 1, points=5)
    first, second = _finetuned(project, 2)
    window = make_window(project)
    table = window.finetune.table
    table.selectRow(1)
    assert table.item(1, 0).text() == str(first)
    _finetuned(project, 1)
    window.context.notify("runs")
    assert table.rowCount() == 3
    assert [table.item(i.row(), 0).text() for i in table.selectionModel().selectedRows()] == [
        str(first)
    ]


def test_the_run_chosen_on_the_map_page_stays_chosen(qtbot, make_window, project):
    older, newer = add_runs(project, 2, points=5)
    window = make_window(project)
    box = window.map.run_box
    assert box.currentData()[0] == newer
    box.setCurrentIndex(1)
    assert box.currentData()[0] == older
    add_runs(project, 1, points=5)  # another process's run: listed, the choice kept
    window.context.notify("runs")
    assert box.count() == 3 and box.currentData()[0] == older


def test_the_pretrain_options_stay_when_another_dataset_comes(
    qtbot, make_window, project, tmp_path
):
    import_shapes(project, tmp_path, n=6)
    window = make_window(project)
    form = window.pretrain.form
    task_form, backbone = form.advanced.task_form, form.backbone.currentIndex()
    assert task_form is not None
    _other_dataset(project)
    window.context.notify("datasets")
    assert form.dataset.count() == 2 and form.dataset.currentText() == "shapes"
    assert form.advanced.task_form is task_form  # (not made anew: its edits stay)
    assert form.backbone.currentIndex() == backbone


def test_a_growing_curve_keeps_the_view_the_user_zoomed_to(qtbot, make_window, project):
    [run] = add_runs(project, 1, points=50)
    window = make_window(project)
    window.show_step(3)
    panel = window.runs
    panel.select_run(run)
    qtbot.waitUntil(lambda: not panel.reading(), timeout=WAIT_MS)
    box = panel.plot.getPlotItem().getViewBox()
    box.setRange(xRange=(10, 20), padding=0)  # (as the user's zoom does)
    chosen = panel.selected()
    panel._draw(chosen, tuple(_curve_key(r) for r in chosen))  # the same runs drawn again
    # (as a running run's are when its curve grew)
    x_low, x_high = box.viewRange()[0]
    assert abs(x_low - 10) < 1e-6 and abs(x_high - 20) < 1e-6
