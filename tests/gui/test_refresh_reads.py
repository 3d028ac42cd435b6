"""What a refresh reads at scale: a label change re-reads the labels, not the items; the
Map's "open item in Data" does not read a shown dataset again; the Data panel holds only
the grid's columns and the viewer still shows an item's path and metadata; the Map keeps
its scatter items from one colouring to the next (making them anew blocked the window
for up to 0.5 s at 30 000 dots)."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.evaluation.embedding_map import EmbeddingMap
from ssl_studio.core.labels import set_labels
from ssl_studio.core.project.store import ItemTable, Store
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.panels import data_panel

from gui_helpers import import_shapes


def _count_item_reads(monkeypatch) -> list[str]:
    """Record every read of a dataset's items (full or lean) from now on."""
    calls: list[str] = []
    for name in ("items", "item_table"):
        original = getattr(Store, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Store, name, counted)
    return calls


def test_a_label_change_reads_the_labels_not_the_items(make_window, project, tmp_path, monkeypatch):
    window = make_window(import_shapes(project, tmp_path, n=4))
    data = window.data
    view = data.view
    assert view is not None and len(view.items) == 4
    set_labels(project, "shapes", {view.item_id(2): "round"}, name="labels")
    reads = _count_item_reads(monkeypatch)
    window.context.notify("labels")
    assert reads == []  # (it read all items, every column, at each label save)
    assert data.view is view  # the same items, the same grid
    index = data.model.index(2)
    assert data.model.data(index) == "round"
    assert "1 labeled" in data.summary.text()
    window.context.notify("datasets")  # new data: the items are read again
    assert reads == ["item_table"]


def test_show_item_on_the_shown_dataset_does_not_read_it_again(
    make_window, project, tmp_path, monkeypatch
):
    window = make_window(import_shapes(project, tmp_path, n=5))
    data = window.data
    assert data.view is not None
    last = data.view.item_id(4)
    opened: list[str] = []
    original = data_panel.DatasetView.open

    def counted(*args, **kwargs):
        opened.append(args[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(data_panel.DatasetView, "open", counted)
    data.show_item("shapes", last)
    assert opened == []
    assert data.grid.currentIndex().row() == 4
    assert data.viewer.view is data.view and data.viewer.row == 4


def test_the_data_panel_holds_the_grids_columns_and_the_viewer_reads_the_rest(
    make_window, project, tmp_path
):
    window = make_window(import_shapes(project, tmp_path, n=3))
    data = window.data
    assert isinstance(data.view.items, ItemTable)  # not every column of every item
    data.grid.setCurrentIndex(data.model.index(1))
    full = data.view.item(1)
    assert full["rel_path"] and "meta" in full  # read for the item shown
    assert full["rel_path"] in data.viewer.title.text()
    shown = {data.viewer.metadata.item(r, 0).text() for r in range(data.viewer.metadata.rowCount())}
    assert {"Height", "Width"} <= shown


def test_the_map_keeps_its_scatter_items_across_colourings(make_window, project, tmp_path):
    window = make_window(import_shapes(project, tmp_path, n=6))
    window.show_step(4)
    panel = window.map
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    xy = np.arange(12, dtype=np.float32).reshape(6, 2)
    labels = ["a", "b", "c", "a", "", "b"]
    panel._computed((EmbeddingMap(ids, xy, np.eye(6, dtype=np.float32), labels, "pca"), view))
    first = list(panel.scatters)
    assert [s.name() for s in first] == ["a (2)", "b (2)", "c (1)", "unlabeled (1)"]
    panel.colour_by.setCurrentText("folder")  # one group: the first item is kept
    assert len(panel.scatters) == 1 and panel.scatters[0] is first[0]
    assert len(panel.scatters[0].data) == 6
    assert [label.text for _, label in panel.legend.items] == [panel.scatters[0].name()]
    panel.colour_by.setCurrentText("label")
    assert panel.scatters[0] is first[0] and len(panel.scatters) == 4
    assert [s.name() for s in panel.scatters] == ["a (2)", "b (2)", "c (1)", "unlabeled (1)"]
    assert len({s.opts["symbol"] for s in panel.scatters[:3]}) == 3  # colour and shape
    assert [label.text for _, label in panel.legend.items] == [s.name() for s in panel.scatters]
    assert all(s.scene() is panel.plot.scene() for s in panel.scatters)
