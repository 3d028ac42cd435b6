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
