"""No winner is named on a handful of test patients: with fewer than MIN_BOOT_PATIENTS
the resamples draw items, ten images of a patient count as ten tests, and two equal
models were called apart far more often than 2.5 % (the audit's experiment e1)."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.evaluation.comparison import paired_difference_of, too_few_patients, verdict
from ssl_studio.core.evaluation.metrics import bootstrapped, classification_report, report_of
from ssl_studio.core.export.card_text import baseline_comparison

CLASSES = ["normal", "pneumonia"]


def _patients(patients: int, images: int, rng: np.random.Generator):
    """y, groups and a score per item: half the patients of each class, a patient's own
    effect shared by all their images (the images of a patient are no independent tests)."""
    label = (np.arange(patients) >= patients // 2).astype(int)
    effect = label + rng.normal(0, 1.5, patients)
    y, groups = np.repeat(label, images), np.repeat(np.arange(patients), images)
    return y, groups, np.repeat(effect, images) + rng.normal(0, 0.3, patients * images)


def _proba(score: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-score))
    return np.stack([1 - p, p], 1)


def _card_sentence(y, groups, tuned, scratch) -> str:
    """The card's comparison of two models' probabilities, made as the fine-tune job
    makes it (the reports and the paired bootstrap of their own resamples)."""
    a = bootstrapped(y, _proba(tuned), n_boot=200, groups=groups)
    b = bootstrapped(y, _proba(scratch), n_boot=200, groups=groups)
    test = report_of(a, CLASSES) | {"versus_baseline": paired_difference_of(a, b)}
    return baseline_comparison(test, report_of(b, CLASSES))


def test_equal_models_on_eight_patients_are_never_told_apart():
    said = []
    for trial in range(30):  # the old verdict: "pretraining helped" in about 3 of 10
        rng = np.random.default_rng(100 + trial)
        y, groups, score = _patients(8, 10, rng)
        tuned = score + np.repeat(rng.normal(0, 1.0, 8), 10)  # equal in expectation
        scratch = score + np.repeat(rng.normal(0, 1.0, 8), 10)
        said.append(_card_sentence(y, groups, tuned, scratch))
    assert not any("pretraining helped" in s or "did better" in s for s in said)
    assert all("too few test patients (8) to tell the two models apart" in s for s in said)
    assert all("more patients in the test split, or use cross-validation" in s for s in said)


def test_twenty_patients_with_a_real_difference_still_get_a_verdict():
    rng = np.random.default_rng(0)
    y, groups, _ = _patients(20, 10, rng)
    tuned = 4.0 * (y - 0.5) + rng.normal(0, 0.5, len(y))  # ranks nearly every pair right
    scratch = np.repeat(rng.normal(0, 1.0, 20), 10)  # a patient's chance score
    sentence = _card_sentence(y, groups, tuned, scratch)
    assert "pretraining helped, on these test patients, for this run and its baseline" in sentence
    assert "too few" not in sentence and "other seeds or label draws may differ" in sentence


def test_items_without_patients_keep_their_verdict():
    rng = np.random.default_rng(1)
    y = np.arange(80) % 2
    tuned = 4.0 * (y - 0.5) + rng.normal(0, 0.5, 80)
    sentence = _card_sentence(y, None, tuned, rng.normal(0, 1.0, 80))
    assert "pretraining helped" in sentence


def test_too_few_patients_reads_reports_and_their_absence():
    y, groups = np.repeat([0, 1], 40), np.repeat(np.arange(8), 10)
    report = classification_report(y, _proba(y - 0.5), CLASSES, n_boot=0, groups=groups)
    assert too_few_patients(report) == 8
    assert too_few_patients({"n": 80}) is None  # a report made before patients were kept
    assert too_few_patients({"n": 80, "patients": 12}) is None
    assert too_few_patients({"n": 6, "patients": 6}) is None  # one item each: items
    entry = {"value": 0.2, "low": 0.1, "high": 0.3}
    assert verdict(entry, entry, entry, "roc_auc") == "Pretraining helped"
    assert verdict(entry, entry, entry, "roc_auc", few_patients=8).startswith("Too few")
