"""What a fine-tune will train on, decided once for the job and the wizard: the training
labels of the smallest class after the test split, which ``auto`` picks a protocol by."""

from __future__ import annotations

import pytest

from ssl_studio.core.finetune.plan import training_labels_per_class
from ssl_studio.core.finetune.setup import recommended_protocol
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import finetune
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def _labels(counts: dict[str, int]) -> list[tuple[str, None, None]]:
    """No patient IDs and no copies: every item its own patient."""
    return [(name, None, None) for name, n in counts.items() for _ in range(n)]


def test_auto_is_chosen_by_the_training_labels_not_all_labels(tmp_path):
    keys = _labels({"benign": 30, "malignant": 30})
    count = training_labels_per_class(keys, FinetuneConfig(project=tmp_path))
    assert count == 24  # 6 of each class are held out for testing (not 30: "full")
    assert recommended_protocol(count) == "linear"
    held_more = FinetuneConfig(project=tmp_path, test_fraction=0.3)
    assert training_labels_per_class(keys, held_more) == 21
    # below 10 per class the job cross-validates: the final model trains on every label
    keys = _labels({"a": 8, "b": 40, "c": 3})
    assert training_labels_per_class(keys, FinetuneConfig(project=tmp_path)) == 3
    few = FinetuneConfig(project=tmp_path, k_per_class=2, folds=1)
    assert training_labels_per_class(keys, few) == 2


class _Chosen(Exception):
    pass


def test_the_job_s_auto_counts_what_the_wizard_counts(image_project, monkeypatch):
    project, run = image_project
    labels_from_folders(project, "shapes")
    seen = []

    def record(per_class: int) -> str:
        seen.append(per_class)
        raise _Chosen  # no need to train: the choice is made

    monkeypatch.setattr("ssl_studio.core.finetune.job.recommended_protocol", record)
    cfg = FinetuneConfig(project=project, run=run, labels="folders", test_fraction=0.35, seed=3)
    with pytest.raises(_Chosen):
        finetune(cfg)
    with Store.open(project) as store:  # what the wizard's labels page reads
        keys = store.labeled_split_keys(store.dataset("shapes")["id"], "folders")
    assert seen == [training_labels_per_class(keys, cfg)] == [13]


def _youden(tmp_path, test=0.2, val=0.2, group=True):
    return FinetuneConfig(
        project=tmp_path,
        test_fraction=test,
        val_fraction=val,
        threshold="youden",
        group_by_patient=group,
    )


def test_validation_labels_are_counted_on_the_split_the_job_makes(tmp_path):
    """The wizard estimated round(smallest x share): 13 per class gave 5 at 35 % (the
    split: 3 tested, 10 left, round(4.375) = 4); 23 per class at 20 % gave 5 (the split:
    5 tested, 18 left, round(4.5) = 4, half to even)."""
    from ssl_studio.core.finetune.plan import (
        _plan_arrays,
        needed_for_threshold,
        planned_split,
        validation_labels_per_class,
    )

    def held(n, test=0.2, val=0.2):
        keys = [(c, None, f"{c}{i}") for c in ("a", "b") for i in range(n)]
        return validation_labels_per_class(keys, _youden(tmp_path, test, val))

    assert held(13, val=0.35) == 4 and held(14, val=0.35) == 5
    assert held(23) == 4 and held(24) == 5
    assert needed_for_threshold(0.2, 0.35) == 14 and needed_for_threshold(0.2, 0.2) == 24
    assert held(2) == 0  # no split can be made: nothing to pick a threshold on
    # whole patients, the share filled by items: one patient of 12 images in each class
    keys = [(c, f"{c}-big", f"{c}big{i}") for c in ("a", "b") for i in range(12)]
    keys += [(c, f"{c}{i}", f"{c}{i}") for c in ("a", "b") for i in range(20)]
    got = validation_labels_per_class(keys, _youden(tmp_path, val=0.25))
    classes, y, groups = _plan_arrays(keys, _youden(tmp_path, val=0.25))
    val = planned_split(y, groups, _youden(tmp_path, val=0.25), classes).val
    assert got == min(len(set(groups[val][y[val] == c])) for c in (0, 1))
