"""The card's split line and its note on pretraining say how the run was really scored
(cross-validation or one held-out split, grouped by patient or not), and class names
cannot break its lists or tables."""

from __future__ import annotations

from types import SimpleNamespace

from ssl_studio.core.export.card_markdown import _data_lines, _label_counts
from ssl_studio.core.export.card_text import (
    choices_sentence,
    class_counts,
    confusion_rows,
    pretraining_sentence,
)
from ssl_studio.core.export.job import _data_facts
from ssl_studio.core.project.split_file import parsed_split

SINGLE = {"test_fraction": 0.2, "val_fraction": 0.0, "group_by_patient": True, "seed": 3}


def card(config, split=None, patients=12):
    data = {"dataset": "x-rays", "pretraining_dataset": "x-rays"}
    if split is not None:
        data["split"] = split
    training = {"pretext_task": "simclr", "config": config, "train_patients": patients}
    return {"data": data, "training": training}


def test_the_split_line_follows_the_folds_the_run_used_not_the_folds_option():
    # --folds 0 (automatic) that chose 2-fold cross-validation: it said "20 % held out"
    automatic = card({**SINGLE, "folds": 0}, {"folds": 2, "scored_items": 100})
    assert _data_lines(automatic)[1] == (
        "- Split: 2-fold cross-validation, stratified by class (patients kept apart), seed 3."
    )
    # --folds 1 (one held-out split): it said "1-fold cross-validation"
    forced = card({**SINGLE, "folds": 1}, {"folds": 0, "scored_items": 20})
    assert _data_lines(forced)[1].startswith("- Split: 20 % of the labeled items held out")
    # a card written before the split was recorded: as configured, 1 meaning one split
    assert _data_lines(card({**SINGLE, "folds": 1}))[1].startswith("- Split: 20 % of")
    assert "3-fold cross-validation" in _data_lines(card({**SINGLE, "folds": 3}))[1]


def test_without_patient_ids_the_split_line_says_it_went_by_item():
    lines = _data_lines(card({**SINGLE, "folds": 1}, {"folds": 0}, patients=None))
    assert "(split by item: no file had a patient ID)" in lines[1]
    assert "patients kept apart" not in lines[1]


def test_under_cross_validation_every_scored_item_counts_for_the_pretraining_note():
    store = SimpleNamespace(datasets=lambda: [{"id": 1, "name": "x-rays"}])
    run, source = {"dataset_id": 1}, {"dataset_id": 1, "kind": "pretrain", "fingerprint": {}}
    items = [{"id": i, "cache_file": 0, "cache_index": i, "modality": "DX"} for i in range(1, 11)]
    split = parsed_split(
        {"train": list(range(1, 11)), "test": [], "folds": [[1, 2, 3], [4, 5, 6, 7]]}
    )  # (as split.json is read: _data_facts takes a SavedSplit)
    facts = _data_facts(store, run, {}, source, split, items)
    assert {k: facts["split"][k] for k in ("folds", "scored_items")} == {
        "folds": 2,
        "scored_items": 7,
    }
    # every fold's scored items, fingerprinted (items imported before content hashes: ids)
    assert facts["split"]["test_fingerprint"]["items"] == 7
    assert facts["split"]["test_fingerprint"]["content"] is False
    assert facts["test_items_in_pretraining"]["test_items"] == 7  # it said "None of the 0"
    assert facts["test_items_in_pretraining"]["in_pretraining"] == 7
    said = pretraining_sentence(
        {
            **facts,
            "test_items_in_pretraining": {**facts["test_items_in_pretraining"], "exact": True},
        }
    )
    assert said.startswith("All of the 7 items scored out-of-fold were among")
    assert "in the fold that scored it" in said


def test_c_is_said_to_be_the_default_when_a_class_had_one_training_label():
    one = choices_sentence("full", {"C": 1.0, "steps": 20}, {"a": 30, "b": 1})
    assert "C = 1 (the default: a class had one training label" in one
    assert "cross-validation on" not in one
    two = choices_sentence("linear", {"C": 0.1}, {"a": 30, "b": 2})
    assert "chosen by cross-validation on the training labels." in two


def test_class_names_with_commas_or_bars_keep_lists_and_tables_whole():
    classes = ["II|III", "x, y"]
    rows = confusion_rows([[3, 1], [0, 2]], classes)
    assert all(row.count(" | ") == 2 for row in (rows[0], rows[2], rows[3]))
    assert rows[0] == "| truth \\ predicted | II\\|III | x, y |"
    report = {"confusion": [[3, 1], [0, 2]], "classes": classes}
    # (escaped as all Markdown in a name is: it reads "II|III")
    assert class_counts(report) == " (“II\\|III” 4, “x, y” 2; prevalence of “x, y” 33 %)"
    assert _label_counts({"train_counts": {"x, y": 5, "z": 4}}) == " (“x, y” 5, “z” 4)"


def test_one_patient_and_one_item_are_singular():
    """ "from 1 patients", "3 items of 1 patients" read wrong."""
    report = {
        "classes": ["normal", "pneumonia"],
        "confusion": [[3, 0], [0, 1]],
        "patients": 2,
        "class_patients": [1, 1],
    }
    assert class_counts(report) == (
        " from 2 patients (normal: 3 items of 1 patient, pneumonia: 1 item of 1 patient; "
        "prevalence of pneumonia 25 %)"
    )
    assert class_counts({**report, "patients": 1, "confusion": [[3, 0], [0, 0]]}).startswith(
        " from 1 patient (normal: 3 items of 1 patient, pneumonia: 0 items of 1 patient"
    )
