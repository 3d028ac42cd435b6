"""Backbone options (``--set backbone.patch_size=8``) travel from the pretraining config
through its checkpoints into fine-tuning, the export and the model card."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from finetune_projects import quick_train
from safetensors.torch import load_file

from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.writer import TOLERANCE, wrap
from ssl_studio.core.finetune.classifier import build_classifier
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.pretrain_setup import rebuild_task


def vit_run(project, **options):
    return pretrain(
        PretrainConfig(
            project=project,
            dataset="shapes",
            task="mae",
            backbone="vit-tiny",
            image_size=32,
            backbone_options=options,
            train=quick_train(),
        )
    )


def test_a_chosen_patch_size_reaches_the_exported_model(image_project, tmp_path):
    project, _ = image_project
    summary = vit_run(project, patch_size=8)  # 32 px would get 4 px patches by default
    state = latest_checkpoint(project / "runs" / str(summary["run_id"]))
    assert state["backbone_options"] == {"patch_size": 8}
    assert rebuild_task(state).encoder.grid_size == 4  # 32 / 8, not 32 / 4

    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(
            project=project,
            run=summary["run_id"],
            labels="folders",
            protocol="full",
            baseline=True,  # the from-scratch twin is built from the same spec
            n_boot=20,
            train=quick_train(steps=2),
        )
    )
    out = tmp_path / "model"
    card = export(project, result["run_id"], out, formats=("safetensors",))
    assert card["architecture"]["backbone_options"] == {"patch_size": 8}
    assert "vit-tiny (patch_size 8)" in (out / "MODEL_CARD.md").read_text()
    # the card is enough to rebuild the network for the safetensors weights
    saved = json.loads((out / "model_card.json").read_text())
    rebuilt = build_classifier(saved["spec"])
    rebuilt.load_state_dict(load_file(str(out / "model.safetensors")))
    golden = np.load(out / "golden.npz")
    with torch.no_grad():
        got = wrap(rebuilt.eval())(torch.from_numpy(golden["x"])).numpy()
    assert np.abs(got - golden["probabilities"]).max() <= TOLERANCE


def test_an_impossible_or_unknown_backbone_option_is_refused(image_project):
    project, _ = image_project
    with pytest.raises(ConfigError, match="patch"):
        vit_run(project, patch_size=7)  # 32 px cannot be cut into 7 px patches
    with pytest.raises(ConfigError, match="valid options are: patch_size"):
        vit_run(project, stem_stride=2)  # an option of cnn-small, not of a ViT
