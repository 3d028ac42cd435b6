"""Masked series modelling: exact hidden share, missing values never targets, loss on hidden
values only, gradients, round trip, learning."""

from __future__ import annotations

import pytest
import torch
from series_task_testing import series_batch, stand_in

from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.losses import masked_mse
from ssl_studio.core.tasks.masked_series import (
    MaskedSeries,
    MaskedSeriesConfig,
    exact_span_mask,
    observed_stats,
)

from task_testing import (
    assert_loading_the_state_dict_gives_the_same_loss,
    losses_before_and_after_adamw_steps,
    seeded_loss,
)


def make_task(channels: int = 1, seed: int = 0, **options) -> MaskedSeries:
    return MaskedSeries(MaskedSeriesConfig(**options), stand_in(channels, seed))


@pytest.mark.parametrize("channels", [1, 3])
def test_finite_loss_on_ragged_gappy_series_and_gradient_reaches_the_input_layer(channels):
    task, batch = make_task(channels), series_batch(channels=channels)
    loss, logs = task.training_step(batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and loss > 0
    assert abs(float(logs["hidden_fraction"]) - 0.4) < 0.02
    loss.backward()
    grad = task.encoder.input_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0 and torch.isfinite(grad).all()


@pytest.mark.parametrize(("ratio", "span"), [(0.4, 5), (0.15, 3), (0.7, 1), (0.5, 12)])
def test_exactly_the_requested_share_of_observed_values_is_hidden(ratio, span):
    g = torch.Generator().manual_seed(4)
    observed = torch.rand(8, 3, 300, generator=g) > 0.2
    observed[0, 0] = False  # a channel with nothing observed
    observed[1, :, 150:] = False  # a shorter series
    hidden = exact_span_mask(observed, ratio, span, generator=g)
    assert not (hidden & ~observed).any()  # only observed values are hidden
    count = observed.sum(-1)
    assert ((hidden.sum(-1) - ratio * count).abs() <= 0.5 + 1e-4).all()  # round(ratio * K)
    # runs of hidden values among the observed ones: stretches of mean ``span`` in random
    # order, so a stretch is followed by another (and joins it) with chance about S / M
    ranked = [
        row[obs] for row, obs in zip(hidden.view(-1, 300), observed.view(-1, 300), strict=True)
    ]
    runs = sum(int((r[1:] & ~r[:-1]).sum() + r[0]) for r in ranked if len(r))
    joined = (ratio / span) / (1 - ratio + ratio / span)  # S / M
    assert int(hidden.sum()) / runs == pytest.approx(span / (1 - joined), rel=0.2)


def test_real_missing_values_are_never_targets_nor_inputs():
    task, batch = make_task(channels=3), series_batch(channels=3)
    loss = seeded_loss(task, batch)
    missing = (~batch.observed).nonzero()
    inside = missing[missing[:, 2] < batch.lengths[missing[:, 0]]]  # gaps, not padding
    assert len(inside) > 0
    for i, c, t in (inside[0], inside[-1], missing[-1]):  # two gaps and a padding step
        x = batch.x.clone()
        x[i, c, t] = 1e4
        changed = SeriesBatch(x, batch.observed, batch.lengths, batch.index)
        assert seeded_loss(task, changed) == loss
    x = batch.x.clone()  # an observed value does count (as input or target)
    i, c, t = batch.observed.nonzero()[7]
    x[i, c, t] += 5
    assert seeded_loss(task, SeriesBatch(x, batch.observed, batch.lengths, batch.index)) != loss


def test_the_loss_only_depends_on_the_hidden_values():
    task, batch = make_task(channels=3), series_batch(channels=3)
    torch.manual_seed(3)
    pred, target, hidden = task.reconstruct(batch.x, batch.observed)
    n = len(pred)

    def loss_of(p: torch.Tensor) -> torch.Tensor:
        return masked_mse(p.reshape(n, -1, 1), target.reshape(n, -1, 1), hidden.reshape(n, -1))

    loss = loss_of(pred)
    torch.testing.assert_close(loss, seeded_loss(task, batch, seed=3))  # what training uses
    noise = 10 * torch.randn_like(pred)
    assert loss_of(torch.where(hidden, pred, pred + noise)) == loss
    assert loss_of(torch.where(hidden, pred + noise, pred)) != loss
    # the targets: each channel's observed values standardized with their own mean and std
    mean, std, varies = observed_stats(batch.x, batch.observed)
    assert varies.all()
    i, c = 2, 1
    values = batch.x[i, c][batch.observed[i, c]]
    expected = (values - values.mean()) / values.std(unbiased=False)
    torch.testing.assert_close(target[i, c][batch.observed[i, c]], expected)


def test_state_dict_round_trip_gives_the_same_loss():
    batch = series_batch(channels=3)
    assert_loading_the_state_dict_gives_the_same_loss(make_task(3, 0), make_task(3, 1), batch)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    task, batch = make_task(), series_batch()
    before, after = losses_before_and_after_adamw_steps(
        task, batch, steps=40, seed=7, reseed_every_step=True
    )
    assert after < 0.9 * before


def test_runs_on_the_real_ts_conv_encoder():
    torch.manual_seed(0)
    backbone = build_backbone("ts-conv", in_channels=3, hidden=16, dim=32, depth=2)
    task, batch = MaskedSeries(MaskedSeriesConfig(), backbone), series_batch(channels=3)
    loss = seeded_loss(task, batch)
    assert torch.isfinite(loss)
    loss.backward()
    assert task.encoder.input_proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("options", [{"mask_ratio": 0.0}, {"mask_ratio": 1.0}, {"span": 0}])
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="masked"):
        make_task(**options)
