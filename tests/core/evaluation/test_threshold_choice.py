"""A threshold chosen on few validation positives or negatives is kept, but said to be
uncertain: its sensitivity on other items can be far from the one it reached."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.evaluation.threshold import pick_threshold, threshold_choice
from ssl_studio.core.export.card_text import decision_sentence
from ssl_studio.gui.wizard.results_text import threshold_text


def test_few_validation_patients_get_a_note_counted_in_patients():
    y, groups = np.repeat([0, 1], 15), np.repeat(np.arange(6), 5)  # 3 patients a class
    choice = threshold_choice("sensitivity:0.9", y, groups)
    assert (choice["val_items"], choice["val_positives"], choice["val_negatives"]) == (30, 3, 3)
    assert choice["val_counted"] == "patients"
    assert choice["note"].startswith(
        "The threshold was chosen on only 3 positive and 3 negative validation patients: "
        "expect the test sensitivity and specificity to differ"
    )


def test_items_without_patients_are_counted_as_items_and_enough_get_no_note():
    y = np.repeat([0, 1], 12)
    choice = threshold_choice("youden", y, None)
    assert (choice["val_positives"], choice["val_counted"]) == (12, "items")
    assert "note" not in choice
    unnamed = -1 - np.arange(24)  # groups without patient IDs: items of their own
    assert threshold_choice("youden", y, unnamed)["val_counted"] == "items"


def test_fewer_than_ten_on_one_side_gets_a_note_with_only_on_that_side():
    """Both classes present, one of them under MIN_THRESHOLD_SUPPORT (the old test's
    ``np.r_[y, 1][-9:]`` held 9 positives and no negative: a refused case)."""
    few_positives = threshold_choice("youden", np.array([0] * 20 + [1] * 9), None)
    assert (few_positives["val_positives"], few_positives["val_negatives"]) == (9, 20)
    assert "chosen on only 9 positive and 20 negative validation items:" in (few_positives["note"])
    few_negatives = threshold_choice("youden", np.array([0] * 4 + [1] * 25), None)
    assert "chosen on 25 positive and only 4 negative validation items:" in (few_negatives["note"])
    assert "note" not in threshold_choice("youden", np.array([0] * 10 + [1] * 10), None)


def test_youden_ties_go_to_the_highest_threshold():
    y, p = np.array([1, 0, 1, 0]), np.array([0.9, 0.7, 0.5, 0.3])
    assert pick_threshold(y, p, "youden") == 0.9  # J = 1/2 at 0.9 and at 0.5


def _card(choice):
    sensitivity = {"value": 0.75, "low": 0.5, "high": 0.9}
    return {
        "positive_class": "pneumonia",
        "threshold": 0.31,
        "threshold_choice": choice,
        "metrics": {"test": {"sensitivity": sensitivity}},
    }


def test_the_card_says_what_the_threshold_reached_on_validation_and_on_test():
    y, groups = np.repeat([0, 1], 15), np.repeat(np.arange(6), 5)
    said = decision_sentence(_card(threshold_choice("sensitivity:0.9", y, groups)))
    assert "keeps the sensitivity" not in said
    assert (
        "as the highest one that reached a sensitivity of 0.9 or more on the 3 validation "
        "positive patients"
    ) in said
    assert "On the test items its sensitivity is 0.750 [0.500, 0.900]." in said
    assert "chosen on only 3 positive and 3 negative validation patients" in said
    youden = decision_sentence(_card(threshold_choice("youden", y, groups)))
    assert "largest on them (3 positive and 3 negative patients; Youden's J);" in youden
    old_youden = decision_sentence(_card({"method": "youden", "val_items": 20}))
    assert "was largest on them (Youden's J); its exact value" in old_youden
    old = decision_sentence(_card({"method": "sensitivity:0.9", "val_items": 20}))
    assert "reached a sensitivity of 0.9 or more on them;" in old and "only" not in old


def test_the_wizard_says_the_counts_and_the_note():
    y = np.repeat([0, 1], 4)
    test = {"threshold": 0.31, "threshold_choice": threshold_choice("youden", y, None)}
    text = threshold_text(test, {})
    assert "on 8 validation items (4 positive and 4 negative items)." in text
    assert "chosen on only 4 positive and 4 negative validation items" in text
