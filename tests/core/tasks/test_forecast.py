"""Forecasting: windows and targets are the true future, observed-only loss, too-short series,
gradients, round trip, learning."""

from __future__ import annotations

import pytest
import torch
from series_task_testing import series_batch, stand_in

from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.forecast import Forecast, ForecastConfig

from task_testing import (
    assert_loading_the_state_dict_gives_the_same_loss,
    losses_before_and_after_adamw_steps,
    seeded_loss,
)


def time_index_batch(lengths: list[int], channels: int = 2) -> SeriesBatch:
    """x[i, c, t] = t + 1000 c: every value says where it comes from; all observed."""
    n, t = len(lengths), max(lengths)
    lengths_t = torch.tensor(lengths)
    observed = (torch.arange(t) < lengths_t.view(-1, 1, 1)).expand(n, channels, t)
    x = torch.arange(t).float() + 1000 * torch.arange(channels).view(1, -1, 1).float()
    return SeriesBatch(x * observed, observed, lengths_t, torch.arange(n))


def make_task(channels: int = 1, seed: int = 0, **options) -> Forecast:
    return Forecast(ForecastConfig(**options), stand_in(channels, seed))


@pytest.mark.parametrize("channels", [1, 3])
def test_finite_loss_on_ragged_gappy_series_and_gradient_reaches_the_input_layer(channels):
    task, batch = make_task(channels), series_batch(channels=channels)
    loss, logs = task.training_step(batch)
    assert loss.ndim == 0 and torch.isfinite(loss) and loss > 0
    assert float(logs["usable_fraction"]) == 1.0 and float(logs["horizon"]) >= 8
    loss.backward()
    grad = task.encoder.input_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0 and torch.isfinite(grad).all()


@pytest.mark.parametrize(
    ("options", "contexts", "horizons"),
    [
        ({}, [32, 40, 48, 34], [8, 10, 12, 9]),  # whole series: 0.2 of it is the horizon
        ({"horizon": 5}, [35, 45, 55, 38], [5] * 4),
        ({"context": 20, "horizon": 6}, [20] * 4, [6] * 4),
        ({"context": 20}, [20] * 4, [5] * 4),  # 0.2 of the 25-step window
        ({"max_context": 16}, [16] * 4, [4] * 4),  # window 16 / 0.8 = 20 steps
    ],
)
def test_the_windows_are_the_true_context_and_future(options, contexts, horizons):
    task, lengths = make_task(channels=2, **options), [40, 50, 60, 43]
    batch = time_index_batch(lengths)
    torch.manual_seed(0)
    w = task.windows(batch.x, batch.observed, batch.lengths)
    assert w.context.tolist() == contexts and w.horizon.tolist() == horizons
    assert w.usable.all() and task.max_horizon >= max(horizons)
    offset = 1000 * torch.arange(2).view(-1, 1).float()
    for i, (start, context, horizon) in enumerate(zip(w.start, contexts, horizons, strict=True)):
        assert 0 <= start <= lengths[i] - context - horizon
        steps = torch.arange(start, start + context + horizon).float() + offset
        assert torch.equal(w.context_x[i, :, :context], steps[:, :context])
        assert w.context_observed[i, :, :context].all()
        assert not w.context_observed[i, :, context:].any()  # padding after the context
        assert torch.equal(w.future_x[i, :, :horizon], steps[:, context:])
        assert w.future_observed[i, :, :horizon].all()
        assert not w.future_observed[i, :, horizon:].any()
        # target: the future standardized with the context's mean and std (population)
        target, scored = task.targets(w)
        mean = start + (context - 1) / 2 + offset
        std = ((context**2 - 1) / 12) ** 0.5
        expected = (steps[:, context:] - mean) / std
        torch.testing.assert_close(target[i, :, :horizon], expected)
        assert scored[i, :, :horizon].all() and not scored[i, :, horizon:].any()


