"""How long the frozen-encoder probes of the fine-tune wizard take as labels grow.

The ``linear`` protocol (and the head of ``partial`` / ``full``) fits a logistic
regression whose C is cross-validated; ``knn`` chooses its k by leave-one-out. Baseline,
in the same process: scikit-learn's own grid search as the probe first ran it (every
label in the cross-validation, BLAS with its default threads). Embeddings are synthetic:
[N, 256] float32, three classes a little apart.

    python tests/bench/bench_probes.py [--sizes 1000,3500,20000] [--baseline-size 3500]

Prints a table, then one JSON line {"sizes": {N: {"logistic_s", "knn_s"}},
"baseline": {"n", "seconds"}, "speedup": baseline over logistic_s at the same N}.
Target: the probe never keeps a user waiting minutes (20 000 labels within about 30 s on
2 cores); the first version took 28 s for 3 500 labels here.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ssl_studio.core.evaluation.probes import LOGISTIC_C_GRID, choose_k, fit_logistic


def embeddings(n: int, dim: int = 256, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = rng.normal(0, 0.15, (3, dim))
    return (rng.normal(0, 1, (n, dim)) + centres[y]).astype(np.float32), y


def first_version(z: np.ndarray, y: np.ndarray) -> float:
    """The probe as it first ran: every label cross-validated, default BLAS threads."""
    start = time.perf_counter()
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    search = GridSearchCV(
        pipeline, {"logisticregression__C": LOGISTIC_C_GRID}, cv=folds, scoring="neg_log_loss"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(z, y)
    return time.perf_counter() - start


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3500,20000")
    parser.add_argument("--baseline-size", type=int, default=3500)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    figures: dict[str, dict[str, float]] = {}
    print(f"{'labels':>7}  {'logistic s':>10}  {'kNN k s':>8}")
    for n in sizes:
        z, y = embeddings(n)
        figures[str(n)] = {
            "logistic_s": round(timed(fit_logistic, z, y), 2),
            "knn_s": round(timed(choose_k, z, y), 2),
        }
        print(f"{n:>7}  {figures[str(n)]['logistic_s']:>10.2f}  {figures[str(n)]['knn_s']:>8.2f}")
    z, y = embeddings(args.baseline_size)
    baseline = round(first_version(z, y), 2)
    print(f"baseline (first version) at {args.baseline_size} labels: {baseline:.2f} s")
    ours = figures.get(str(args.baseline_size), {}).get("logistic_s") or timed(fit_logistic, z, y)
    result = {
        "sizes": figures,
        "baseline": {"n": args.baseline_size, "seconds": baseline},
        "speedup": round(baseline / max(ours, 1e-9), 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
