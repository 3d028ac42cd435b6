"""TS2Vec: finite loss on ragged gappy series, aligned overlap, masking, round trip, learning."""

from __future__ import annotations

import pytest
import torch
from series_task_testing import series_batch, stand_in
from torch import nn

from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone, build_backbone
from ssl_studio.core.tasks import ts2vec as ts2vec_module
from ssl_studio.core.tasks.ts2vec import TS2Vec, TS2VecConfig

from task_testing import (
    assert_loading_the_state_dict_gives_the_same_loss,
    losses_before_and_after_adamw_steps,
    seeded_loss,
)


def make_task(channels: int = 1, seed: int = 0, **options) -> TS2Vec:
    return TS2Vec(TS2VecConfig(**options), stand_in(channels, seed))


@pytest.mark.parametrize("channels", [1, 3])
def test_finite_loss_on_ragged_gappy_series_and_gradient_reaches_the_input_layer(channels):
    task, batch = make_task(channels), series_batch(channels=channels)
    loss, logs = task.training_step(batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and loss > 0
    assert 2 <= logs["overlap"] <= int(batch.lengths.min())
    loss.backward()
    grad = task.encoder.input_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0 and torch.isfinite(grad).all()


def test_the_loss_compares_the_same_original_steps_of_both_windows(monkeypatch):
    class Values(nn.Module):  # step representations = the (unmasked) values themselves
        in_channels, dim = 2, 2

        def forward_steps(self, x, observed, latent_mask=None):
            return x.transpose(1, 2)

    seen = {}

    def spy(z1, z2, alpha, temporal_unit, valid):
        seen.update(z1=z1, z2=z2, valid=valid)
        return z1.sum() * 0

    monkeypatch.setattr(ts2vec_module, "hierarchical_contrastive", spy)
    task = TS2Vec(TS2VecConfig(), Backbone(Values(), 2, "timeseries", "values", False))
    n, t = 5, 50
    x = torch.arange(t).float().expand(n, 2, t) + 100 * torch.arange(n).view(-1, 1, 1)
    lengths = torch.tensor([50, 44, 47, 41, 50])
    observed = (torch.arange(t) < lengths.view(-1, 1, 1)).expand(n, 2, t)
    batch = SeriesBatch(x * observed, observed, lengths, torch.arange(n))
    for seed in range(5):
        torch.manual_seed(seed)
        task.training_step(batch)
        z1, z2 = seen["z1"], seen["z2"]
        torch.testing.assert_close(z1, z2)  # same original steps, same order
        assert z1.shape[1] >= 2 and seen["valid"].all()
        first = z1[:, 0, 0] - 100 * torch.arange(n)  # where each series' overlap starts
        assert ((first >= 0) & (first + z1.shape[1] <= lengths)).all()  # inside its length
        assert torch.equal(
            z1[:, :, 0] - z1[:, :1, 0], torch.arange(z1.shape[1]).float().expand(n, -1)
        )


def test_timestamp_masking_hides_about_half_the_steps_in_training_only():
    task, batch = make_task(), series_batch()
    masks = []
    original = task.encoder.forward_steps

    def recording(x, observed, latent_mask=None):
        masks.append(latent_mask)
        return original(x, observed, latent_mask)

    task.encoder.forward_steps = recording
    task.train()
    for _ in range(20):
        task.training_step(batch)
    hidden = torch.cat([m.flatten().float() for m in masks])
    assert len(masks) == 40 and 0.4 < hidden.mean() < 0.6
    masks.clear()
    task.eval()
    task.training_step(batch)
    assert masks == [None, None]


def test_max_train_length_cuts_long_series_first():
    task, batch = make_task(max_train_length=30), series_batch()
    torch.manual_seed(0)
    x1, _, x2, _, overlap, lengths = task.views(batch)
    assert (lengths <= 30).all() and x1.shape[-1] <= 30 and x2.shape[-1] <= 30 and overlap >= 2
    assert torch.isfinite(task.training_step(batch)[0])


def test_state_dict_round_trip_gives_the_same_loss():
    batch = series_batch(channels=3)
    assert_loading_the_state_dict_gives_the_same_loss(make_task(3, 0), make_task(3, 1), batch)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    task, batch = make_task(), series_batch()
    before, after = losses_before_and_after_adamw_steps(
        task, batch, steps=40, seed=7, reseed_every_step=True
    )
    assert after < 0.92 * before


def test_runs_on_the_real_ts_conv_encoder():
    torch.manual_seed(0)
    backbone = build_backbone("ts-conv", in_channels=3, hidden=16, dim=32, depth=2)
    task, batch = TS2Vec(TS2VecConfig(), backbone), series_batch(channels=3)
    loss = seeded_loss(task, batch)
    assert torch.isfinite(loss)
    loss.backward()
    assert task.encoder.input_proj.weight.grad.abs().sum() > 0
    assert task.embed(batch.x, batch.observed).shape == (6, 32)


@pytest.mark.parametrize(
    "options",
    [
        {"alpha": 1.5},
        {"temporal_unit": -1},
        {"mask_prob": 1.0},
        {"max_train_length": 1},
        {"average_from": 1.0},
    ],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="ts2vec"):
        make_task(**options)


def _sgd_steps(task: TS2Vec, batch: SeriesBatch, steps: int) -> list[dict[str, torch.Tensor]]:
    """``steps`` SGD steps with on_step_end after each, as the engine makes them; returns
    the encoder's weights after each step."""
    optimizer = torch.optim.SGD([p for p in task.parameters() if p.requires_grad], lr=0.1)
    after = []
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        seeded_loss(task, batch, seed=step).backward()
        optimizer.step()
        task.on_step_end(step, steps)
        after.append({k: v.clone() for k, v in task.encoder.state_dict().items()})
    return after


def test_later_jobs_get_the_average_of_the_weights_after_every_step():
    task, batch = make_task(channels=2, average_weights=True), series_batch(channels=2)
    assert task.trained_encoder is task.encoder  # before any step: the weights as they are
    after = _sgd_steps(task, batch, steps=3)
    assert task.trained_encoder is task.averaged and int(task.averaged_steps) == 3
    averaged = task.averaged.state_dict()
    for name, last in after[-1].items():
        mean = torch.stack([weights[name] for weights in after]).mean(0)
        torch.testing.assert_close(averaged[name], mean)
        assert not torch.allclose(averaged[name], last)  # not simply the last weights
    task.eval()
    torch.testing.assert_close(
        task.embed(batch.x, batch.observed), task.averaged(batch.x, batch.observed)
    )
    assert all(not p.requires_grad for p in task.averaged.parameters())  # never trained


def test_averaging_from_half_way_averages_the_weights_of_the_second_half_only():
    task = make_task(channels=2, average_weights=True, average_from=0.5)
    batch = series_batch(channels=2)
    after = _sgd_steps(task, batch, steps=4)
    assert int(task.averaged_steps) == 2  # steps 3 and 4 of 4
    averaged = task.averaged.state_dict()
    for name in after[-1]:
        mean = torch.stack([after[2][name], after[3][name]]).mean(0)
        torch.testing.assert_close(averaged[name], mean)


def test_by_default_later_jobs_get_the_last_weights():
    task, batch = make_task(channels=2), series_batch(channels=2)
    _sgd_steps(task, batch, steps=2)
    assert task.trained_encoder is task.encoder and not hasattr(task, "averaged")
    assert not any(k.startswith("averaged") for k in task.state_dict())  # no copy saved


def test_the_average_survives_a_checkpoint_and_old_checkpoints_load_with_the_last_weights():
    task, batch = make_task(channels=2, average_weights=True), series_batch(channels=2)
    _sgd_steps(task, batch, steps=2)
    copy = make_task(channels=2, seed=1, average_weights=True)
    copy.load_state_dict(task.state_dict())
    assert int(copy.averaged_steps) == 2
    for name, value in task.averaged.state_dict().items():
        torch.testing.assert_close(copy.averaged.state_dict()[name], value, rtol=0, atol=0)
    old = {k: v for k, v in task.state_dict().items() if not k.startswith("averaged")}
    from_old = make_task(channels=2, seed=1, average_weights=True)
    from_old.load_state_dict(old)  # a checkpoint written before averaging existed
    assert from_old.trained_encoder is from_old.encoder
    for name, value in task.encoder.state_dict().items():
        torch.testing.assert_close(from_old.averaged.state_dict()[name], value, rtol=0, atol=0)


def test_ts2vec_refuses_ts_patch_and_says_what_fits():
    """ts-patch gives all steps of a patch one vector: the moments' term would hold copies
    of the anchor among its decoys (a floor of log(steps - 1)), so a run is refused."""
    from ssl_studio.core.tasks.registry import check_backbone, describe_tasks

    with pytest.raises(
        ConfigError, match="ts2vec cannot train ts-patch.*ts-conv.*masked or forecast"
    ):
        check_backbone("ts2vec", "ts-patch")
    check_backbone("ts2vec", "ts-conv")
    for task in ("masked", "forecast"):
        check_backbone(task, "ts-patch")
    listed = {t["name"]: t["backbones"] for t in describe_tasks()}
    assert listed["ts2vec"] == ["ts-conv"] and listed["masked"] is None


def test_a_series_run_on_ts_patch_defaults_to_masked_modelling():
    from pathlib import Path

    from ssl_studio.core.config import PretrainConfig

    cfg = PretrainConfig(project=Path("p"), dataset="d", backbone="ts-patch")
    cfg.resolve("timeseries", 100)
    assert cfg.task == "masked"
    cfg = PretrainConfig(project=Path("p"), dataset="d")
    cfg.resolve("timeseries", 100)
    assert (cfg.task, cfg.backbone) == ("ts2vec", "ts-conv")
