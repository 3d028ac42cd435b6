"""The CSV files the app writes for people (predictions, exported labels) hold no cell a
spreadsheet would run as a formula: a class named '=1+1' from a received model card, or an
honest '+ve', is written as text ('=1+1), numbers as they are; exported labels read back
the same."""

from __future__ import annotations

import csv
import json
import re
import shutil

from finetune_projects import quick_train, strip_model_metadata, write_shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, predict
from ssl_studio.core.label_export import export_labels
from ssl_studio.core.labels import labels_from_csv, labels_from_folders
from ssl_studio.core.project.store import Store
from ssl_studio.core.spreadsheet_cells import safe_cell, unquoted

NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _formula_like(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not NUMBER.fullmatch(cell)


def test_a_text_cell_starting_with_a_formula_character_is_quoted_and_read_back():
    for text in ("=1+1", "+ve", "-ve", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'):
        assert safe_cell(text) == "'" + text
        assert unquoted(safe_cell(text)) == text
    for same in ("-1", "+2.5", "-.5", "1e-3", "-3E+2", "circle", "", "'quoted", 0.5, -1, None):
        assert safe_cell(same) == same
    assert unquoted("'plain") == "'plain"  # a quote before no formula character stays


def test_a_formula_after_a_semicolon_or_tab_inside_a_cell_is_quoted_too():
    """Excel in German or French settings splits a .csv on ';': the cell x;=1+1 (written
    unquoted) became the cells x and =1+1, a formula."""
    for text, safe in (
        ("x;=1+1", "x;'=1+1"),
        ("=a;@b", "'=a;'@b"),
        ("a\t-b", "a\t'-b"),
        ("p_x;=cmd|' /C calc'!A0;y", "p_x;'=cmd|' /C calc'!A0;y"),
    ):
        assert safe_cell(text) == safe
        assert unquoted(safe) == text
    assert safe_cell("a;b; c") == "a;b; c"  # no formula character after the separator


def test_predictions_of_a_card_with_formula_like_classes_are_text(image_project, tmp_path):
    project, run = image_project
    labels_from_folders(project, "shapes")
    config = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="knn", train=quick_train()
    )
    out = tmp_path / "export"
    export(project, finetune(config)["run_id"], out)
    received = shutil.copytree(out, tmp_path / "received")
    # a card someone sent naming its classes so: of an export whose model.onnx does not
    # name them (a current one would be refused as edited, card_integrity.py)
    strip_model_metadata(received, lambda key: False)
    card = json.loads((received / "model_card.json").read_text())
    card["classes"] = ["=1+1", "-1"]
    (received / "model_card.json").write_text(json.dumps(card))
    cases = tmp_path / "cases"
    write_shapes(cases, n=4)
    predict(received, [cases], tmp_path / "p.csv")
    with (tmp_path / "p.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    header, rows = table[0], table[1:]
    predicted = {row[header.index("predicted")] for row in rows}
    assert predicted <= {"'=1+1", "-1"} and predicted
    assert not [cell for row in table for cell in row if _formula_like(cell)]


def test_labels_named_plus_and_minus_export_as_text_and_read_back_the_same(tmp_path):
    write_shapes(tmp_path / "shapes", n=12)
    for old, new in (("circle", "+ve"), ("square", "-ve")):
        (tmp_path / "shapes" / old).rename(tmp_path / "shapes" / new)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    labels_from_folders(project, "shapes")
    out = tmp_path / "labels.csv"
    export_labels(project, "shapes", out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["label"] for r in rows} == {"'+ve", "'-ve"}
    assert {r["stored_path"][:4] for r in rows} == {"'+ve", "'-ve"}
    assert not [c for r in rows for c in r.values() if _formula_like(c)]
    labels_from_csv(project, "shapes", out, name="again")
    with Store.open(project) as store:
        found = store.dataset("shapes")["id"]
        again, folders = store.latest_labels(found, "again"), store.latest_labels(found, "folders")
    assert again == folders and set(again.values()) == {"+ve", "-ve"}
