"""A fine-tuning run records the content hashes of its held-out items (split.json); when
they change or go (files changed on disk and imported again, files removed), evaluating
the run again says so, and so does the model card of an export. Older runs without the
hashes behave as before."""

from __future__ import annotations

import json
import sqlite3

import pytest
from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, evaluate, export, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def test_evaluate_and_the_card_say_when_the_test_items_changed(tmp_path):
    project, data, source = pretrained(tmp_path)
    result = finetune(
        FinetuneConfig(project=project, run=source, labels="folders",
                       protocol="linear", baseline=False, n_boot=20, train=quick_train())
    )  # fmt: skip
    run_id = result["run_id"]
    split_file = project / "runs" / str(run_id) / "split.json"
    saved = json.loads(split_file.read_text())
    assert len(saved["content"]["test"]) == len(saved["test"]) == 8
    assert all(len(h) == 32 for h in saved["content"]["test"] + saved["content"]["val"])
    unchanged = evaluate(project, run_id, n_boot=20)
    assert unchanged == result["test"] and "data_changed" not in unchanged

    with Store.open(project) as store:
        paths = {i["id"]: i["rel_path"] for i in store.items(1)}
    tested = [paths[i] for i in saved["test"]]
    circle = next(p for p in tested if p.startswith("circle/"))
    square = next(p for p in tested if p.startswith("square/"))
    a, b = (data / circle).read_bytes(), (data / square).read_bytes()
    (data / circle).write_bytes(b)  # two test images swapped on disk
    (data / square).write_bytes(a)
    (data / next(p for p in tested if p not in (circle, square))).unlink()  # one gone
    import_data(ImportConfig(project=project, paths=[data], name="shapes", workers=1))

    again = evaluate(project, run_id, n_boot=20)
    assert again["n"] == 7
    assert again["data_changed"]["test"] == {"items": 8, "changed": 2, "gone": 1}
    assert "data_unchecked" not in again
    said = (
        f"2 of 8 test items changed and 1 is gone since run {run_id} was tested: these "
        "figures are not the stored ones."
    )
    assert again["note"].startswith(said)

    card = export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert card["data"]["test_items_changed"]["test"]["changed"] == 2
    text = (tmp_path / "model" / "MODEL_CARD.md").read_text()
    assert f"2 of 8 test items changed and 1 is gone since run {run_id} was tested" in text

    # a run from before the hashes were recorded: the item gone is counted from the ids
    # (its n dropped without a word), the others cannot be checked
    split_file.write_text(json.dumps({k: v for k, v in saved.items() if k != "content"}))
    older = evaluate(project, run_id, n_boot=20)
    assert older["n"] == 7
    assert older["data_changed"]["test"] == {"items": 8, "changed": 0, "gone": 1, "unchecked": 7}
    assert older["note"].startswith(
        f"1 of 8 test items is gone since run {run_id} was tested: these figures are not "
        "the stored ones."
    )
    assert (
        f"7 of 8 test items could not be checked for changes since run {run_id}" in (older["note"])
    )
    card = export(project, run_id, tmp_path / "older", formats=("safetensors",))
    assert card["data"]["test_items_changed"]["test"]["gone"] == 1


def pretrained(tmp_path):
    """A project with dataset 'shapes' (folder labels 'folders') and a pretraining run:
    (project, data folder, the run's id)."""
    data = tmp_path / "shapes"
    write_shapes(data)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    source = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )
    labels_from_folders(project, "shapes")
    return project, data, source["run_id"]


def test_a_cross_validated_run_says_when_items_it_scored_out_of_fold_changed(tmp_path):
    """A cross-validated run records the hashes of every item it scored out of fold;
    evaluate (which shows the stored figures) and the card say which changed or went."""
    project, data, source = pretrained(tmp_path)
    result = finetune(
        FinetuneConfig(project=project, run=source, labels="folders", protocol="knn",
                       folds=3, baseline=False, n_boot=20, train=quick_train())
    )  # fmt: skip
    run_id = result["run_id"]
    saved = json.loads((project / "runs" / str(run_id) / "split.json").read_text())
    scored = [i for fold in saved["folds"] for i in fold]
    assert len(saved["content"]["folds"]) == len(scored) == 40
    assert "data_changed" not in evaluate(project, run_id)

    with Store.open(project) as store:
        paths = {i["id"]: i["rel_path"] for i in store.items(1)}
    first, second = (data / paths[i] for i in scored[:2])
    first.write_bytes(second.read_bytes())  # one scored image replaced by another
    (data / paths[scored[2]]).unlink()
    import_data(ImportConfig(project=project, paths=[data], name="shapes", workers=1))

    again = evaluate(project, run_id)
    assert again["data_changed"]["folds"] == {"items": 40, "changed": 1, "gone": 1}
    assert again["n"] == result["test"]["n"]  # (the stored figures)
    said = f"1 of 40 cross-validated items changed and 1 is gone since run {run_id} was tested"
    assert again["note"].startswith(said) and "stored ones" in again["note"]
    card = export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert card["data"]["test_items_changed"]["folds"]["changed"] == 1
    assert said in (tmp_path / "model" / "MODEL_CARD.md").read_text()

    # stored figures from before the AUC's floor: evaluate widens them as the card does
    stored_file = project / "runs" / str(run_id) / "evaluation.json"
    stored = json.loads(stored_file.read_text())
    stored["roc_auc"] = {"value": 1.0, "low": 1.0, "high": 1.0}
    stored_file.write_text(json.dumps(stored))
    smaller = min(sum(row) for row in stored["confusion"])
    assert evaluate(project, run_id)["roc_auc"]["low"] == pytest.approx(
        smaller / (smaller + 1.959964**2)
    )


