"""The Wilson sizes of a report (the floor of every ROC AUC interval, a proportion all
resamples agree on, a reliability bin) count the patients of the items concerned, not
their items scaled by the overall patients per item: classes can have very different
patients per item (50 positive images of 2 patients beside 50 negative ones of 48)."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.evaluation.bootstrap import wilson
from ssl_studio.core.evaluation.metrics import bootstrapped, classification_report


def _perfect(y: np.ndarray) -> np.ndarray:
    p = np.where(y == 1, 0.9, 0.1)
    return np.stack([1 - p, p], 1)


def _low(n: int) -> float:
    return pytest.approx(wilson(1.0, n)[0])


def test_few_positive_patients_of_many_images_are_few_tests():
    y = np.repeat([1, 0], 50)  # 50 positive images of 2 patients, 50 negative of 48
    groups = np.concatenate([np.arange(50) % 2, 2 + np.arange(50) % 48])
    report = classification_report(y, _perfect(y), ["normal", "finding"], groups=groups)
    assert report["roc_auc"]["low"] == _low(2)  # 0.342, not Wilson at 25: 0.867
    assert report["roc_auc"]["low"] < 0.35
    for row in report["per_class"]:
        assert row["roc_auc"]["low"] == _low(2)
    assert report["sensitivity"]["low"] == _low(2)
    assert report["specificity"]["low"] == _low(48)
    assert report["accuracy"]["low"] == _low(50)
    assert report["balanced_accuracy"]["low"] == _low(2)
    positive, negative = report["per_class"][1], report["per_class"][0]
    assert positive["sensitivity"]["low"] == positive["precision"]["low"] == _low(2)
    assert negative["sensitivity"]["low"] == negative["precision"]["low"] == _low(48)
    bins = {row["low"]: row["observed"]["low"] for row in report["reliability"]}
    assert bins[0.8] == _low(2) and bins[0.0] == pytest.approx(0.0)
    scored = bootstrapped(y, _perfect(y), n_boot=200, groups=groups)
    assert scored.by_patient
    assert scored.class_patients.tolist() == [48, 2]
    assert scored.rest_patients.tolist() == [2, 48]


def test_many_positive_patients_of_one_image_each_are_many_tests():
    y = np.repeat([1, 0], [10, 90])  # 10 positives of 10 patients, 90 negatives of 10
    groups = np.concatenate([np.arange(10), 10 + np.arange(90) % 10])
    report = classification_report(y, _perfect(y), ["normal", "finding"], groups=groups)
    assert report["resampled"] == "patients"
    assert report["roc_auc"]["low"] == _low(10)  # not Wilson at 2: 0.342
    assert report["per_class"][0]["roc_auc"]["low"] == _low(10)
    assert report["sensitivity"]["low"] == report["specificity"]["low"] == _low(10)
    assert report["accuracy"]["low"] == _low(20)


def test_one_vs_rest_floor_takes_the_fewer_patients_of_either_side():
    y = np.repeat([0, 1, 2], [30, 30, 3])  # class 2: 3 images of 1 patient
    groups = np.concatenate([np.arange(30), 30 + np.arange(30), [60, 60, 60]])
    proba = np.eye(3)[y] * 0.8 + 0.2 / 3
    report = classification_report(y, proba, ["a", "b", "c"], groups=groups)
    assert report["roc_auc"]["low"] == _low(1)  # macro: the smallest class's patients
    assert [row["roc_auc"]["low"] for row in report["per_class"]] == [_low(30), _low(30), _low(1)]


def test_a_report_resampled_by_items_is_unchanged():
    y = np.repeat([1, 0], [5, 45])
    alone = classification_report(y, _perfect(y), ["normal", "finding"])
    one_each = classification_report(
        y, _perfect(y), ["normal", "finding"], groups=np.arange(50)[::-1]
    )
    counted = {"patients": 50, "class_patients": [45, 5]}  # named: said, the rest the same
    assert {k: one_each.pop(k) for k in counted} == counted and "patients" not in alone
    assert alone == one_each and alone["resampled"] == "items"
    assert alone["roc_auc"]["low"] == pytest.approx(5 / (5 + 1.959964**2))  # 0.566, as before
    assert alone["sensitivity"]["low"] == _low(5) and alone["specificity"]["low"] == _low(45)
    assert alone["per_class"][0]["precision"]["low"] == _low(45)
