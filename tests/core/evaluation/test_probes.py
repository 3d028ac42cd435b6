"""Frozen-encoder probes: choices made on training labels only, sensible fallbacks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from ssl_studio.core.evaluation import probes
from ssl_studio.core.evaluation.probes import logistic_probe, svm_probe
from ssl_studio.core.finetune.classifier import KNNHead


def blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["a", "b", "c"], n // 3)
    centres = {"a": (0, 0), "b": (3, 0), "c": (0, 3)}
    z = np.array([centres[k] for k in y]) + rng.normal(0, 0.7, (len(y), 2))
    return z, y


@pytest.mark.parametrize("probe", [svm_probe, logistic_probe])
def test_probes_separate_blobs_and_never_look_at_test_labels(probe):
    z, y = blobs()
    z_test, y_test = blobs(seed=1)
    result = probe(z, y, z_test, y_test)
    assert result.accuracy > 0.85 and result.accuracy == np.mean(result.predictions == y_test)
    poisoned = probe(z, y, z_test, np.roll(y_test, 1))  # wrong test labels change nothing
    assert np.array_equal(poisoned.predictions, result.predictions) and poisoned.C == result.C
    assert probe(z, y, z_test).accuracy is None


def test_svm_falls_back_to_hard_margin_with_too_few_examples_per_class():
    z, y = blobs(n=12)
    assert svm_probe(z, y, z).C == float("inf")
    z, y = blobs(n=90)
    assert svm_probe(z, y, z).C in (1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, np.inf)


def test_a_single_class_is_refused():
    z = np.zeros((10, 2))
    with pytest.raises(ValueError, match="two classes"):
        svm_probe(z, np.array(["a"] * 10), z)


def test_small_training_sets_pick_c_over_repeated_splits(monkeypatch):
    """Below REPEAT_CV_BELOW examples every C is scored on 5 x 5 folds (one 5-fold split of a
    few dozen examples picks C by the luck of its shuffle); larger sets use one split."""
    fits = []
    original_fit = probes.SVC.fit
    monkeypatch.setattr(
        probes.SVC, "fit", lambda self, *a, **k: fits.append(1) or original_fit(self, *a, **k)
    )
    z, y = blobs(n=90)
    svm_probe(z, y, z)
    grid = len(probes.SVM_C_GRID)
    assert len(fits) == grid * 5 * probes.CV_REPEATS + 2  # folds, the search's refit, the model
    fits.clear()
    monkeypatch.setattr(probes, "REPEAT_CV_BELOW", 50)
    svm_probe(z, y, z)
    assert len(fits) == grid * 5 + 2


CONFLICTING_LABELS = """
import subprocess
import sys

