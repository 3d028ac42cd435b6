"""A threshold asked for on a label set of more than two classes is refused for what it
is, first: such classes have no threshold, so the message must not send the user to add
a validation share (which the next try then refused anyway). Two classes still hear
that a threshold needs validation labels."""

from __future__ import annotations

import pytest
from finetune_projects import quick_train

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import finetune
from ssl_studio.core.labels import labels_from_folders, set_labels
from ssl_studio.core.project.store import Store


def _cfg(project, run, labels, **options):
    options = {"labels": labels, "n_boot": 20, "train": quick_train(steps=2), **options}
    return FinetuneConfig(project=project, run=run, **options)


@pytest.fixture(scope="module")
def three_classes(image_project):
    project, run = image_project
    with Store.open(project) as store:
        ids = [item["id"] for item in store.items(1)]
    set_labels(project, "shapes", {i: "abc"[n % 3] for n, i in enumerate(ids)}, name="three")
    labels_from_folders(project, "shapes")
    return project, run


@pytest.mark.parametrize("threshold", ["youden", "sensitivity:0.9"])
@pytest.mark.parametrize("val_fraction", [0.0, 0.2])
def test_more_than_two_classes_hear_first_that_they_have_no_threshold(
    three_classes, threshold, val_fraction
):
    project, run = three_classes
    cfg = _cfg(project, run, "three", threshold=threshold, val_fraction=val_fraction)
    with pytest.raises(ConfigError) as refused:
        finetune(cfg)
    said = str(refused.value)
    assert "belong to two-class problems" in said and "has 3 classes" in said
    assert "val_fraction" not in said


def test_two_classes_still_hear_that_a_threshold_needs_validation_labels(three_classes):
    project, run = three_classes
    with pytest.raises(ConfigError, match="needs validation labels: set val_fraction"):
        finetune(_cfg(project, run, "folders", threshold="youden"))
    with pytest.raises(ConfigError, match="Unknown threshold 'yoden'"):  # (before any read)
        FinetuneConfig(project=project, run=run, threshold="yoden").validate()
