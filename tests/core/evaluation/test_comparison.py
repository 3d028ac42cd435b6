"""The paired bootstrap of two models on the same test items, and the one verdict."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.comparison import paired_difference_of, verdict
from ssl_studio.core.evaluation.metrics import (
    bootstrap_weights,
    bootstrapped,
    classification_report,
)


def paired_difference(y, proba_a, proba_b, *, threshold_a=None, threshold_b=None, **same):
    """The paired difference of two models' probabilities (bootstrapped with the same
    seed, n_boot and groups ``same``)."""
    return paired_difference_of(
        bootstrapped(y, proba_a, threshold=threshold_a, **same),
        bootstrapped(y, proba_b, threshold=threshold_b, **same),
    )


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


def _old_paired_difference(y, proba_a, proba_b, n_boot, seed, groups=None):
    """The paired comparison as it was before it read the reports' resamples: both
    models' resamples scored again (kept here to prove the figures did not move)."""
    from ssl_studio.core.evaluation.bootstrap import interval
    from ssl_studio.core.evaluation.metrics import (
        SCALARS,
        point_metrics,
        resampled_metrics,
        resampling_units,
    )

    _, by_patient = resampling_units(len(y), groups)
    weights = bootstrap_weights(len(y), n_boot, seed, groups if by_patient else None)
    a, b = point_metrics(y, proba_a), point_metrics(y, proba_b)
    sa, sb = resampled_metrics(y, proba_a, weights), resampled_metrics(y, proba_b, weights)
    out = {}
    for name in SCALARS:
        value = None if a[name] is None or b[name] is None else a[name] - b[name]
        out[name] = interval(value, sa[name] - sb[name])
    return out


@pytest.mark.parametrize("groups", [None, np.arange(200) // 4])
def test_the_comparison_of_the_reports_resamples_has_the_same_figures(groups):
    """The fine-tune job compares the two reports' own resamples: every figure is the
    one the comparison made when it scored both models again (bit for bit)."""
    from ssl_studio.core.evaluation.comparison import paired_difference_of
    from ssl_studio.core.evaluation.metrics import bootstrapped, report_of

    y, a, b = _two_models()
    scored_a = bootstrapped(y, a, n_boot=300, seed=5, groups=groups)
    scored_b = bootstrapped(y, b, n_boot=300, seed=5, groups=groups)
    reused = paired_difference_of(scored_a, scored_b)
    old = _old_paired_difference(y, a, b, 300, 5, groups)
    for name, entry in old.items():
        assert reused[name] == entry, name
    # and the report made from the same scores is the report of the plain call
    report = report_of(scored_a, ["n", "p"])
    assert report == classification_report(y, a, ["n", "p"], n_boot=300, seed=5, groups=groups)


def test_a_comparison_of_different_resamples_is_refused():
    from ssl_studio.core.evaluation.comparison import paired_difference_of
    from ssl_studio.core.evaluation.metrics import bootstrapped

    y, a, b = _two_models()
    with pytest.raises(ConfigError, match="same items"):
        paired_difference_of(
            bootstrapped(y, a, n_boot=50, seed=1), bootstrapped(y, b, n_boot=50, seed=2)
        )


def test_a_fine_tune_with_baseline_scores_each_models_resampled_auc_once(monkeypatch):
    """Two reports and their paired comparison: one AUC pass over the resamples per model
    (binary: class 0's one-vs-rest AUC is class 1's mirror); K passes for K classes."""
    from ssl_studio.core.evaluation import metrics
    from ssl_studio.core.evaluation.comparison import paired_difference_of

    calls = []
    real = metrics._weighted_auc
    monkeypatch.setattr(metrics, "_weighted_auc", lambda *args: calls.append(1) or real(*args))
    y, a, b = _two_models()
    scored_a = metrics.bootstrapped(y, a, n_boot=100)
    scored_b = metrics.bootstrapped(y, b, n_boot=100)
    metrics.report_of(scored_a, ["n", "p"]), metrics.report_of(scored_b, ["n", "p"])
    paired_difference_of(scored_a, scored_b)
    assert len(calls) == 2
    calls.clear()
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(3), 90)
    metrics.classification_report(np.arange(90) % 3, proba, list("abc"), n_boot=20)
    assert len(calls) == 3


def test_class_zeros_resampled_auc_is_the_mirror_of_class_ones():
    from ssl_studio.core.evaluation.metrics import _weighted_auc, resampled_metrics

    y, a, _ = _two_models()
    weights = bootstrap_weights(len(y), 200, 0)
    each = resampled_metrics(y, a, weights)["class_roc_auc"]
    own = _weighted_auc(y == 0, a[:, 0], weights)  # class 0 scored on its own
    np.testing.assert_allclose(each[:, 0], own, rtol=1e-12)
    report = classification_report(y, a, ["n", "p"], n_boot=200)
    zero, one = (report["per_class"][c]["roc_auc"] for c in (0, 1))
    assert zero["value"] == pytest.approx(one["value"])
    assert (zero["low"], zero["high"]) == (one["low"], one["high"])
