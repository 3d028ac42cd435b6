"""The lean read of a dataset's items (the thumbnail grid's columns) agrees with the full
one, finds rows by id, and a lean DatasetView still gives an item's every column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.labels import set_labels
from ssl_studio.core.project.store import ItemTable, Store
from ssl_studio.core.project.store.item_table import GRID_COLUMNS
from ssl_studio.core.viewing import DatasetView


def _imported(project: Path, tmp_path: Path, n: int = 5) -> int:
    folder = tmp_path / "pictures"
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((16, 16), 30 * i, np.uint8)).save(folder / f"{i}.png")
    summary = import_data(ImportConfig(project=project, paths=[folder], name="pics"))
    return int(summary["dataset_id"])


def test_the_lean_rows_are_the_full_rows_grid_columns(project, tmp_path):
    dataset_id = _imported(project, tmp_path)
    with Store.open(project) as store:
        full, lean = store.items(dataset_id), store.item_table(dataset_id)
        ids = store.item_ids(dataset_id)
    assert isinstance(lean, ItemTable) and len(lean) == len(full) == 5
    assert list(lean) == [{k: item[k] for k in GRID_COLUMNS} for item in full]
    assert lean[1:3] == list(lean)[1:3]
    assert ids == {int(item["id"]) for item in full}
    for row, item in enumerate(full):
        assert lean.item_id(row) == item["id"] and lean.row_of(item["id"]) == row
    assert lean.row_of(10**9) is None


def test_a_lean_view_shows_what_a_full_one_does(project, tmp_path):
    _imported(project, tmp_path)
    full, lean = DatasetView.open(project, "pics"), DatasetView.open(project, "pics", lean=True)
    for row in range(len(full.items)):
        assert lean.item(row) == full.items[row]  # every column, read when shown
        assert lean.item_name(row) == full.item_name(row)
        assert np.array_equal(lean.thumbnail(row), full.thumbnail(row))
        assert lean.row_of(full.item_id(row)) == full.row_of(full.item_id(row)) == row


def test_labels_still_refuse_ids_the_dataset_does_not_have(project, tmp_path):
    _imported(project, tmp_path)
    with pytest.raises(ConfigError, match="has no item"):
        set_labels(project, "pics", {10**6: "a"})
