"""The ECE's reference: what a perfectly calibrated model would show on the same items
(the ECE is biased upward on few items), stored in the report and shown where the ECE is."""

from __future__ import annotations

import numpy as np

from ssl_studio.cli_report import print_report
from ssl_studio.core.evaluation.calibration import (
    calibrated_ece_draws,
    calibrated_reference,
    calibrated_text,
    expected_calibration_error,
)
from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.export.card_markdown import _metric_rows
from ssl_studio.core.export.card_text import ECE_DEFINITION
from ssl_studio.gui.wizard.results_text import ece_reference, with_interval


def _calibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A perfectly calibrated binary model: y ~ Bernoulli(p)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1, n)
    return (rng.uniform(size=n) < p).astype(np.int64), np.c_[1 - p, p]


def test_a_calibrated_models_ece_is_near_its_reference_and_well_above_zero():
    observed, reference, spread = [], [], []
    for seed in range(30):
        y, proba = _calibrated(100, seed)
        report = classification_report(y, proba, ["a", "b"], n_boot=50, seed=seed)
        observed.append(report["ece"]["value"])
        reference.append(report["ece"]["calibrated"])
        spread.append(calibrated_ece_draws(proba, seed=seed).std())
    tolerance = 3 * np.mean(spread) / np.sqrt(len(observed))  # of the mean of 30 test sets
    assert abs(np.mean(observed) - np.mean(reference)) < tolerance
    assert np.mean(reference) > 2 * np.mean(spread)  # the bias: far from the true ECE 0
    # and a single test set lies within the simulation's spread of its own reference
    assert abs(observed[0] - reference[0]) < 3 * spread[0]


def test_a_miscalibrated_models_ece_is_far_above_its_reference():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)  # a coin
    p = np.where(rng.uniform(size=100) < 0.5, 0.95, 0.05)  # claimed near certainty
    proba = np.c_[1 - p, p]
    draws = calibrated_ece_draws(proba, seed=0)
    observed = expected_calibration_error(y, proba)
    assert observed > draws.mean() + 10 * draws.std()


def test_the_multiclass_reference_draws_labels_from_the_predicted_distribution():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(2000, 3)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in proba])
    draws = calibrated_ece_draws(proba, seed=0)
    assert abs(expected_calibration_error(y, proba) - draws.mean()) < 3 * draws.std()
    assert calibrated_reference(proba, seed=0) == calibrated_reference(proba, seed=0)  # seeded


def test_the_reference_is_shown_beside_the_ece_and_an_old_report_still_renders(capsys):
    y, proba = _calibrated(100, 0)
    report = classification_report(y, proba, ["a", "b"], n_boot=50)
    reference = f"{report['ece']['calibrated']:.3f}"
    [row] = [r for r in _metric_rows(report) if r.startswith("| Calibration error")]
    assert f"a perfectly calibrated model would show about {reference} on these 100 items" in row
    assert "biased upward on few items" in ECE_DEFINITION
    assert reference in ece_reference(report["ece"])  # (the cell stays short)
    assert "perfectly" not in with_interval(report["ece"])
    print_report("Test split", report)
    assert reference in capsys.readouterr().out
    old = {**report, "ece": {k: v for k, v in report["ece"].items() if k != "calibrated"}}
    [row] = [r for r in _metric_rows(old) if r.startswith("| Calibration error")]
    assert "perfectly calibrated" not in row and f"{report['ece']['value']:.3f}" in row
    assert ece_reference(old["ece"]) is None
    print_report("Test split", old)
    assert "perfectly calibrated" not in capsys.readouterr().out


def test_the_reference_shrinks_with_more_items():
    _, proba = _calibrated(400, 0)
    assert (
        calibrated_reference(proba)["calibrated"]
        < calibrated_reference(proba[:40])["calibrated"] / 2
    )


def test_the_draws_are_the_same_made_in_parts(monkeypatch):
    from ssl_studio.core.evaluation import calibration

    _, proba = _calibrated(1000, 3)
    whole = calibrated_ece_draws(proba, seed=5)
    monkeypatch.setattr(calibration, "DRAWN_AT_ONCE", 7 * 1000)  # 7 draws at a time
    assert np.allclose(calibrated_ece_draws(proba, seed=5), whole, rtol=0, atol=1e-12)


def test_the_95th_percentile_of_the_draws_is_stored_and_judges_the_ece():
    """The report kept only the mean of the draws, and the card said "well above that
    reference" without saying how far is too far."""
    y, proba = _calibrated(100, 0)
    report = classification_report(y, proba, ["a", "b"], n_boot=20)
    top = np.percentile(calibrated_ece_draws(proba, seed=0), 95)
    assert report["ece"]["calibrated_95"] == top > report["ece"]["calibrated"]
    [row] = [r for r in _metric_rows(report) if r.startswith("| Calibration error")]
    judged = f"what 95 % of perfectly calibrated draws reach, {top:.3f}"
    calibrated_ok = report["ece"]["value"] <= top
    assert f"this ECE is {'not above' if calibrated_ok else 'above'} {judged}" in row
    assert f"a perfectly calibrated model: ~{report['ece']['calibrated']:.3f}; " in (
        ece_reference(report["ece"])
    )
    rng = np.random.default_rng(0)
    coin = rng.integers(0, 2, 100)
    p = np.where(rng.uniform(size=100) < 0.5, 0.95, 0.05)  # claimed near certainty
    wrong = classification_report(coin, np.c_[1 - p, p], ["a", "b"], n_boot=20)
    [row] = [r for r in _metric_rows(wrong) if r.startswith("| Calibration error")]
    assert "this ECE is above what 95 % of perfectly calibrated draws reach" in row
    assert "; above what 95 % of perfectly calibrated draws reach, " in ece_reference(wrong["ece"])
    assert "above what 95 % of perfectly calibrated draws reach" in ECE_DEFINITION
    assert "several images of one patient make a calibrated model's ECE larger" in ECE_DEFINITION


def test_a_report_without_the_95th_percentile_renders_as_before_and_patients_are_caveated():
    y, proba = _calibrated(100, 0)
    report = classification_report(y, proba, ["a", "b"], n_boot=20)
    old = {**report, "ece": {k: v for k, v in report["ece"].items() if k != "calibrated_95"}}
    reference = f"{report['ece']['calibrated']:.3f}"
    assert calibrated_text(old["ece"], 100) == (
        f"a perfectly calibrated model would show about {reference} on these 100 items"
    )
    assert ece_reference(old["ece"]) == f"a perfectly calibrated model: ~{reference}"
    groups = np.repeat(np.arange(20), 5)  # 5 images a patient
    by_patient = classification_report(y, proba, ["a", "b"], n_boot=20, groups=groups)
    said = calibrated_text(by_patient["ece"], 100, by_patient["patients"])
    assert said.endswith(
        "; the reference assumes independent items: several images of one patient make a "
        "calibrated model's ECE larger than it"
    )
    assert "independent" not in calibrated_text(report["ece"], 100, report.get("patients"))
