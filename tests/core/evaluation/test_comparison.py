"""The paired bootstrap of two models on the same test items, and the one verdict."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ssl_studio.core.evaluation.comparison import paired_difference, verdict
from ssl_studio.core.evaluation.metrics import bootstrap_weights, classification_report


def _two_models(n: int = 200, errors: int = 30, more: int = 10, seed: int = 0):
    """y [n]; model a wrong on ``errors`` items, model b wrong on those and ``more``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    confidence = rng.uniform(0.6, 0.95, n)
    wrong_a = np.zeros(n, bool)
    wrong_a[rng.choice(n, errors, replace=False)] = True
    wrong_b = wrong_a.copy()
    wrong_b[rng.choice(np.flatnonzero(~wrong_a), more, replace=False)] = True

    def proba(wrong: np.ndarray) -> np.ndarray:
        p1 = np.where((y == 1) ^ wrong, confidence, 1 - confidence)
        return np.stack([1 - p1, p1], 1)

    return y, proba(wrong_a), proba(wrong_b)


def test_the_difference_is_that_of_the_same_resamples_computed_by_hand():
    y, a, b = _two_models(n=40, errors=6, more=3)
    paired = paired_difference(y, a, b, n_boot=200, seed=3)
    weights = bootstrap_weights(len(y), 200, 3)
    acc, auc = [], []
    for w in weights:  # each resample scores both models with the same weights
        right_a, right_b = (a.argmax(1) == y), (b.argmax(1) == y)
        acc.append((w @ right_a - w @ right_b) / w.sum())
        auc.append(
            roc_auc_score(y, a[:, 1], sample_weight=w) - roc_auc_score(y, b[:, 1], sample_weight=w)
        )
    for name, samples in (("accuracy", acc), ("roc_auc", auc)):
        low, high = np.percentile(samples, [2.5, 97.5])
        assert paired[name]["low"] == pytest.approx(low)
        assert paired[name]["high"] == pytest.approx(high)
    assert paired["accuracy"]["value"] == pytest.approx(3 / 40)
    assert paired["resampled"] == "items" and paired["n"] == 40


def test_a_model_against_itself_differs_by_exactly_nothing():
    y, a, _ = _two_models()
    paired = paired_difference(y, a, a.copy(), n_boot=100)
    for name in ("accuracy", "balanced_accuracy", "roc_auc", "f1", "ece"):
        assert paired[name] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert verdict({"value": 0.9}, {"value": 0.9}, paired["roc_auc"]) == (
        "The difference is within the uncertainty"
    )


def test_overlapping_intervals_but_a_paired_difference_above_zero_is_a_gain():
    """b errs wherever a does and on 10 items more: the separate intervals overlap (the
    old rule said "within the uncertainty"), the paired one never reaches 0."""
    y, a, b = _two_models()
    ra, rb = classification_report(y, a, ["n", "p"]), classification_report(y, b, ["n", "p"])
    assert ra["accuracy"]["low"] < rb["accuracy"]["high"]  # the marginal intervals overlap
    assert "helped" not in verdict(ra["accuracy"], rb["accuracy"], None, "accuracy")
    paired = paired_difference(y, a, b)
    assert paired["accuracy"]["value"] == pytest.approx(10 / 200)
    assert paired["accuracy"]["low"] > 0
    assert verdict(ra["accuracy"], rb["accuracy"], paired["accuracy"], "accuracy") == (
        "Pretraining helped"
    )
    backwards = paired_difference(y, b, a)  # the same margin the other way round
    assert verdict(rb["accuracy"], ra["accuracy"], backwards["accuracy"], "accuracy") == (
        "The from-scratch model did better"
    )


def test_lower_calibration_error_is_the_better_one():
    lower = {"value": -0.04, "low": -0.07, "high": -0.01}  # fine-tuned ECE minus scratch's
    tuned, scratch = {"value": 0.05, "low": 0.03, "high": 0.07}, {"value": 0.09}
    assert verdict(tuned, scratch, lower, "ece") == "Pretraining helped"
    assert verdict(tuned, scratch, lower, "roc_auc") == "The from-scratch model did better"
    apart = {"value": 0.20, "low": 0.15, "high": 0.25}  # the old rule, turned round too
    assert verdict(tuned, apart, None, "ece") == "Pretraining helped"


def test_whole_patients_are_resampled_as_the_report_does():
    y, a, b = _two_models(n=60)
    groups = np.arange(60) // 3  # 20 patients of 3 images
    paired = paired_difference(y, a, b, groups=groups, n_boot=50)
    report = classification_report(y, a, ["n", "p"], groups=groups, n_boot=50)
    assert paired["resampled"] == report["resampled"] == "patients"
    assert paired_difference(y, a, b, groups=np.zeros(60), n_boot=50)["resampled"] == "items"
