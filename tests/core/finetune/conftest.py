"""Small projects for the fine-tuning tests: shapes in class folders, and labeled waves,
each with a short pretraining run; and the shapes' model fine-tuned and exported."""

from __future__ import annotations

import pytest
from finetune_projects import quick_train, write_shapes
from series_data import write_waves

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders


@pytest.fixture(scope="module")
def image_project(tmp_path_factory):
    """(project, pretraining run id): 40 shapes in circle/ and square/, 2 SimCLR steps."""
    root = tmp_path_factory.mktemp("finetune-images")
    write_shapes(root / "shapes")
    project = create_project(root / "project")
    # no cache size: the dataset is cached at 32 px, the images' own size (not 224 px)
    import_data(ImportConfig(project=project, paths=[root / "shapes"], workers=1))
    summary = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )
    return project, summary["run_id"]


@pytest.fixture(scope="module")
def series_project(tmp_path_factory):
    """(project, run id): 40 sine/square waves of unequal length with gaps, labels from a
    label column (label set "imported"), 2 TS2Vec steps of a small ts-conv (weights averaged)."""
    root = tmp_path_factory.mktemp("finetune-series")
    write_waves(root / "waves")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "waves"], workers=1))
    averaged = {"average_weights": True}  # fine-tuning starts from the averaged encoder
    summary = pretrain(
        PretrainConfig(project=project, dataset="waves", train=quick_train(), task_options=averaged)
    )
    return project, summary["run_id"]


@pytest.fixture(scope="module")
def image_export(image_project, tmp_path_factory):
    project, run = image_project
    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run,
            labels="folders",
            protocol="knn",
            n_boot=20,
            train=quick_train(steps=2),
        )
    )
    out = tmp_path_factory.mktemp("exports") / "shapes-model"
    card = export(project, result["run_id"], out)
    return project, result, out, card