def test_the_loss_counts_observed_future_values_only():
    task = make_task(channels=3, context=20, horizon=8)
    batch = series_batch(channels=3)
    torch.manual_seed(5)
    w = task.windows(batch.x, batch.observed, batch.lengths)  # what seed 5 draws first
    i, c, k = 2, 1, 3
    t = int(w.start[i]) + 20 + k  # a future step of series i
    observed = batch.observed.clone()
    observed[i, c, t] = False
    x = batch.x.clone()
    x[i, c, t] = 0.0
    gap = SeriesBatch(x, observed, batch.lengths, batch.index)
    loss = seeded_loss(task, gap, seed=5)
    x2 = x.clone()
    x2[i, c, t] = 1e4  # whatever a missing future value holds, it does not count
    assert seeded_loss(task, SeriesBatch(x2, observed, batch.lengths, batch.index), 5) == loss
    x3 = batch.x.clone()
    x3[i, c, t] += 3.0  # an observed future value does count
    changed = SeriesBatch(x3, batch.observed, batch.lengths, batch.index)
    assert seeded_loss(task, changed, seed=5) != seeded_loss(task, batch, seed=5)


def test_series_too_short_are_left_out_and_a_too_short_batch_is_refused():
    task = make_task(channels=2, context=40, horizon=10)  # needs 50 steps
    batch = time_index_batch([40, 50, 60, 43])
    torch.manual_seed(0)
    w = task.windows(batch.x, batch.observed, batch.lengths)
    assert w.usable.tolist() == [False, True, True, False]
    assert not w.context_observed[~w.usable].any() and not w.future_observed[~w.usable].any()
    loss, logs = task.training_step(batch)
    assert torch.isfinite(loss) and float(logs["usable_fraction"]) == 0.5
    x = batch.x.clone()
    x[0] = 123.0  # a too-short series does not count
    other = SeriesBatch(x, batch.observed, batch.lengths, batch.index)
    assert seeded_loss(task, other) == seeded_loss(task, batch)

    short = time_index_batch([40, 45, 49])
    with pytest.raises(ConfigError, match="at least 50 steps.*longest in this batch has 49"):
        task.training_step(short)
    with pytest.raises(ConfigError, match="at least 2 steps"):
        make_task().training_step(time_index_batch([1, 1], channels=1))


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
    task, batch = Forecast(ForecastConfig(), backbone), series_batch(channels=3)
    loss = seeded_loss(task, batch)
    assert torch.isfinite(loss)
    loss.backward()
    assert task.encoder.input_proj.weight.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "options",
    [{"horizon_fraction": 0.0}, {"horizon_fraction": 1.0}, {"horizon": 0}, {"context": 0}],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="forecast"):
        make_task(**options)


def test_a_nearly_flat_context_does_not_blow_up_its_targets():
    """A thermostat holds 20.0 with a 0.001 flicker, then steps up by 2: standardized by
    the context's own std that step was a target of 2 000 (and a squared loss of millions)."""
    from ssl_studio.core.tasks.forecast import CONTEXT_STD_FLOOR, Windows

    encoder = build_backbone("ts-conv", in_channels=1, hidden=8, dim=16, depth=1)
    task = Forecast(ForecastConfig(), encoder)
    task.encoder.set_input_scaling(torch.tensor([0.0]), torch.tensor([1.5]))  # dataset std
    flicker = 20.0 + 0.001 * (torch.arange(10) % 2).float()
    w = Windows(
        flicker.view(1, 1, 10), torch.ones(1, 1, 10, dtype=torch.bool),
        torch.full((1, 1, 2), 22.0), torch.ones(1, 1, 2, dtype=torch.bool),
        torch.tensor([10]), torch.tensor([2]), torch.tensor([0]), torch.tensor([True]),
    )  # fmt: skip
    target, scored = task.targets(w)
    assert scored.all()
    expected = (22.0 - flicker.mean()) / (CONTEXT_STD_FLOOR * 1.5)
    torch.testing.assert_close(target, torch.full_like(target, float(expected)))
    assert float(target.max()) < 10  # not 2 000