import numpy as np
from ssl_studio.core.evaluation.probes import svm_probe
z = np.random.default_rng(0).normal(size=(25, 8))
z = np.concatenate([z, z])  # every representation twice, with both labels
y = np.array(["a", "b"] * 25)
y = np.concatenate([y[:25], np.where(y[:25] == "a", "b", "a")])
print(svm_probe(z[:30], y[:30], z).C, svm_probe(z, y, z).C)
"""


def test_svm_finishes_when_no_margin_can_separate_the_classes():
    """A hard margin (C = inf, the few-examples fallback and part of the grid) on classes that
    overlap never converged: libsvm ran forever. Now it stops and refits at C = 1e4."""
    done = subprocess.run(
        [sys.executable, "-c", CONFLICTING_LABELS],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    fallback_c, grid_c = map(float, done.stdout.split())
    assert fallback_c == 1e4 and np.isfinite(grid_c)


def test_the_knn_k_found_in_row_chunks_is_the_k_of_the_whole_matrix():
    for seed in range(5):
        z, y = blobs(n=90, seed=seed)
        z = z + np.random.default_rng(seed).normal(0, 1.5, z.shape)  # overlap: k matters
        whole = probes.choose_k(z, y, rows=len(y))
        assert probes.choose_k(z, y, rows=7) == whole and whole in (1, 3, 5, 10, 20)
    assert probes.choose_k(np.eye(2), np.array([0, 1])) == 1  # k never reaches N


def test_many_labels_pick_c_on_a_stratified_draw_and_fit_every_label(monkeypatch):
    searched = []
    real_fit = probes.GridSearchCV.fit

    def recording_fit(self, z, y):
        searched.append(np.unique(y, return_counts=True)[1])
        return real_fit(self, z, y)

    monkeypatch.setattr(probes.GridSearchCV, "fit", recording_fit)
    monkeypatch.setattr(probes, "MAX_LOGISTIC_CV_EXAMPLES", 30)
    z, y = blobs(n=150)
    model, C = probes.fit_logistic(z, y)
    assert [list(c) for c in searched] == [[10, 10, 10]]  # 30 drawn, every class kept
    assert model[0].n_samples_seen_ == 150 and C in probes.LOGISTIC_C_GRID
    assert model.score(z, y) > 0.85


def test_just_over_the_draw_size_every_label_is_cross_validated(monkeypatch):
    monkeypatch.setattr(probes, "MAX_LOGISTIC_CV_EXAMPLES", 30)
    z, y = blobs(n=33)  # 3 more than the draw: a stratified draw would leave one per class
    z, y = z[:31], y[:31]  # 1 more: no draw can hold out every class, so none is made
    model, C = probes.fit_logistic(z, y)
    assert model[0].n_samples_seen_ == 31 and C in probes.LOGISTIC_C_GRID


def test_the_knn_k_is_chosen_for_the_weighted_vote_the_knn_head_casts():
    """choose_k scored each k by plain majority votes, but the fitted head weighs its
    neighbours by exp(similarity / 0.07): k was tuned for another classifier."""
    for seed in range(3):
        z, names = blobs(n=60, seed=seed)
        z = z + np.random.default_rng(seed).normal(0, 1.5, z.shape)
        y = np.unique(names, return_inverse=True)[1]
        found = probes.knn_loo_accuracies(z, y, rows=11)
        for k, accuracy in found.items():
            right = 0
            for i in range(len(y)):  # leave item i out of the head's bank
                keep = np.arange(len(y)) != i
                head = KNNHead(torch.from_numpy(z[keep]), torch.from_numpy(y[keep]), 3, k)
                right += int(head(torch.from_numpy(z[i : i + 1])).argmax() == y[i])
            assert accuracy == right / len(y), (seed, k)
        assert probes.choose_k(z, y) == max(found, key=lambda k: (found[k], -k))


def _near_duplicates(patients: int = 20, images: int = 10, dim: int = 16):
    """Patients whose images are near-duplicates, labels a coin per patient (nothing to
    learn across patients): (z [N, dim], y [N], groups [N])."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(patients, dim))
    labels = rng.permutation(np.repeat([0, 1], patients // 2))
    groups = np.repeat(np.arange(patients), images)
    z = centres[groups] + 0.01 * rng.normal(size=(len(groups), dim))
    return z, labels[groups], groups


def test_the_logistic_probes_c_is_chosen_on_folds_that_keep_patients_whole():
    from ssl_studio.core.evaluation.probes import fit_logistic, selection_folds

    z, y, groups = _near_duplicates()
    folds = selection_folds(y, groups, seed=0)
    assert folds  # stratified group k-fold: no patient on both sides of any fold
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
        assert set(y[train]) == set(y[test]) == {0, 1}
    _, loose = fit_logistic(z, y, seed=0)  # other images of a patient in the fitting folds
    _, grouped = fit_logistic(z, y, seed=0, groups=groups)
    assert grouped < loose  # nothing generalises across patients: more regularised
    # one item per patient: the ungrouped folds, as before
    independent = np.arange(len(y))
    assert type(selection_folds(y, independent, seed=0)).__name__ == "StratifiedKFold"


def test_knn_chooses_k_leaving_whole_patients_out():
    from ssl_studio.core.evaluation.probes import choose_k, knn_loo_accuracies

    z, y, groups = _near_duplicates()
    loose = knn_loo_accuracies(z, y)
    grouped = knn_loo_accuracies(z, y, groups=groups)
    assert loose[1] == 1.0  # its nearest neighbour is another image of the same patient
    assert grouped[1] < 0.8  # leaving the patient out: the coin it is
    assert choose_k(z, y) == 1
    assert set(grouped) == set(loose) == {1, 3, 5, 10, 20}  # 200 items: room for every k
    assert knn_loo_accuracies(z, y, groups=np.arange(len(y))) == loose  # one per patient


def test_a_patient_holding_most_items_limits_the_candidate_ks():
    """k never needs the item's own patient: with one patient holding 20 of 30 items, an
    item of theirs has only 10 neighbours outside it, so k = 20 is not a candidate (it
    would count that patient's own images, at no weight, as neighbours); without groups
    it is."""
    from ssl_studio.core.evaluation.probes import choose_k, knn_loo_accuracies

    rng = np.random.default_rng(0)
    z = rng.normal(size=(30, 8))
    y = np.r_[np.zeros(20, int), np.arange(10) % 2]
    groups = np.r_[np.zeros(20, int), 1 + np.arange(10)]
    assert set(knn_loo_accuracies(z, y)) == {1, 3, 5, 10, 20}
    assert set(knn_loo_accuracies(z, y, groups=groups)) == {1, 3, 5, 10}
    assert choose_k(z, y, groups=groups) <= 10
    assert set(knn_loo_accuracies(z, y, groups=np.r_[np.zeros(29, int), 1])) == {1}  # 1 fits
