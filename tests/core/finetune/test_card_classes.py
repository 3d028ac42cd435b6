"""The model card's per-class figures: a table under the metrics with class names made
safe for Markdown, PPV and NPV for two classes, the absent classes said, and older
cards (no per-class figures) rendered as before."""

from __future__ import annotations

import re

import numpy as np

from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.export.card_classes import per_class_markdown
from ssl_studio.core.export.card_markdown import card_markdown
from ssl_studio.core.export.card_text import confusion_rows


def _card(test):
    return {
        "name": "m",
        "not_for_clinical_diagnosis": "Not for clinical diagnosis.",
        "architecture": {"modality": "image", "backbone": "resnet18"},
        "classes": test["classes"],
        "intended_use": "research",
        "limitations": "few labels",
        "training": {
            "protocol": "scratch",
            "pretext_task": None,
            "train_labels": 10,
            "label_set": "labels",
            "fine_tuning_run": 2,
            "data_fingerprint": None,
        },
        "preprocessing": {},
        "metrics": {"test": test, "baseline_from_scratch": None},
        "files": {},
        "parity": {},
        "versions": {},
    }


def _five(subset=False):
    names = ["normal", "benign|cyst", "malign", "rare", "other"]
    if subset:
        y, proba = np.array([1] * 4 + [2] * 3), np.full((7, 5), 0.05)
        proba[:, 3] = 0.8
    else:
        y = np.array([0] * 40 + [1] * 20 + [2] * 8 + [3] * 2 + [4] * 1)
        proba = np.full((len(y), 5), 0.05)
        proba[np.arange(len(y)), np.where(y >= 3, 0, y)] = 0.8
    return classification_report(y, proba, names, n_boot=100)


def test_the_card_has_a_per_class_table_with_safe_class_names():
    text = card_markdown(_card(_five()))
    assert "| class | n | Sensitivity (recall) | Precision (PPV) | ROC AUC (one-vs-rest) |" in text
    assert "| benign\\|cyst | 20 | 1.000 [" in text  # the | does not end the cell
    assert "| rare | 2 | 0.000 [0.000, 0." in text and "| n/a |" in text
    assert "| benign\\|cyst | 0 | 20 |" in text  # the confusion matrix's rows too
    assert "benign\\|cyst |" in confusion_rows([[1, 0], [0, 1]], ["a", "benign|cyst"])[0]
    # the table follows the metrics and the confusion matrix, before the baseline
    assert text.index("Confusion matrix") < text.index("| class | n |") < text.index("baseline")
    assert "No scored items" not in text


def test_the_card_says_which_classes_the_scored_items_lack():
    text = card_markdown(_card(_five(subset=True)))
    assert "No scored items of normal, rare, other (3 of the model's 5 classes)" in text
    assert "| Specificity (macro, mean one-vs-rest) | n/a | |" in text


def test_two_classes_get_ppv_and_npv_and_an_old_report_renders_without_the_table():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 60), 0, 1)
    test = classification_report(y, np.c_[1 - p, p], ["normal", "pneumonia"], threshold=0.4)
    text = card_markdown(_card(test))
    assert "At the operating threshold: PPV (precision of pneumonia) 0." in text
    assert "; NPV (precision of normal) 0." in text
    old = {k: v for k, v in test.items() if k not in ("per_class", "absent_classes", "ppv", "npv")}
    assert per_class_markdown(old) == [] and per_class_markdown(None) == []
    text = card_markdown(_card(old))
    assert "| class | n |" not in text and "PPV" not in text and "| ROC AUC |" in text


def test_a_binary_card_has_the_reliability_table_after_the_test_figures():
    y = np.array([0] * 10 + [1] * 10)
    p = np.linspace(0.02, 0.98, 20)
    test = classification_report(y, np.stack([1 - p, p], 1), ["normal", "finding"], n_boot=20)
    markdown = card_markdown(_card(test))
    assert "Reliability: the scored items grouped by the predicted probability of finding" in (
        markdown
    )
    table = markdown[markdown.index("| predicted p(finding)") :]
    assert "| 0.8 - 1.0 | 4 | 0.904 | 1.000 [0.510, 1.000] |" in table