def test_test_items_recorded_without_a_hash_are_said_to_be_unchecked(tmp_path):
    """A run fine-tuned on items imported before content hashes records None for them:
    evaluate and the card say how many test items could not be checked."""
    project, _, source = pretrained(tmp_path)
    result = finetune(
        FinetuneConfig(project=project, run=source, labels="folders", protocol="linear",
                       baseline=False, n_boot=20, train=quick_train())
    )  # fmt: skip
    run_id = result["run_id"]
    split_file = project / "runs" / str(run_id) / "split.json"
    saved = json.loads(split_file.read_text())
    saved["content"]["test"][:3] = [None, None, None]  # as recorded for unhashed items
    split_file.write_text(json.dumps(saved))

    again = evaluate(project, run_id, n_boot=20)
    said = f"3 of 8 test items could not be checked for changes since run {run_id} was tested"
    assert again["data_unchecked"]["test"] == 3 and said in again["note"]
    assert "data_changed" not in again
    assert {k: v for k, v in again.items() if k not in ("note", "data_unchecked")} == {
        k: v for k, v in result["test"].items() if k != "note"
    }
    export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert said in (tmp_path / "model" / "MODEL_CARD.md").read_text()


def test_a_run_tested_on_items_without_a_hash_says_so_at_once(tmp_path, capsys):
    """Items imported before content hashes were recorded: the run's own report (which
    the command line and the wizard show) says at once that a later evaluate cannot
    check them, beside its note; evaluate then says they could not be checked, once."""
    from ssl_studio.cli_report import print_report
    from ssl_studio.core.evaluation.report_text import unchecked_note

    project, _, source = pretrained(tmp_path)
    db = sqlite3.connect(project / "project.db")
    with db:
        db.execute("UPDATE items SET content_hash = NULL")  # as before schema 6
    db.close()
    result = finetune(
        FinetuneConfig(project=project, run=source, labels="folders", protocol="linear",
                       baseline=False, n_boot=20, train=quick_train())
    )  # fmt: skip
    test = result["test"]
    said = (
        "8 of 8 test items have no content hash (imported before SSL Studio recorded one), "
        "so a later evaluate or export cannot tell whether they changed"
    )
    assert test["data_unchecked"]["test"] == 8 and said in unchecked_note(test)
    assert said not in (test.get("note") or "")  # (the card says it once, in its own words)
    print_report("Fine-tuned", test)
    assert said in capsys.readouterr().out
    again = evaluate(project, result["run_id"], n_boot=20)
    assert unchecked_note(again) is None and "could not be checked" in again["note"]
    print_report("Again", again)
    assert capsys.readouterr().out.count("could not be checked") == 1


def test_evaluate_keeps_the_paired_comparison_of_a_run_tested_on_unhashed_items(tmp_path):
    """The stored report of a run tested on items without a content hash carries
    data_unchecked; evaluating it again (same items, labels, resamples) still shows the
    stored paired comparison with the baseline."""
    project, _, source = pretrained(tmp_path)
    db = sqlite3.connect(project / "project.db")
    with db:
        db.execute("UPDATE items SET content_hash = NULL")
    db.close()
    result = finetune(
        FinetuneConfig(project=project, run=source, labels="folders", protocol="linear",
                       baseline=True, n_boot=20, train=quick_train())
    )  # fmt: skip
    assert result["test"]["versus_baseline"] and "data_unchecked" in result["test"]
    again = evaluate(project, result["run_id"], n_boot=20)
    assert again["versus_baseline"] == result["test"]["versus_baseline"]
    assert "could not be checked" in again["note"]
