"""Every ROC AUC interval is at least as wide as the Wilson interval of the AUC as a
proportion of the smaller class's items (the AUC's variance bound, Birnbaum and Klose
1957): continuous in the AUC, so one mis-ranked pair does not make a model look more
certain than a perfect one. Class 0's AUC of two classes mirrors class 1's; a paired
difference with no spread is said not estimable; stored reports get the floor too."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ssl_studio.core.evaluation.auc_floor import with_auc_floor
from ssl_studio.core.evaluation.bootstrap import wilson
from ssl_studio.core.evaluation.comparison import difference_text, paired_difference_of, verdict
from ssl_studio.core.evaluation.metrics import bootstrapped, classification_report
from ssl_studio.core.evaluation.report_text import mean_std_text

FIVE_OF_FIVE = 5 / (5 + 1.959964**2)  # Wilson low of 5 of 5: 0.566


def _five_positives(first: float = 0.9):
    y = np.array([1] * 5 + [0] * 45)
    p = np.r_[np.linspace(0.9, 0.99, 5), np.linspace(0.01, 0.5, 45)]
    p[0] = first
    return y, np.stack([1 - p, p], 1)


def test_one_mis_ranked_pair_is_not_more_certain_than_a_perfect_ranking():
    y, perfect = _five_positives()
    _, one_pair = _five_positives(first=0.499)  # below one negative (0.5)
    a = classification_report(y, perfect, ["n", "p"], n_boot=500)["roc_auc"]
    b = classification_report(y, one_pair, ["n", "p"], n_boot=500)["roc_auc"]
    assert a["value"] == 1.0 and a["low"] == pytest.approx(FIVE_OF_FIVE)
    assert b["value"] == pytest.approx(224 / 225)
    assert b["low"] == pytest.approx(wilson(b["value"], 5)[0])  # 0.561, was 0.978
    assert b["low"] < a["low"] < b["value"] and b["high"] == 1.0


def test_every_auc_interval_holds_the_wilson_interval_of_its_smaller_class():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), [4, 30, 30])
    logits = rng.normal(0, 1, (len(y), 3)) + 3.0 * np.eye(3)[y]
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    report = classification_report(y, proba, list("abc"), n_boot=300)
    low, high = wilson(report["roc_auc"]["value"], 4)
    assert report["roc_auc"]["low"] <= low and report["roc_auc"]["high"] >= high
    for c, row in enumerate(report["per_class"]):
        smaller = min(int((y == c).sum()), int((y != c).sum()))
        low, high = wilson(row["roc_auc"]["value"], smaller)
        assert row["roc_auc"]["low"] <= low + 1e-12 and row["roc_auc"]["high"] >= high - 1e-12


def test_class_zero_auc_mirrors_class_one_even_where_float32_saturates():
    """p0 of two items both round to 1.0 in float32 while p1 still ranks them: class 0's
    point AUC read from p0 was 0.9xx beside an interval of the mirror (from p1)."""
    logit = torch.tensor([8.0, 9.0, 10.0, 11.0, -17.2, -18.5] + [-20.0] * 20)
    proba = torch.softmax(torch.stack([torch.zeros_like(logit), logit], 1), 1).numpy()
    y = np.array([1] * 5 + [0] * 21)
    assert proba[4, 0] == proba[5, 0] and proba[4, 1] > proba[5, 1]
    report = classification_report(y, proba, ["n", "p"], n_boot=100)
    rows = report["per_class"]
    assert rows[0]["roc_auc"] == rows[1]["roc_auc"] == report["roc_auc"]
    assert report["roc_auc"]["value"] == 1.0


def test_two_perfect_models_differ_by_a_figure_that_is_not_estimable():
    y, perfect = _five_positives()
    _, also = _five_positives(first=0.95)
    paired = paired_difference_of(
        bootstrapped(y, perfect, n_boot=200), bootstrapped(y, also, n_boot=200)
    )
    assert paired["roc_auc"]["low"] == paired["roc_auc"]["high"] == 0.0
    said = "not estimable (both rank every test pair correctly)"
    assert paired["roc_auc"]["not_estimable"] == "both rank every test pair correctly"
    assert difference_text(paired["roc_auc"]) == said
    assert difference_text(paired["accuracy"]).startswith("not estimable (both score 1.000")
    assert verdict({"value": 1.0}, {"value": 1.0}, paired["roc_auc"]) == (
        "These test items cannot tell the two apart (both rank every test pair correctly)"
    )  # (it read "within the uncertainty (the interval of the difference includes 0)")


def test_a_stored_report_gets_the_floor_its_confusion_counts_give():
    stored = {
        "n": 50,
        "resampled": "items",
        "confusion": [[45, 0], [0, 5]],
        "roc_auc": {"value": 1.0, "low": 1.0, "high": 1.0},  # from before any floor
        "per_class": [{"class": c, "roc_auc": {"value": 1.0, "low": 1.0, "high": 1.0}}
                      for c in "np"],
    }  # fmt: skip
    floored = with_auc_floor(stored)
    assert floored["roc_auc"]["low"] == pytest.approx(FIVE_OF_FIVE)
    assert all(r["roc_auc"]["low"] == pytest.approx(FIVE_OF_FIVE) for r in floored["per_class"])
    assert with_auc_floor(floored) == floored  # already floored: unchanged
    for said in ("Only 2 patient(s) among", "Only 2 patients among"):  # (older, newer)
        few = {**stored, "note": f"{said} the 50 test items: too few ..."}
        assert with_auc_floor(few)["roc_auc"]["low"] == pytest.approx(wilson(1.0, 1)[0])
    unknown = {**stored, "resampled": "patients"}  # how many patients: not stored
    assert with_auc_floor(unknown) == unknown


def test_one_label_draw_has_no_spread_to_show():
    one = {"mean": 0.9, "std": 0.0, "seeds": [{"value": 0.9, "low": 0.8, "high": 1.0}]}
    two = {"mean": 0.9, "std": 0.02, "seeds": [{"value": 0.88}, {"value": 0.92}]}
    assert mean_std_text(one) == "0.900 ± n/a (1 seed)"
    assert mean_std_text(two) == "0.900 ± 0.020"
    assert mean_std_text({"mean": None}) == "n/a"


@pytest.mark.parametrize("value", [0.0, 1.0, 0.5, 0.1, 1 - 1e-16, 1e-300])
@pytest.mark.parametrize("n", [1, 5, 40, 10**6])
def test_a_wilson_interval_holds_its_value(value, n):
    low, high = wilson(value, n)
    assert 0.0 <= low <= value <= high <= 1.0


def test_a_stored_report_s_perfect_proportions_get_the_interval_made_now():
    """An older report stored accuracy 1.000 [1.000, 1.000] on 12 items (no Wilson rule
    then): the card and evaluate show the interval a report made now gives."""
    from ssl_studio.core.evaluation.auc_floor import OLDER_METHOD, with_floors

    y = np.array([0] * 7 + [1] * 5)
    made = classification_report(y, np.eye(2)[y] * 0.9 + 0.05, ["n", "p"], n_boot=50)
    stored = {
        "n": 12,
        "resampled": "items",
        "confusion": [[7, 0], [0, 5]],
        **{name: {"value": 1.0, "low": 1.0, "high": 1.0}
           for name in ("accuracy", "balanced_accuracy", "sensitivity", "specificity")},
    }  # fmt: skip
    shown = with_floors(stored)
    for name in ("accuracy", "balanced_accuracy", "sensitivity", "specificity"):
        assert shown[name] == pytest.approx(made[name]), name
    assert shown["interval_method"] == OLDER_METHOD
    assert with_floors(shown) == shown
    wide = {**stored, "accuracy": {"value": 0.9, "low": 0.7, "high": 1.0}}  # a bootstrap's
    assert with_floors(wide)["accuracy"] == wide["accuracy"]
    lacking = {k: v for k, v in stored.items() if k != "sensitivity"}  # no such figure
    assert "sensitivity" not in with_floors(lacking)
    recorded = {**stored, "interval_method": "percentile bootstrap"}
    assert with_floors(recorded)["interval_method"] == "percentile bootstrap"