def test_the_card_gives_the_test_patients_and_where_ppv_and_npv_hold():
    rng = np.random.default_rng(0)
    y, groups = np.repeat([0, 1], 100), np.repeat(np.arange(20), 10)  # 10 patients a class
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    test = classification_report(
        y, np.c_[1 - p, p], ["normal", "pneumonia"], n_boot=50, groups=groups
    )
    assert test["patients"] == 20 and test["class_patients"] == [10, 10]
    text = card_markdown(_card(test))
    assert (
        "Test items: 200 from 20 patients (normal: 100 items of 10 patients, pneumonia: 100 "
        "items of 10 patients; prevalence of pneumonia 50 %)."
    ) in text
    assert "PPV and NPV hold at the test prevalence of pneumonia (50 %)" in text
    alone = classification_report(y, np.c_[1 - p, p], ["normal", "pneumonia"], n_boot=0)
    assert "patients" not in alone and "class_patients" not in alone  # items, no patients
    text = card_markdown(_card(alone))
    assert "Test items: 200 (normal 100, pneumonia 100; prevalence of pneumonia 50 %)." in text


def test_class_dataset_and_label_set_names_are_literal_markdown():
    """A received card's class named like HTML or a Markdown link shows as its name in
    MODEL_CARD.md: no image is fetched, no link is made (in the card, its tables, the
    decision sentence, the label counts and the datasets' names)."""
    evil = '<img src="http://x/b.png">![x](http://x/c.png)'
    link = "[click](file:///etc/passwd)"
    y, proba = np.array([0] * 6 + [1] * 6), np.full((12, 2), 0.2)
    proba[np.arange(12), y] = 0.8
    card = _card(classification_report(y, proba, [evil, link], n_boot=50))
    card["positive_class"] = link
    card["training"]["train_counts"] = {evil: 5, link: 5}
    card["training"]["label_set"] = "`x`<img src=y>"
    card["data"] = {"dataset": "<img src=d>", "pretraining_dataset": "[p](http://x)"}
    card["training"]["pretext_task"] = "simclr"
    card["training"]["pretraining_run"] = 1
    text = card_markdown(card)
    assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(", text), text  # unescaped
    assert '\\<img src="http://x/b.png"\\>\\!\\[x\\](http://x/c.png)' in text
    assert "| \\[click\\](file:///etc/passwd) |" in text  # in the tables


def test_the_training_files_column_names_are_literal_markdown():
    """A series card names the training CSV's columns (channels, header row): a column
    named like HTML or a link shows as its name."""
    y, proba = np.array([0] * 6 + [1] * 6), np.full((12, 2), 0.2)
    proba[np.arange(12), y] = 0.8
    card = _card(classification_report(y, proba, ["a", "b"], n_boot=50))
    card["preprocessing"] = {
        "channel_names": ["<img src=x>", "[a](b)"],
        "channel_matching": "header (<img src=y>, [c](d)), is read as if it had it",
    }
    text = card_markdown(card)
    assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(", text), text
    assert "- channel_names: \\['\\<img src=x\\>', '\\[a\\](b)'\\]" in text


def test_the_prevalence_sentence_escapes_a_class_name_once():
    """The PPV/NPV sentence took names already escaped for Markdown and escaped the
    whole sentence again: "prevalence of covid\\\\\\_19" showed a backslash."""
    y = np.array([0] * 30 + [1] * 30)
    p = np.clip(0.3 * y + np.linspace(0, 0.7, 60), 0, 1)
    test = classification_report(y, np.c_[1 - p, p], ["no_finding", "covid_19"], n_boot=20)
    [said] = [line for line in per_class_markdown(test) if "prevalence" in line]
    assert "test prevalence of covid\\_19 (50 %); where covid\\_19 is more" in said
    assert "\\\\" not in said and "precision of no\\_finding" in said
