"""The expected calibration error (ECE) of the top-class confidence, and the ECE a perfectly
calibrated model would show on the same items.

The ECE is biased upward on few items: every bin's |accuracy - confidence| is a mean of few
noisy hits, so even a model whose probabilities are exactly right scores well above 0 (a
calibrated binary model: about 0.11 on 40 items, 0.07 on 100, 0.035 on 400), and a
bootstrap of the ECE, which only adds noise, never reaches down to the true value.
``calibrated_reference`` measures that bias for the items at hand: it draws outcomes from the
model's own probabilities (the truth of a perfectly calibrated model) and averages the
ECE they give, and the 95th percentile of those ECEs: an observed ECE above what 95 % of
perfectly calibrated draws reach speaks against the model's calibration; one below it
does not. The draws take every item's outcome independently: several images of one
patient, whose outcomes go together, make a calibrated model's ECE larger than this
reference.
"""

from __future__ import annotations

import numpy as np

ECE_BINS = 10
CALIBRATED_DRAWS = 200  # simulated test sets of a perfectly calibrated model
DRAWN_AT_ONCE = 2_000_000  # simulated outcomes held at once (16 MB), whatever the test size


def confidence_bins(confidence: np.ndarray, bins: int = ECE_BINS) -> np.ndarray:
    """[N] the equal-width bin (0..bins-1) of each top-class confidence (right-closed)."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)


def expected_calibration_error(y: np.ndarray, proba: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of the top-class confidence in ``bins`` equal-width bins (Guo et al. 2017):
    sum over bins of |accuracy - confidence| weighted by the share of samples in the bin."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    return float(_ece_of(correct[None, :].astype(float), confidence, bins)[0])


def _ece_of(correct: np.ndarray, confidence: np.ndarray, bins: int) -> np.ndarray:
    """[D] the ECE of each row of ``correct`` [D, N] (1 where the top class is right)
    against the one ``confidence`` [N]."""
    onehot = _bin_onehot(confidence, bins)
    gap = correct @ onehot - (onehot * confidence[:, None]).sum(0)  # [D, bins]
    return np.abs(gap).sum(1) / len(confidence)


def _bin_onehot(confidence: np.ndarray, bins: int) -> np.ndarray:
    """[N, bins] 1 where item n's ``confidence`` [N] falls in the bin."""
    onehot = np.zeros((len(confidence), bins))
    onehot[np.arange(len(confidence)), confidence_bins(confidence, bins)] = 1.0
    return onehot


def calibrated_ece_draws(
    proba: np.ndarray, *, draws: int = CALIBRATED_DRAWS, seed: int = 0, bins: int = ECE_BINS
) -> np.ndarray:
    """[draws] the ECE of a perfectly calibrated model with these probabilities [N, K]:
    each draw takes every item's class from its predicted distribution (binary: y ~
    Bernoulli(p)), so the top class is right with probability its own confidence, and
    scores the ECE as ``expected_calibration_error`` does (top label, same bins). Seeded:
    the same probabilities and seed give the same draws."""
    confidence = np.asarray(proba, np.float64).max(axis=1)
    rng = np.random.default_rng(seed)
    at_once = max(1, DRAWN_AT_ONCE // max(1, len(confidence)))  # draws per part
    parts = []
    for start in range(0, draws, at_once):  # the same stream of numbers as all at once
        shape = (min(at_once, draws - start), len(confidence))
        parts.append(_ece_of((rng.random(shape) < confidence).astype(float), confidence, bins))
    return np.concatenate(parts)


def calibrated_reference(proba: np.ndarray, *, seed: int = 0) -> dict[str, float]:
    """What the report stores beside the ECE from the same draws: {"calibrated": their
    mean (the bias), "calibrated_95": their 95th percentile (an ECE above it speaks
    against the calibration)}."""
    draws = calibrated_ece_draws(proba, seed=seed)
    return {
        "calibrated": float(draws.mean()),
        "calibrated_95": float(np.percentile(draws, 95)),
    }


def resampled_ece(
    y: np.ndarray, proba: np.ndarray, weights: np.ndarray, total: np.ndarray
) -> np.ndarray:
    """[B] the ECE of each bootstrap resample (``weights`` [B, N] item counts, ``total``
    [B] their sums), from weighted bin counts."""
    confidence = proba.max(1)
    correct = (proba.argmax(1) == y).astype(float)
    onehot = _bin_onehot(confidence, ECE_BINS)
    gap = weights @ (onehot * correct[:, None]) - weights @ (onehot * confidence[:, None])
    return np.abs(gap).sum(1) / total


def calibrated_judgement(entry: dict | None) -> str | None:
    """ "above what 95 % of perfectly calibrated draws reach, 0.110" (or "not above ...")
    for an ECE entry holding the 95th percentile of its draws, else None (reports made
    before it was recorded)."""
    top, value = (entry or {}).get("calibrated_95"), (entry or {}).get("value")
    if top is None or value is None:
        return None
    above = "above" if value > top else "not above"
    return f"{above} what 95 % of perfectly calibrated draws reach, {top:.3f}"


def calibrated_text(
    entry: dict | None, n: int | None = None, patients: int | None = None
) -> str | None:
    """ "a perfectly calibrated model would show about 0.068 on these 100 items; this ECE
    is not above what 95 % of perfectly calibrated draws reach, 0.110" for an ECE entry
    holding its reference (the judgement where it holds the 95th percentile too), or
    None (reports made before it was recorded). ``patients``: where fewer than the
    items, that the reference assumes independent items."""
    reference = (entry or {}).get("calibrated")
    if reference is None:
        return None
    on = f" on these {n} items" if n else " on these items"
    said = f"a perfectly calibrated model would show about {reference:.3f}{on}"
    if (judged := calibrated_judgement(entry)) is not None:
        said += f"; this ECE is {judged}"
    if patients is not None and n is not None and patients < n:
        said += f"; {PATIENTS_CAVEAT}"
    return said


PATIENTS_CAVEAT = (
    "the reference assumes independent items: several images of one patient make a "
    "calibrated model's ECE larger than it"
)


ECE_BIAS = (
    "The ECE is biased upward on few items: even a perfectly calibrated model scores above "
    "0, and its bootstrap interval, which only adds noise, does not reach down to the true "
    "value. Beside it stands the ECE such a model would show on the same items (outcomes "
    "drawn from the model's own probabilities, mean of "
    f"{CALIBRATED_DRAWS} draws): only an ECE above what 95 % of perfectly calibrated "
    "draws reach speaks against the calibration. The draws take the items' outcomes as "
    "independent: several images of one patient make a calibrated model's ECE larger "
    "than the reference."
)
