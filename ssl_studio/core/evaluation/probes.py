"""Frozen-encoder probes: how well a linear or kernel classifier reads labels off the
representations (scikit-learn), with every choice made on the training labels only.

The SVM follows the TS2Vec / T-Loss protocol: an RBF SVM whose C is picked from
{1e-4, ..., 1e4, inf} by 5-fold cross-validation on the training representations (or
C = inf when there are too few examples per class to cross-validate).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

SVM_C_GRID = [10.0**k for k in range(-4, 5)] + [np.inf]
LOGISTIC_C_GRID = [10.0**k for k in range(-4, 5)]
MAX_CV_EXAMPLES = 10_000


@dataclass
class ProbeResult:
    """Predictions on the test representations, the accuracy when labels were given, and
    the regularisation strength chosen on the training labels."""

    predictions: np.ndarray
    accuracy: float | None
    C: float


def _accuracy(test_y: np.ndarray | None, predictions: np.ndarray) -> float | None:
    return None if test_y is None else float(accuracy_score(test_y, predictions))


def svm_probe(
    train_z: np.ndarray,
    train_y: np.ndarray,
    test_z: np.ndarray,
    test_y: np.ndarray | None = None,
    seed: int = 0,
) -> ProbeResult:
    """RBF SVM on frozen representations (train_z: [N, D], labels [N]; test_z: [M, D])."""
    classes, counts = np.unique(train_y, return_counts=True)
    if len(classes) < 2:
        raise ValueError("a probe needs at least two classes among the training labels")
    if counts.min() < 5 or len(train_y) < 50:
        model = SVC(C=np.inf, gamma="scale").fit(train_z, train_y)
        C = float("inf")
    else:
        grid_z, grid_y = train_z, train_y
        if len(train_y) > MAX_CV_EXAMPLES:
            pick = np.random.default_rng(seed).choice(len(train_y), MAX_CV_EXAMPLES, False)
            grid_z, grid_y = train_z[pick], train_y[pick]
        search = GridSearchCV(
            SVC(gamma="scale"),
            {"C": SVM_C_GRID},
            cv=StratifiedKFold(5, shuffle=True, random_state=seed),
            n_jobs=1,
        ).fit(grid_z, grid_y)
        C = float(search.best_params_["C"])
        model = SVC(C=C, gamma="scale").fit(train_z, train_y)
    predictions = model.predict(test_z)
    return ProbeResult(predictions, _accuracy(test_y, predictions), C)


def logistic_probe(
    train_z: np.ndarray,
    train_y: np.ndarray,
    test_z: np.ndarray,
    test_y: np.ndarray | None = None,
    seed: int = 0,
) -> ProbeResult:
    """Logistic regression on standardized representations, its C chosen by stratified
    cross-validation on the training labels only."""
    counts = np.unique(train_y, return_counts=True)[1]
    if len(counts) < 2:
        raise ValueError("a probe needs at least two classes among the training labels")
    scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    if counts.min() < 2:  # too few to cross-validate: the default strength
        model = scaled.set_params(logisticregression__C=1.0).fit(train_z, train_y)
        C = 1.0
    else:
        folds = StratifiedKFold(int(min(5, counts.min())), shuffle=True, random_state=seed)
        search = GridSearchCV(
            scaled, {"logisticregression__C": LOGISTIC_C_GRID}, cv=folds, scoring="accuracy"
        ).fit(train_z, train_y)
        model = search.best_estimator_
        C = float(search.best_params_["logisticregression__C"])
    predictions = model.predict(test_z)
    return ProbeResult(predictions, _accuracy(test_y, predictions), C)
