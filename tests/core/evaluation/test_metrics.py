"""Metrics agree with scikit-learn, intervals contain the estimate, thresholds are right."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.metrics import (
    SCALARS,
    classification_report,
    expected_calibration_error,
    figure_text,
    metric_title,
    point_metrics,
)
from ssl_studio.core.evaluation.patient_groups import split_groups
from ssl_studio.core.evaluation.per_class import PER_CLASS
from ssl_studio.core.evaluation.threshold import pick_threshold


def binary_case(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, n), 0, 1)
    return y, np.stack([1 - p, p], 1)


def test_binary_metrics_agree_with_scikit_learn():
    y, proba = binary_case()
    m = point_metrics(y, proba, threshold=0.4)
    predicted = (proba[:, 1] >= 0.4).astype(int)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    assert m["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, predicted))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, proba[:, 1]))
    assert m["sensitivity"] == pytest.approx(recall_score(y, predicted))
    assert m["specificity"] == pytest.approx(recall_score(1 - y, 1 - predicted))
    assert m["f1"] == pytest.approx(f1_score(y, predicted))


def test_multiclass_metrics_agree_with_scikit_learn_and_a_hand_specificity():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 150)
    logits = rng.normal(0, 1, (150, 3))
    logits[np.arange(150), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    m = point_metrics(y, proba)
    predicted = proba.argmax(1)
    assert m["accuracy"] == pytest.approx(accuracy_score(y, predicted))
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr"))
    assert m["sensitivity"] == pytest.approx(recall_score(y, predicted, average="macro"))
    assert m["f1"] == pytest.approx(f1_score(y, predicted, average="macro"))
    tnr = [((y != c) & (predicted != c)).sum() / (y != c).sum() for c in range(3)]
    assert m["specificity"] == pytest.approx(np.mean(tnr))


def test_ece_matches_a_hand_computation():
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.95, 0.05], [0.3, 0.7], [0.75, 0.25], [0.65, 0.35]])
    # confidences 0.95 (right), 0.7 (right), 0.75 (wrong), 0.65 (right)
    # bins (0.9,1]: |1 - 0.95| * 1/4; (0.6,0.7]: 0.65 and 0.7 both right: |1 - 0.675| * 2/4;
    # (0.7,0.8]: |0 - 0.75| * 1/4
    expected = 0.05 / 4 + 0.325 * 2 / 4 + 0.75 / 4
    assert expected_calibration_error(y, proba) == pytest.approx(expected)


def test_bootstrap_intervals_contain_the_estimate_and_are_seeded():
    y, proba = binary_case(120)
    report = classification_report(y, proba, ["a", "b"], n_boot=200, seed=3)
    for name in ("accuracy", "balanced_accuracy", "roc_auc", "sensitivity", "f1", "ece"):
        m = report[name]
        assert m["low"] <= m["value"] <= m["high"], name
        assert m["high"] - m["low"] > 0, name
    again = classification_report(y, proba, ["a", "b"], n_boot=200, seed=3)
    assert again["roc_auc"] == report["roc_auc"]
    assert np.array(report["confusion"]).sum() == 120


def test_intervals_resample_patients_not_their_images():
    rng = np.random.default_rng(0)  # 20 patients x 10 images: each patient's images agree
    patient_y = np.repeat([0, 1], 10)
    patient_p = np.clip(0.25 * patient_y + rng.uniform(0, 0.75, 20), 0, 1)
    groups = np.repeat(np.arange(20), 10)
    y = patient_y[groups]
    p = np.clip(patient_p[groups] + rng.normal(0, 0.02, 200), 0, 1)
    proba = np.stack([1 - p, p], 1)
    by_image = classification_report(y, proba, ["a", "b"], n_boot=400)
    by_patient = classification_report(y, proba, ["a", "b"], n_boot=400, groups=groups)
    width = [r["roc_auc"]["high"] - r["roc_auc"]["low"] for r in (by_image, by_patient)]
    assert width[1] > 2 * width[0]  # 20 independent patients, not 200 independent images
    assert (
        by_patient["roc_auc"]["low"]
        <= by_patient["roc_auc"]["value"]
        <= by_patient["roc_auc"]["high"]
    )
    alone = classification_report(y, proba, ["a", "b"], n_boot=400, groups=np.arange(200))
    assert alone["roc_auc"] == by_image["roc_auc"]  # one image per patient: as before
    assert by_patient["resampled"] == "patients" and alone["resampled"] == "items"
    for few in (1, 3):  # too few patients to resample: items, with a note, never zero width
        report = classification_report(y, proba, ["a", "b"], n_boot=400, groups=groups % few)
        assert (
            report["resampled"] == "items"
            and f"Only {few} patient{'s' if few > 1 else ''} among" in report["note"]
        )
        assert report["roc_auc"]["high"] > report["roc_auc"]["low"]


def test_the_calibration_error_interval_holds_its_own_value():
    rng = np.random.default_rng(1)
    for _ in range(30):  # perfectly calibrated models: resampled ECEs all lie above
        p = rng.uniform(0, 1, 200)
        y = (rng.uniform(0, 1, 200) < p).astype(int)
        ece = classification_report(y, np.stack([1 - p, p], 1), ["a", "b"], n_boot=200)["ece"]
        assert ece["low"] <= ece["value"] <= ece["high"]


def test_auc_is_reported_missing_when_the_test_set_has_one_class():
    y = np.zeros(10, int)
    proba = np.tile([0.8, 0.2], (10, 1))
    report = classification_report(y, proba, ["a", "b"], n_boot=20)
    assert report["roc_auc"]["value"] is None and report["accuracy"]["value"] == 1.0


def test_threshold_pickers():
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.7, 0.8, 0.9])
    youden = pick_threshold(y, p, "youden")
    predicted = p >= youden
    sens = predicted[y == 1].mean()
    spec = (~predicted[y == 0]).mean()
    assert sens + spec - 1 == pytest.approx(0.75)  # the best possible here
    t = pick_threshold(y, p, "sensitivity:1.0")
    assert (p[y == 1] >= t).all() and t == pytest.approx(0.4)
    with pytest.raises(ConfigError, match="youden or sensitivity"):
        pick_threshold(y, p, "best")
    with pytest.raises(ConfigError, match="both classes"):
        pick_threshold(np.zeros(4), p[:4])


@pytest.mark.parametrize("classes", [2, 3])
def test_resampled_metrics_with_unit_weights_are_the_point_metrics(classes):
    from ssl_studio.core.evaluation.metrics import resampled_metrics

    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, 90)
    logits = rng.normal(0, 1, (90, classes))
    logits[np.arange(90), y] += 0.8
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    point = point_metrics(y, proba, 0.45 if classes == 2 else None)
    many = resampled_metrics(y, proba, np.ones((1, 90)), 0.45 if classes == 2 else None)
    for name, value in point.items():
        assert many[name][0] == pytest.approx(value), name
    threshold = 0.45 if classes == 2 else None
    report = classification_report(y, proba, list("abc")[:classes], threshold=threshold, n_boot=0)
    for c, entry in enumerate(report["per_class"]):
        for name in PER_CLASS:
            assert many[f"class_{name}"][0, c] == pytest.approx(entry[name]["value"]), name
    # a resample is the original with integer weights: same as repeating the rows
    counts = rng.integers(0, 3, 90).astype(float)
    repeated = np.repeat(np.arange(90), counts.astype(int))
    direct = point_metrics(y[repeated], proba[repeated])
    weighted = resampled_metrics(y, proba, counts[None])
    for name, value in direct.items():
        assert weighted[name][0] == pytest.approx(value), name


def test_the_report_carries_the_roc_curve_for_two_classes():
    y = np.array([0, 0, 1, 1, 0, 1])
    p1 = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    report = classification_report(y, np.c_[1 - p1, p1], ["no", "yes"], n_boot=0)
    fpr, tpr = np.array(report["roc"]["fpr"]), np.array(report["roc"]["tpr"])
    assert fpr[0] == tpr[0] == 0 and fpr[-1] == tpr[-1] == 1
    assert (np.diff(fpr) >= 0).all() and (np.diff(tpr) >= 0).all()
    assert np.trapezoid(tpr, fpr) == pytest.approx(report["roc_auc"]["value"], abs=1e-3)  # 4 dp
    three = classification_report(np.array([0, 1, 2]), np.eye(3), ["a", "b", "c"], n_boot=0)
    assert "roc" not in three  # one curve per pair of classes is not drawn


def test_metric_titles_say_when_they_are_macro_averages():
    assert metric_title("f1", 2) == "F1 (of the positive class)"
    assert metric_title("sensitivity", 2) == "Sensitivity"
    assert metric_title("f1", 3) == "F1 (macro)"
    assert metric_title("roc_auc", 3) == "ROC AUC (macro, one-vs-rest)"
    assert metric_title("accuracy", 3) == "Accuracy"
    assert len({metric_title(name, 3) for name in SCALARS}) == len(SCALARS)
    two = ["normal", "pneumonia"]  # class 1 is the positive one
    assert metric_title("sensitivity", two) == "Sensitivity (recall of pneumonia)"
    assert metric_title("specificity", two) == "Specificity (recall of normal)"
    assert metric_title("f1", ["a", "b", "c"]) == "F1 (macro)"
    assert metric_title("f1", two) == "F1 (of pneumonia, the positive class)"
    assert metric_title("specificity", 3) == "Specificity (macro, mean one-vs-rest)"


def test_intervals_of_a_perfect_multiclass_model_do_not_drop_with_absent_classes():
    # 8 test items, 4 classes: many resamples miss a class; a missing class has no
    # recall, it is not a recall of 0 (which gave sensitivity [0.75, 1.0] here)
    y = np.repeat(np.arange(4), 2)
    proba = np.eye(4)[y] * 0.96 + 0.01
    report = classification_report(y, proba, list("abcd"), n_boot=500)
    # proportions: the Wilson interval of 8 of 8, and of 2 of 2 (the smallest class);
    # the macro means no bootstrap spread either (no recall of 0 for a missing class),
    # so their Wilson floors (wilson_sizes.py): sensitivity and F1 as the balanced
    # accuracy, specificity of the smallest rest (6 items)
    assert report["accuracy"]["low"] == pytest.approx(8 / (8 + 1.959964**2))
    assert report["balanced_accuracy"]["low"] == pytest.approx(2 / (2 + 1.959964**2))
    for name in ("sensitivity", "f1"):
        assert report[name] == report["balanced_accuracy"], name
    assert report["specificity"]["low"] == pytest.approx(6 / (6 + 1.959964**2))


def test_a_perfect_proportion_gets_the_interval_its_count_allows_not_zero_width():
    """40 of 40 normal images right: every bootstrap resample is 40 of 40, so the
    percentile interval was 1.000-1.000, a certainty 40 tests cannot give (Wilson:
    0.912-1.000). A proportion the resamples do vary keeps its bootstrap interval."""
    y = np.repeat([0, 1], 40)
    p = np.where(y == 1, 0.9, 0.1)
    p[40:47] = 0.3  # 7 of 40 pneumonia missed, no normal called pneumonia
    report = classification_report(y, np.stack([1 - p, p], 1), ["normal", "pneumonia"])
    spec, sens = report["specificity"], report["sensitivity"]
    assert spec["value"] == spec["high"] == 1.0
    assert spec["low"] == pytest.approx(40 / (40 + 1.959964**2))  # 0.912
    assert sens["value"] == pytest.approx(33 / 40) and 0.65 < sens["low"] < 0.75
    assert "Wilson" in report["interval_method"] and "1000 resamples" in report["interval_method"]
    patients = np.repeat(np.arange(20), 4)  # 4 images each: 10 patients per class
    by_patient = classification_report(
        y, np.stack([1 - p, p], 1), ["normal", "pneumonia"], groups=patients
    )
    assert by_patient["specificity"]["low"] == pytest.approx(10 / (10 + 1.959964**2))


def test_metrics_that_need_an_absent_class_are_missing_not_zero():
    y = np.array([0, 0, 1, 1, 0])
    proba = np.eye(3)[y] * 0.9 + 0.05
    m = point_metrics(y, proba)  # class 2 never occurs
    assert m["sensitivity"] is None and m["f1"] is None and m["roc_auc"] is None
    # macro specificity follows the same rule (it was averaged over the classes present)
    assert m["specificity"] is None
    assert m["accuracy"] == 1.0 and m["balanced_accuracy"] == 1.0  # of the classes held
    only_negatives = point_metrics(np.zeros(4, int), np.tile([0.9, 0.1], (4, 1)))
    assert only_negatives["sensitivity"] is None and only_negatives["specificity"] == 1.0


def test_items_of_one_class_give_no_balanced_accuracy_nor_f1():
    """9 normal images only: the balanced accuracy was their specificity under another
    name (1.000 [0.701, 1.000]) and F1 of the absent positive class 0.000 [0.000, 0.000];
    both are undefined there, as the AUC and the sensitivity already were."""
    proba = np.tile([0.8, 0.2], (9, 1))
    proba[0] = [0.3, 0.7]  # one called pneumonia
    report = classification_report(np.zeros(9, int), proba, ["normal", "pneumonia"], n_boot=200)
    for name in ("balanced_accuracy", "f1", "roc_auc", "sensitivity"):
        assert report[name]["value"] is None, name
    assert report["specificity"]["value"] == pytest.approx(8 / 9)
    assert report["accuracy"]["value"] == pytest.approx(8 / 9)
    three = classification_report(np.full(6, 2), np.tile([0.1, 0.1, 0.8], (6, 1)), list("abc"))
    assert three["balanced_accuracy"]["value"] is None and three["f1"]["value"] is None


def rare_classes_never_recognised():
    """5 classes, 40/20/8/2/1 test items; the two rarest always called class 0."""
    y = np.array([0] * 40 + [1] * 20 + [2] * 8 + [3] * 2 + [4] * 1)
    predicted = np.where(y >= 3, 0, y)
    proba = np.full((len(y), 5), 0.05)
    proba[np.arange(len(y)), predicted] = 0.8
    return y, proba


def test_balanced_accuracy_resamples_without_a_test_class_are_left_out():
    """A resample lacking class e averaged the other four recalls, dropping e's recall of
    0: balanced accuracy 0.600 [0.600-1.000] where macro sensitivity, the same number,
    gave [0.600-0.600]."""
    y, proba = rare_classes_never_recognised()
    report = classification_report(y, proba, list("abcde"), n_boot=300)
    balanced, macro = report["balanced_accuracy"], report["sensitivity"]
    assert balanced["value"] == pytest.approx(0.6) == macro["value"]
    assert balanced["high"] == pytest.approx(0.6) == macro["high"]
    # on items of only some classes it stays the mean recall of those classes
    some = classification_report(y[:60], proba[:60], list("abcde"), n_boot=100)
    assert some["balanced_accuracy"]["value"] == 1.0 and some["balanced_accuracy"]["low"] < 1


def test_per_class_figures_agree_with_scikit_learn_and_carry_intervals():
    from sklearn.metrics import precision_score

    y, proba = rare_classes_never_recognised()
    report = classification_report(y, proba, list("abcde"), n_boot=300)
    predicted = proba.argmax(1)
    rows = report["per_class"]
    assert [r["class"] for r in rows] == list("abcde")
    assert [r["support"] for r in rows] == [40, 20, 8, 2, 1]
    recall = recall_score(y, predicted, average=None)
    precision = precision_score(y, predicted, average=None, zero_division=0)
    for c, row in enumerate(rows):
        assert row["sensitivity"]["value"] == pytest.approx(recall[c])
        assert row["roc_auc"]["value"] == pytest.approx(roc_auc_score(y == c, proba[:, c]))
        if c < 3:
            assert row["precision"]["value"] == pytest.approx(precision[c])
        for name in PER_CLASS:
            m = row[name]
            if m["value"] is not None:
                assert m["low"] <= m["value"] <= m["high"], (c, name)
    # the rare class the model never recognises: recall 0 with the interval 1 item allows;
    # nothing is ever called d, so its precision is undefined, not 0
    assert rows[3]["sensitivity"]["value"] == 0.0 and rows[3]["sensitivity"]["high"] > 0.5
    assert rows[3]["precision"]["value"] is None
    assert rows[0]["precision"]["low"] < rows[0]["precision"]["value"] < 1
    assert report["absent_classes"] == [] and "ppv" not in report


def test_two_classes_report_ppv_and_npv_at_the_threshold():
    y, proba = binary_case()
    report = classification_report(y, proba, ["normal", "pneumonia"], threshold=0.4)
    predicted = proba[:, 1] >= 0.4
    assert report["ppv"]["value"] == pytest.approx(y[predicted].mean())
    assert report["npv"]["value"] == pytest.approx(1 - y[~predicted].mean())
    for name in ("ppv", "npv"):
        assert report[name]["low"] < report[name]["value"] < report[name]["high"]


def test_scoring_items_of_only_some_classes_records_the_absent_ones():
    y = np.array([1] * 4 + [2] * 3)
    proba = np.full((7, 5), 0.05)
    proba[:, 3] = 0.8  # every item called d: all wrong
    report = classification_report(y, proba, list("abcde"), n_boot=100)
    assert report["absent_classes"] == ["a", "d", "e"]
    for name in ("roc_auc", "sensitivity", "specificity", "f1"):
        assert report[name]["value"] is None, name  # was specificity 0.800 [0.800-0.800]
    assert report["per_class"][0]["sensitivity"]["value"] is None
    assert report["per_class"][3]["precision"]["value"] == 0.0


def test_a_perfect_proportion_s_interval_holds_its_own_value():
    """The Wilson bound of 1.0 came out as 0.9999999999999999: an interval that did not
    hold its value (PPV and per-class figures of a perfect classifier)."""
    from ssl_studio.core.evaluation.bootstrap import interval

    out = interval(1.0, np.ones(50), size=12)
    assert out["low"] < 1.0 and out["high"] == 1.0
    out = interval(0.0, np.zeros(50), size=12)
    assert out["low"] == 0.0 < out["high"]


def test_a_perfect_auc_on_few_items_gets_the_interval_its_smaller_class_allows():
    """5 positives all ranked above 45 negatives: every resample ranks them perfectly,
    so the bootstrap said 1.000 [1.000, 1.000]. Its pairs are not independent tests:
    the interval is that of 5 of 5 (the smaller class), 0.566-1.000, everywhere the
    figure is written; the per-class one-vs-rest AUCs likewise."""
    y = np.array([1] * 5 + [0] * 45)
    p = np.where(y == 1, 0.8, 0.2) + np.linspace(0, 0.01, 50)
    report = classification_report(y, np.stack([1 - p, p], 1), ["normal", "finding"], n_boot=200)
    auc = report["roc_auc"]
    assert auc["value"] == auc["high"] == 1.0
    assert auc["low"] == pytest.approx(5 / (5 + 1.959964**2))  # 0.566
    assert figure_text(auc) == "1.000 [0.566, 1.000]"
    assert "at least as wide as the Wilson interval" in report["interval_method"]
    for row in report["per_class"]:
        assert row["roc_auc"]["low"] == pytest.approx(auc["low"]), row["class"]
    three = np.repeat(np.arange(3), [3, 10, 10])  # macro: the smallest class, 3 items
    macro = classification_report(three, np.eye(3)[three] * 0.9 + 0.1 / 3, list("abc"))
    assert macro["roc_auc"]["low"] == pytest.approx(3 / (3 + 1.959964**2))


def test_an_auc_the_resamples_vary_keeps_its_bootstrap_interval():
    y = np.repeat([0, 1], 30)
    p = np.clip(np.where(y == 1, 0.6, 0.4) + np.random.default_rng(0).normal(0, 0.15, 60), 0, 1)
    report = classification_report(y, np.stack([1 - p, p], 1), ["a", "b"], n_boot=300)
    auc = report["roc_auc"]
    assert auc["low"] < auc["value"] < auc["high"] < 1.0


def test_exact_copies_grouped_without_patient_ids_are_resampled_as_items_not_patients():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 20)
    proba = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    proba = np.stack([1 - proba, proba], 1)
    hashes = [f"h{i}" for i in range(40)]
    hashes[1] = hashes[0]  # one image there twice
    report = classification_report(y, proba, ["a", "b"], n_boot=50, groups=split_groups(hashes))
    assert report["resampled"] == "items" and "resamples of items" in report["interval_method"]
    few = classification_report(
        y[:9], proba[:9], ["a", "b"], n_boot=50, groups=split_groups(hashes[:9])
    )
    assert "note" not in few  # (not "Only 8 patient(s) among the 9 test items")
    keyed = split_groups(hashes, [f"p{i // 2}" for i in range(40)])
    assert (
        classification_report(y, proba, ["a", "b"], n_boot=50, groups=keyed)["resampled"]
        == "patients"
    )
