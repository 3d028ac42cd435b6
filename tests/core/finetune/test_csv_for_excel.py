"""The CSV files the app writes for people (predictions, exported labels) start with
UTF-8's byte-order mark: Excel, opening one by a double-click on Windows, then reads
"Befund ä" as written instead of "Befund Ã¤". The app's own readers take the mark as
no part of the first column's name."""

from __future__ import annotations

import codecs
import csv

from finetune_projects import write_shapes

from ssl_studio.core.jobs import predict
from ssl_studio.core.label_export import export_labels
from ssl_studio.core.labels import labels_from_csv, set_labels
from ssl_studio.core.project.store import Store

UMLAUT = "Befund ä"


def _table(path):
    """The rows of ``path`` as a spreadsheet that honours the mark reads them."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _labels(project, name):
    with Store.open(project) as store:
        found = store.dataset_named("shapes")
        return store.latest_labels(found["id"], name)


def test_exported_labels_start_with_the_mark_and_read_back_the_same(image_project, tmp_path):
    project, _ = image_project
    set_labels(project, "shapes", {1: UMLAUT, 2: "Lunge 肺"}, name="umlaut")
    for overwrite in (False, True):  # a new file, and one written over (atomic_files)
        out = tmp_path / "labels.csv"
        export_labels(project, "shapes", out, name="umlaut", overwrite=overwrite)
        raw = out.read_bytes()
        assert raw.startswith(codecs.BOM_UTF8) and UMLAUT.encode("utf-8") in raw
        assert _table(out)[0] == ["item_id", "label", "stored_path", "index"]
    labels_from_csv(project, "shapes", out, name="umlaut again")
    assert _labels(project, "umlaut again") == _labels(project, "umlaut") != {}


def test_predictions_start_with_the_mark(image_export, tmp_path):
    _, _, model, _ = image_export  # (the folder's exported knn model: conftest.py)
    cases = tmp_path / UMLAUT
    write_shapes(cases, n=2)
    out = tmp_path / "predictions.csv"
    predict(model, [cases], out)
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and UMLAUT.encode("utf-8") in raw
    header, *rows = _table(out)
    assert header[0] == "path" and rows and all(UMLAUT in row[0] for row in rows)
