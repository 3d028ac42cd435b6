"""What a series model carries from training into fine-tuning and export: dropout off
under the probe's head, the run's channel count, one sampling rate on the card."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.data.series_rates import common_rate
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune.classifier import Classifier
from ssl_studio.core.finetune.protocols import FineTuneTask
from ssl_studio.core.finetune.setup import _check_channels


def _task(keep_norm_statistics: bool) -> FineTuneTask:
    encoder = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.BatchNorm1d(8))
    return FineTuneTask(
        Classifier(encoder, nn.Linear(8, 2), "timeseries"),
        nn.Identity(),
        torch.tensor([0, 1, 0, 1]),
        2,
        frozen=[],
        encoder_lr_scale=0.1,
        is_cnn=False,
        keep_norm_statistics=keep_norm_statistics,
    )


def test_a_pretrained_encoder_fine_tunes_without_dropout_under_the_probe_s_head():
    """ts-patch's dropout under a probe head fit without it blew the first logits up
    (loss 128 instead of 0.8) and full fine-tuning ended far below the probe."""
    task = _task(keep_norm_statistics=True).train()
    dropout, norm = task.encoder[1], task.encoder[2]
    assert not dropout.training and not norm.training and task.encoder[0].training
    scratch = _task(keep_norm_statistics=False).train()  # from random weights: as usual
    assert scratch.encoder[1].training and scratch.encoder[2].training


class _Store:
    """The store read the channel check makes."""

    def item_profile(self, dataset_id):
        return ("", 6)


def test_series_of_another_channel_count_than_the_run_s_are_refused():
    spec = {"modality": "timeseries", "in_channels": 1}
    with pytest.raises(ConfigError, match="series of 1 channel.*'motion' has 6"):
        _check_channels(_Store(), 27, {"id": 1, "name": "motion"}, spec)
    _check_channels(_Store(), 27, {"id": 1, "name": "motion"}, {**spec, "in_channels": 6})
    _check_channels(
        _Store(), 27, {"id": 2, "name": "scans"}, {"modality": "image", "in_channels": 3}
    )
    _check_channels(_Store(), 27, None, spec)  # no such dataset: labeled_data says so


def test_rates_worked_out_from_timestamps_agree_within_a_percent():
    assert common_rate([9.9999999, 9.99999988, 9.9999999]) == pytest.approx(10.0, rel=1e-6)
    assert common_rate([249.999997, 250.0, 249.999999]) == pytest.approx(250.0, rel=1e-6)
    assert common_rate([10.0, 50.0]) is None  # two rates: the card says none
    assert common_rate([10.0, None]) is None  # a rate unknown for some
    assert common_rate([]) is None


def test_a_from_scratch_model_s_card_does_not_say_it_was_pretrained(series_project, tmp_path):
    import json

    from finetune_projects import quick_train

    from ssl_studio.core.finetune_config import FinetuneConfig
    from ssl_studio.core.jobs import export, finetune

    project, run = series_project
    cfg = FinetuneConfig(
        project=project, run=run, protocol="scratch", n_boot=20, train=quick_train(steps=2)
    )
    result = finetune(cfg)
    out = tmp_path / "scratch"
    export(project, result["run_id"], out, formats=("safetensors",))
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["protocol"] == "scratch"
    assert card["training"]["pretext_task"] is None
    text = (out / "MODEL_CARD.md").read_text()
    assert "pretrained without labels" not in text and "no pretraining" in text
