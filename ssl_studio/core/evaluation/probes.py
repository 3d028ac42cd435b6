"""Frozen-encoder probes: how well a linear or kernel classifier reads labels off the
representations (scikit-learn), with every choice made on the training labels only.

The SVM follows the TS2Vec / T-Loss protocol: an RBF SVM whose C is picked from
{1e-4, ..., 1e4, inf} by 5-fold cross-validation on the training representations (or
C = inf when there are too few examples per class to cross-validate). On small training
sets (fewer than ``REPEAT_CV_BELOW`` examples) the 5-fold split is repeated ``CV_REPEATS`` times
with fresh shuffles: with a few dozen examples, one split's folds hold a handful of series
each, many C values tie, and which one wins depends on the shuffle (ItalyPowerDemand, 67
training series: test accuracy 0.950 +- 0.016 over 10 pretraining seeds with one split,
0.960 +- 0.004 with five).
A hard margin that cannot separate the training classes (libsvm stops it after
``SVM_MAX_ITER`` iterations instead of running forever) is refitted at C = 1e4.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import (
    GridSearchCV,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

SVM_C_GRID = [10.0**k for k in range(-4, 5)] + [np.inf]
LOGISTIC_C_GRID = [10.0**k for k in range(-4, 5)]
KNN_TEMPERATURE = 0.07  # the kNN head's vote: weights exp(cosine similarity / this)
MAX_CV_EXAMPLES = 10_000
# the logistic probe picks its C on at most this many labels (a stratified draw) and then
# fits all of them: 45 cross-validation fits of 20 000 labels kept the wizard busy minutes
MAX_LOGISTIC_CV_EXAMPLES = 3_000
REPEAT_CV_BELOW = 1_000  # training sets this small repeat the 5-fold split
CV_REPEATS = 5
# libsvm iterations per fit: a hard margin (C = inf) never converges when the classes overlap
# (two copies of one series with different labels are enough) and would run forever
SVM_MAX_ITER = 1_000_000


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
        model, C = _fit_svc(train_z, train_y, float("inf"))
    else:
        grid_z, grid_y = train_z, train_y
        if len(train_y) > MAX_CV_EXAMPLES:
            pick = np.random.default_rng(seed).choice(len(train_y), MAX_CV_EXAMPLES, False)
            grid_z, grid_y = train_z[pick], train_y[pick]
        repeats = CV_REPEATS if len(grid_y) < REPEAT_CV_BELOW else 1
        folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=seed)
        search = GridSearchCV(_svc(), {"C": SVM_C_GRID}, cv=folds, n_jobs=1)
        with warnings.catch_warnings():
            # a hard margin stopped on overlapping folds just scores badly and is not chosen
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(grid_z, grid_y)
        model, C = _fit_svc(train_z, train_y, float(search.best_params_["C"]))
    predictions = model.predict(test_z)
    return ProbeResult(predictions, _accuracy(test_y, predictions), C)


def _svc(C: float = 1.0) -> SVC:
    return SVC(C=C, gamma="scale", max_iter=SVM_MAX_ITER)


def _fit_svc(z: np.ndarray, y: np.ndarray, C: float) -> tuple[SVC, float]:
    """The SVM fitted at C, and the C used: a hard margin (C = inf) that cannot separate the
    training classes is refitted at the largest finite C of the grid instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model = _svc(C).fit(z, y)
    stopped = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if stopped and np.isinf(C):
        C = max(c for c in SVM_C_GRID if np.isfinite(c))
        model = _svc(C).fit(z, y)
    return model, C


def fit_logistic(
    train_z: np.ndarray, train_y: np.ndarray, seed: int = 0, groups: np.ndarray | None = None
) -> tuple[Any, float]:
    """Logistic regression on standardized representations, its C chosen by stratified
    cross-validation on the training labels only (on a stratified draw of
    ``MAX_LOGISTIC_CV_EXAMPLES`` when there are more), then fitted on all of them; with
    ``groups`` [N] (patients, exact copies) the folds keep each group whole
    (``selection_folds``). Returns (fitted pipeline, C). Runs with one BLAS thread: lbfgs
    on a few thousand examples makes many small products, and threads fighting over them
    made 3 500 labels take 28 s instead of 2 s on 2 cores (tests/bench/bench_probes.py)."""
    with threadpool_limits(1, user_api="blas"):
        return _fit_logistic(train_z, train_y, seed, groups)


def selection_folds(
    y: np.ndarray, groups: np.ndarray | None, seed: int
) -> StratifiedKFold | list[tuple[np.ndarray, np.ndarray]] | None:
    """The cross-validation folds a probe's C is chosen on: stratified k-fold (k = 5, or
    the smallest class's count) of the items; where ``groups`` [N] hold some group of
    several items (the images of one patient), stratified group k-fold, so no fold
    trains on other images of a patient it is scored on (near-duplicates there reward
    the weakest regularisation), keeping the folds whose both sides hold every class.
    None when no such folds can be made (a class of one patient): the default C."""
    smallest = int(np.unique(y, return_counts=True)[1].min())
    if groups is None or len(np.unique(groups)) == len(groups):
        return StratifiedKFold(max(2, min(5, smallest)), shuffle=True, random_state=seed)
    patients = min(len(np.unique(groups[y == c])) for c in np.unique(y))
    if patients < 2:
        return None
    splitter = StratifiedGroupKFold(min(5, patients), shuffle=True, random_state=seed)
    classes = len(np.unique(y))
    folds = [
        (tr, te)
        for tr, te in splitter.split(np.zeros(len(y)), y, groups)
        if len(np.unique(y[tr])) == classes and len(np.unique(y[te])) == classes
    ]
    return folds or None


