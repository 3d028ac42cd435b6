"""Small projects for the fine-tuning tests: shapes in class folders, and labeled waves,
each with a short pretraining run."""

from __future__ import annotations

import numpy as np
import pytest
from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.jobs import create_project, import_data, pretrain


@pytest.fixture(scope="module")
def image_project(tmp_path_factory):
    """(project, pretraining run id): 40 shapes in circle/ and square/, 2 SimCLR steps."""
    root = tmp_path_factory.mktemp("finetune-images")
    write_shapes(root / "shapes")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "shapes"], cache_size=32, workers=1))
    summary = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )
    return project, summary["run_id"]


@pytest.fixture(scope="module")
def series_project(tmp_path_factory):
    """(project, run id): 40 sine/square waves of unequal length with gaps, labels from a
    label column (label set "imported"), 2 TS2Vec steps of a small ts-conv."""
    root = tmp_path_factory.mktemp("finetune-series")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        length = int(rng.integers(40, 61))
        t = np.arange(length) / 8 + rng.uniform(0, 6)
        wave = np.sin(t) if i % 2 else np.sign(np.sin(t))
        values = wave + rng.normal(0, 0.1, length)
        values[rng.integers(0, length, 2)] = np.nan
        cells = ["" if np.isnan(v) else f"{v:.4f}" for v in values]
        rows.append(",".join(["sine" if i % 2 else "square", *cells]))
    (root / "waves").mkdir()
    (root / "waves" / "waves.csv").write_text("\n".join(rows) + "\n")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "waves"], workers=1))
    summary = pretrain(PretrainConfig(project=project, dataset="waves", train=quick_train()))
    return project, summary["run_id"]
