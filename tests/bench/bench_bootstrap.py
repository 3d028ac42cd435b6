"""How long the fine-tune job's figures take: two classification reports (the fine-tuned
model and its from-scratch baseline) and their paired comparison, on the same test items.

Baseline, in the same process: the way the job first computed them, each report scoring
its own resamples, then the comparison scoring both models' resamples again, and every
binary report scoring class 0's one-vs-rest AUC besides class 1's (its mirror): 8 passes
of the resampled AUC where 2 do. Ours: each model's resamples scored once
(``bootstrapped``) and read by its report and by the comparison
(``paired_difference_of``). The figures are checked to be the same.

    python tests/bench/bench_bootstrap.py [--sizes 200,1000,2000] [--n-boot 1000]

Prints a table, then one JSON line {"n_boot", "sizes": {N: {"old_s", "new_s",
"speedup"}}}; speedup is old over new.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ssl_studio.core.evaluation import metrics
from ssl_studio.core.evaluation.bootstrap import interval
from ssl_studio.core.evaluation.comparison import paired_difference_of
from ssl_studio.core.evaluation.metrics import (
    SCALARS,
    bootstrap_weights,
    bootstrapped,
    classification_report,
    point_metrics,
    report_of,
    resampling_units,
)

CLASSES = ["normal", "pneumonia"]


def predictions(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """y [n] and two binary models' probabilities [n, 2] (the second a little worse)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p_a = 1 / (1 + np.exp(-(2.0 * (y - 0.5) + rng.normal(0, 1, n))))
    p_b = 1 / (1 + np.exp(-(1.5 * (y - 0.5) + rng.normal(0, 1, n))))
    return y, np.c_[1 - p_a, p_a], np.c_[1 - p_b, p_b]


_AUC = metrics._weighted_auc


def old_style(y: np.ndarray, a: np.ndarray, b: np.ndarray, n_boot: int) -> dict[str, Any]:
    """Reports and comparison as first computed: every resample scored per call."""
    reports = [classification_report(y, p, CLASSES, n_boot=n_boot) for p in (a, b)]
    _, by_patient = resampling_units(len(y), None)
    weights = bootstrap_weights(len(y), n_boot, 0, None)
    pa, pb = point_metrics(y, a), point_metrics(y, b)
    sa, sb = (metrics.resampled_metrics(y, p, weights) for p in (a, b))
    paired = {}
    for name in SCALARS:
        value = None if pa[name] is None or pb[name] is None else pa[name] - pb[name]
        paired[name] = interval(value, sa[name] - sb[name])
    return {"reports": reports, "paired": paired}


def with_mirror_computed(fn, *args) -> Any:
    """Run ``fn`` with a binary report scoring class 0's AUC as well (as it first did)."""
    real = metrics.resampled_metrics

    def both(y, proba, weights, threshold=None):
        out = real(y, proba, weights, threshold)
        if proba.shape[1] == 2:  # the pass the mirror saves
            out["class_roc_auc"][:, 0] = _AUC(y == 0, proba[:, 0], weights)
        return out

    metrics.resampled_metrics = both
    try:
        return fn(*args)
    finally:
        metrics.resampled_metrics = real


def new_style(y: np.ndarray, a: np.ndarray, b: np.ndarray, n_boot: int) -> dict[str, Any]:
    scored = [bootstrapped(y, p, n_boot=n_boot) for p in (a, b)]
    return {
        "reports": [report_of(s, CLASSES) for s in scored],
        "paired": paired_difference_of(*scored),
    }


def timed(fn, *args, repeats: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,2000")
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    print(f"{'items':>6}  {'old s':>7}  {'new s':>7}  {'speedup':>7}")
    for n in (int(s) for s in args.sizes.split(",")):
        y, a, b = predictions(n)
        old_s, old = timed(with_mirror_computed, old_style, y, a, b, args.n_boot)
        new_s, new = timed(new_style, y, a, b, args.n_boot)
        assert old["paired"] == {k: new["paired"][k] for k in SCALARS}, "paired figures moved"
        for before, after in zip(old["reports"], new["reports"], strict=True):
            assert {k: before[k] for k in SCALARS} == {k: after[k] for k in SCALARS}
        figures[str(n)] = {
            "old_s": round(old_s, 3),
            "new_s": round(new_s, 3),
            "speedup": round(old_s / max(new_s, 1e-9), 2),
        }
        row = figures[str(n)]
        print(f"{n:>6}  {row['old_s']:>7.3f}  {row['new_s']:>7.3f}  {row['speedup']:>7.2f}")
    print(json.dumps({"n_boot": args.n_boot, "sizes": figures}))


if __name__ == "__main__":
    main()
