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


def _sines(n: int = 16, length: int = 64, seed: int = 0) -> SeriesBatch:
    """Sines of period 16 (two 8-step patches a period) at random phases, all observed."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(n, 1, 1, generator=g) * 2 * torch.pi
    x = torch.sin(2 * torch.pi * torch.arange(length) / 16 + phase)
    observed = torch.ones_like(x, dtype=torch.bool)
    return SeriesBatch(x, observed, torch.full((n,), length), torch.arange(n))


def _ts_patch_task(**options) -> MaskedSeries:
    torch.manual_seed(0)
    options = {"dim": 32, "depth": 1, "dropout": 0.0, **options}
    return MaskedSeries(MaskedSeriesConfig(), build_backbone("ts-patch", in_channels=1, **options))


def test_ts_patch_predictions_differ_between_the_steps_of_a_patch():
    """ts-patch gives all steps of a patch one vector; the head predicts the whole patch
    (patch_len values a channel) and each step takes its own, as PatchTST reconstructs."""
    task = _ts_patch_task().eval()
    assert tuple(task.head.weight.shape) == (8, 32)  # patch_len x C outputs
    batch = _sines(2)
    steps = task.encoder.forward_steps(batch.x, batch.observed)
    assert torch.equal(steps[:, 0], steps[:, 7])  # one vector for the patch...
    pred = task.predict(steps)  # [N, C, T]
    assert pred[:, 0, :8].std(-1).min() > 1e-4  # ...but eight different predictions
    by_hand = task.head(steps[:, 3]).view(2, 8, 1)[:, 3]  # step 3: place 3 of patch 0
    torch.testing.assert_close(pred[:, :, 3], by_hand)


def test_overlapping_patches_give_each_step_its_place_in_its_patch():
    """patch_len 8, stride 4, T 20: patches start at 0, 4, 8, 12; steps 16..19 get the
    last one (none starts after it), at places 4..7, past the stride."""
    task = _ts_patch_task(patch_len=8, stride=4)
    encoder = task.encoder
    assert encoder.num_patches(20) == 4 and encoder.steps_per_vector == 8
    torch.testing.assert_close(encoder.step_patches(20), (torch.arange(20) // 4).clamp(max=3))
    places = encoder.step_offsets(20)
    torch.testing.assert_close(places[:16], torch.arange(16) % 4)
    torch.testing.assert_close(places[16:], torch.tensor([4, 5, 6, 7]))
    assert int(places.max()) < encoder.patch_len
    batch = _sines(2, length=20)
    pred, target, hidden = task.reconstruct(batch.x, batch.observed)
    assert pred.shape == target.shape == (2, 1, 20) and torch.isfinite(pred).all()


def test_ts_patch_reconstruction_beats_any_prediction_constant_over_a_patch():
    """After 60 steps on sines, the hidden values are filled in better than by the best
    constant per patch (the mean of the patch's hidden targets): the floor of a head that
    gives all steps of a patch one value (the old per-step head on ts-patch)."""
    task = _ts_patch_task()
    optimizer = torch.optim.Adam(task.parameters(), lr=0.01)
    for step in range(60):
        torch.manual_seed(step)
        loss, _ = task.training_step(_sines(seed=step))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.manual_seed(1000)
    with torch.no_grad():
        batch = _sines(seed=1000)
        pred, target, hidden = task.reconstruct(batch.x, batch.observed)
    mse = (pred - target)[hidden].square().mean()
    patches = hidden.view(16, 1, 8, 8).float()
    grouped = target.view(16, 1, 8, 8)
    mean = (grouped * patches).sum(-1, keepdim=True) / patches.sum(-1, keepdim=True).clamp_min(1)
    floor = ((grouped - mean).square() * patches).sum() / patches.sum()
    assert floor > 0.05 and mse < 0.5 * floor, (float(mse), float(floor))


def test_ts_conv_keeps_a_per_step_head():
    backbone = build_backbone("ts-conv", in_channels=3, hidden=16, dim=32, depth=2)
    assert tuple(MaskedSeries(MaskedSeriesConfig(), backbone).head.weight.shape) == (3, 32)


@pytest.mark.parametrize("channels", [1, 3])
def test_a_ts_patch_checkpoint_with_one_value_a_patch_loads_and_predicts_as_before(channels):
    """A head of the old shape (C outputs, the same at every step of a patch) loads as that
    value at each place of the patch, each channel its own (3 channels: a place-major or
    channel-major mix-up shows)."""
    torch.manual_seed(0)
    encoder = build_backbone("ts-patch", in_channels=channels, dim=32, depth=1, dropout=0.0)
    task = MaskedSeries(MaskedSeriesConfig(), encoder).eval()
    old = torch.nn.Linear(32, channels)
    state = task.state_dict()
    state["head.weight"], state["head.bias"] = old.weight.detach(), old.bias.detach()
    task.load_state_dict(state)
    batch = _sines(2)
    x = torch.cat([batch.x * (c + 1) for c in range(channels)], 1)  # [2, C, 64]
    steps = task.encoder.forward_steps(x, torch.ones_like(x, dtype=torch.bool))
    torch.testing.assert_close(task.predict(steps), old(steps).transpose(1, 2))