def _fit_logistic(
    train_z: np.ndarray, train_y: np.ndarray, seed: int, groups: np.ndarray | None
) -> tuple[Any, float]:
    counts = np.unique(train_y, return_counts=True)[1]
    if len(counts) < 2:
        raise ValueError("a probe needs at least two classes among the training labels")
    scaled = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    C, folds = 1.0, None  # too few to cross-validate: the default strength
    if counts.min() >= 2:
        grid_z, grid_y, grid_g = train_z, train_y, groups
        if len(train_y) - MAX_LOGISTIC_CV_EXAMPLES >= len(counts):  # every class left out once
            pick, _ = train_test_split(
                np.arange(len(train_y)),
                train_size=MAX_LOGISTIC_CV_EXAMPLES,
                stratify=train_y,
                random_state=seed,
            )
            grid_z, grid_y = train_z[pick], train_y[pick]
            grid_g = None if groups is None else np.asarray(groups)[pick]
        folds = selection_folds(grid_y, grid_g, seed)
    if folds is not None:
        search = GridSearchCV(
            scaled, {"logisticregression__C": LOGISTIC_C_GRID}, cv=folds, scoring="neg_log_loss"
        )
        with warnings.catch_warnings():
            # weak regularisation on separable few-label data stops lbfgs early; the
            # cross-validation then prefers a stronger C, so the notice is only noise
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(grid_z, grid_y)
        C = float(search.best_params_["logisticregression__C"])
        if grid_z is train_z:
            return search.best_estimator_, C
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return scaled.set_params(logisticregression__C=C).fit(train_z, train_y), C


def logistic_probe(
    train_z: np.ndarray,
    train_y: np.ndarray,
    test_z: np.ndarray,
    test_y: np.ndarray | None = None,
    seed: int = 0,
) -> ProbeResult:
    """Logistic regression on frozen representations (see ``fit_logistic``)."""
    model, C = fit_logistic(train_z, train_y, seed)
    predictions = model.predict(test_z)
    return ProbeResult(predictions, _accuracy(test_y, predictions), C)


def knn_loo_accuracies(
    train_z: np.ndarray,
    train_y: np.ndarray,
    candidates=(1, 3, 5, 10, 20),
    rows: int = 1024,
    groups: np.ndarray | None = None,
) -> dict[int, float]:
    """Leave-one-out accuracy on the training set of the kNN the ``knn`` protocol fits
    (cosine similarity, votes weighted by exp(similarity / KNN_TEMPERATURE)), for each
    candidate k below N; with ``groups`` [N] (patients, exact copies) leave-one-group-out:
    an item's neighbours are never other images of its own patient, which would vote for
    it as a near-duplicate and reward k = 1 (each k at most N minus the largest group).
    Neighbours are found ``rows`` items at a time (memory [rows, N], not [N, N])."""
    z = train_z / np.maximum(np.linalg.norm(train_z, axis=1, keepdims=True), 1e-12)
    classes, y = np.unique(train_y, return_inverse=True)
    own = np.arange(len(y)) if groups is None else np.unique(groups, return_inverse=True)[1]
    largest = int(np.bincount(own.reshape(-1)).max())
    ks = [k for k in candidates if k <= len(y) - largest] or [1]
    nearest = np.empty((len(y), max(ks)), np.int64)  # each item's neighbours, nearest first
    closeness = np.empty((len(y), max(ks)))  # and their similarities
    for start in range(0, len(y), rows):
        similarity = z[start : start + rows] @ z.T  # [rows, N]
        similarity[own[start : start + rows, None] == own[None, :]] = -np.inf  # self, patient
        top = np.argpartition(-similarity, max(ks) - 1, axis=1)[:, : max(ks)]
        near = np.take_along_axis(similarity, top, axis=1)
        order = np.argsort(-near, axis=1, kind="stable")
        nearest[start : start + rows] = np.take_along_axis(top, order, axis=1)
        closeness[start : start + rows] = np.take_along_axis(near, order, axis=1)
    weights = np.exp((closeness - 1.0) / KNN_TEMPERATURE)  # (÷ e^(1/T): the same vote)
    accuracies = {}
    for k in ks:
        votes = np.zeros((len(y), len(classes)))
        for j in range(k):
            votes[np.arange(len(y)), y[nearest[:, j]]] += weights[:, j]
        accuracies[k] = float((votes.argmax(1) == y).mean())
    return accuracies


def choose_k(
    train_z: np.ndarray,
    train_y: np.ndarray,
    candidates=(1, 3, 5, 10, 20),
    rows: int = 1024,
    groups: np.ndarray | None = None,
) -> int:
    """The k with the best ``knn_loo_accuracies`` (the smallest of those that tie; with
    ``groups``, leaving one group out)."""
    accuracies = knn_loo_accuracies(train_z, train_y, candidates, rows, groups)
    return max(accuracies, key=lambda k: (accuracies[k], -k))
