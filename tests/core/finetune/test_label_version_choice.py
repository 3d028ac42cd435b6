"""Fine-tuning on an older version of a label set (--label-version N): the labels a past
run had, after the set was edited since; the run records the version it trained on, an
unknown version is refused naming those kept, and without it the newest is used."""

from __future__ import annotations

import pytest
from finetune_projects import folder_labels_config

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import finetune
from ssl_studio.core.labels import labels_from_folders, set_labels
from ssl_studio.core.project.label_changes import labels_changed
from ssl_studio.core.project.store import Store


@pytest.fixture(scope="module")
def two_versions(image_project):
    """(project, pretraining run, item ids relabeled): label set "versions" v1 from the
    class folders, v2 with six circles unlabeled."""
    project, run = image_project
    labels_from_folders(project, "shapes", name="versions")
    with Store.open(project) as store:
        v1 = store.latest_labels(1, "versions")
    dropped = [i for i, label in sorted(v1.items()) if label == "circle"][:6]
    set_labels(project, "shapes", dict.fromkeys(dropped), name="versions")
    return project, run, len(v1)


def _labels_used(project, run_id):
    with Store.open(project) as store:
        found = store.run(run_id)
    return found, found["summary"]["train_labels"] + found["summary"]["test_items"]


def test_an_older_version_trains_on_its_own_labels_and_says_so(two_versions):
    project, run, in_v1 = two_versions
    old = finetune(folder_labels_config(project, run, labels="versions", label_version=1))
    new = finetune(folder_labels_config(project, run, labels="versions"))
    (old_run, old_n), (new_run, new_n) = (
        _labels_used(project, old["run_id"]),
        _labels_used(project, new["run_id"]),
    )
    assert old_run["config"]["label_version"] == 1 and old_n == in_v1
    assert new_run["config"]["label_version"] == 2 and new_n == in_v1 - 6
    with Store.open(project) as store:  # the older run is flagged as of older labels
        assert "trained on version 1" in (labels_changed(store, old_run) or "")
        assert labels_changed(store, new_run) is None


def test_an_unknown_version_is_refused_naming_those_kept(two_versions, capsys):
    project, run, _ = two_versions
    with pytest.raises(ConfigError) as refused:
        finetune(folder_labels_config(project, run, labels="versions", label_version=5))
    assert str(refused.value) == "Label set 'versions' has no version 5; it has versions 1, 2."
    with pytest.raises(ConfigError, match="no dataset 'nope'|'nope'"):  # (not a TypeError)
        finetune(folder_labels_config(project, run, labels="versions", dataset="nope"))
    argv = ["finetune", str(project), "--run", str(run), "--labels", "versions"]
    assert main([*argv, "--label-version", "7", "--no-baseline"]) == 1
    assert "has no version 7; it has versions 1, 2." in capsys.readouterr().err
