"""The macro figures of more than two classes that every resample gives at 0 or 1 get a
Wilson floor, as the binary figures do (wilson_sizes.py): macro sensitivity the same
interval as the balanced accuracy it equals, macro F1 the same (1 or 0 exactly when the
balanced accuracy is), macro specificity that of the smallest rest of a class; counted
in patients where items share them. Two classes keep their rules; the paired
comparison and stored reports agree."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.evaluation.auc_floor import with_floors
from ssl_studio.core.evaluation.bootstrap import wilson
from ssl_studio.core.evaluation.comparison import paired_difference_of
from ssl_studio.core.evaluation.metrics import (
    NO_SPREAD,
    bootstrapped,
    classification_report,
    interval_text,
)
from ssl_studio.core.evaluation.wilson_sizes import proportion_size

MACRO = ("sensitivity", "specificity", "f1")


def _perfect(y: np.ndarray, k: int) -> np.ndarray:
    return np.eye(k)[y] * 0.9 + 0.1 / k


def test_a_perfect_four_class_model_gets_wilson_floors_not_zero_width():
    y = np.repeat(np.arange(4), [5, 6, 7, 8])  # 26 items, smallest class 5, rest >= 18
    report = classification_report(y, _perfect(y, 4), list("abcd"), n_boot=300)
    assert report["balanced_accuracy"]["low"] == pytest.approx(wilson(1.0, 5)[0])
    # macro sensitivity is the balanced accuracy: one figure, one interval
    assert report["sensitivity"] == report["balanced_accuracy"]
    assert report["f1"] == report["balanced_accuracy"]
    assert report["specificity"]["low"] == pytest.approx(wilson(1.0, 26 - 8)[0])
    for name in MACRO:
        entry = report[name]
        assert entry["value"] == entry["high"] == 1.0 and entry["low"] < 1.0, name
        assert interval_text(entry) != NO_SPREAD, name
    assert "macro sensitivity and macro F1 the smallest class" in report["interval_method"]


def test_an_all_wrong_three_class_model_gets_a_floor_above_zero():
    y = np.repeat(np.arange(3), 6)
    wrong = _perfect((y + 1) % 3, 3)  # every item called the next class
    report = classification_report(y, wrong, list("abc"), n_boot=300)
    for name in ("balanced_accuracy", "sensitivity", "f1"):
        entry = report[name]
        assert entry["value"] == entry["low"] == 0.0, name
        assert entry["high"] == pytest.approx(wilson(0.0, 6)[1]), name


def test_patients_count_the_floors_where_items_share_them():
    # 15 patients: class a 4 of 3 images, b 5 of 2, c 6 of 2 (34 images)
    sizes = {0: (4, 3), 1: (5, 2), 2: (6, 2)}
    y = np.concatenate([np.full(p * n, c) for c, (p, n) in sizes.items()])
    groups = np.concatenate([np.repeat(np.arange(p) + 10 * c, n) for c, (p, n) in sizes.items()])
    report = classification_report(y, _perfect(y, 3), list("abc"), n_boot=300, groups=groups)
    assert report["resampled"] == "patients"
    assert report["sensitivity"]["low"] == pytest.approx(wilson(1.0, 4)[0])  # a's 4
    assert report["f1"] == report["balanced_accuracy"] == report["sensitivity"]
    # the smallest rest: beside c, the 9 patients of a and b
    assert report["specificity"]["low"] == pytest.approx(wilson(1.0, 9)[0])


def test_two_classes_keep_their_rules_and_the_f1_gets_the_smaller_class():
    counts, rest = np.array([7, 5]), np.array([5, 7])
    assert proportion_size("sensitivity", counts, rest, 12) == 5
    assert proportion_size("specificity", counts, rest, 12) == 7
    assert proportion_size("f1", counts, rest, 12) == 5  # 1 when all right: the smaller class
    assert proportion_size("ece", counts, rest, 12) == 0
    y = np.array([0] * 7 + [1] * 5)
    report = classification_report(y, _perfect(y, 2), ["n", "p"], n_boot=100)
    assert report["sensitivity"]["low"] == pytest.approx(wilson(1.0, 5)[0])
    assert report["specificity"]["low"] == pytest.approx(wilson(1.0, 7)[0])
    assert report["f1"]["low"] == pytest.approx(wilson(1.0, 5)[0])  # never [1.000, 1.000]


def test_paired_macro_sensitivity_is_the_paired_balanced_accuracy():
    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(3), 10)

    def noisy(strength: float) -> np.ndarray:
        logits = rng.normal(0, 1, (len(y), 3)) + strength * np.eye(3)[y]
        return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    a = bootstrapped(y, noisy(2.0), n_boot=200, seed=1)
    b = bootstrapped(y, noisy(0.5), n_boot=200, seed=1)
    paired = paired_difference_of(a, b)
    assert paired["sensitivity"] == paired["balanced_accuracy"]
    # both perfect: both differences are "not estimable" alike
    c = bootstrapped(y, _perfect(y, 3), n_boot=200, seed=1)
    both = paired_difference_of(c, c)
    assert both["sensitivity"] == both["balanced_accuracy"]
    assert both["sensitivity"]["not_estimable"]


def test_a_stored_multiclass_report_of_no_width_gets_the_floors_made_now():
    y = np.repeat(np.arange(3), [4, 6, 8])
    made = classification_report(y, _perfect(y, 3), list("abc"), n_boot=100)
    stored = {
        "n": 18,
        "resampled": "items",
        "confusion": made["confusion"],
        **{
            name: {"value": 1.0, "low": 1.0, "high": 1.0}
            for name in ("accuracy", "balanced_accuracy", *MACRO)
        },
    }
    shown = with_floors(stored)
    for name in ("accuracy", "balanced_accuracy", *MACRO):
        assert shown[name] == pytest.approx(made[name]), name
        assert shown[name]["low"] < 1.0, name
