"""Batched time-series augmentation: shapes, per-sample randomness, honest missing-value masks."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ssl_studio.core.config_fields import describe_options, from_dict, to_dict
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.transforms.series_augment import (
    SeriesAugment,
    SeriesAugmentConfig,
    overlapping_crops,
    random_crop,
    series_lengths,
    span_mask,
    time_warp,
)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
OFF = dict(jitter_std=0.0, scale_std=0.0, time_warp=0.0, channel_dropout=0.0, mask_ratio=0.0)
ONLY = {
    "jitter": dict(jitter_std=0.1),
    "scale": dict(scale_std=0.2),
    "warp": dict(time_warp=0.5),
    "dropout": dict(channel_dropout=0.5),
    "mask": dict(mask_ratio=0.3),
}


def only(**changes: float) -> SeriesAugmentConfig:
    """A config with every augmentation off except ``changes``."""
    return SeriesAugmentConfig(**{**OFF, **changes})  # type: ignore[arg-type]


def seeded(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def batch(
    n: int = 6, c: int = 3, t: int = 50, missing: float = 0.2, seed: int = 0, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random series of unequal lengths (the first one full), padded at the end, with random
    missing values (each series' first and last step observed): (x, observed, lengths)."""
    gen = seeded(seed)
    lengths = torch.randint(t // 2, t + 1, (n,), generator=gen)
    lengths[0] = t
    steps = torch.arange(t)
    observed = torch.rand(n, c, t, generator=gen) >= missing
    observed[:, :, 0] = True
    observed[torch.arange(n), :, lengths - 1] = True
    observed &= steps < lengths.view(n, 1, 1)
    x = torch.randn(n, c, t, generator=gen) * 3 + 1
    return (x * observed).to(device), observed.to(device), lengths.to(device)


def padding(observed: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """[N, C, T] bool: the steps at or after each series' true length."""
    t = observed.shape[-1]
    return (torch.arange(t, device=observed.device) >= lengths.view(-1, 1, 1)).expand_as(observed)


@pytest.mark.parametrize("device", DEVICES)
def test_shapes_devices_and_dtypes(device: str) -> None:
    x, observed, lengths = batch(device=device)
    y, seen = SeriesAugment(SeriesAugmentConfig(mask_ratio=0.2))(x, observed, seeded(0, device))
    assert y.shape == seen.shape == x.shape
    assert y.device == seen.device == x.device
    assert y.dtype == torch.float32 and seen.dtype == torch.bool
    xc, oc, start = random_crop(x, observed, lengths, 20, seeded(0, device))
    assert xc.shape == oc.shape == (6, 3, 20) and start.shape == (6,)
    assert xc.device == oc.device == start.device == x.device
    x1, o1, x2, o2, overlap = overlapping_crops(x, observed, lengths, seeded(0, device))
    assert x1.shape == o1.shape and x2.shape == o2.shape
    assert x1.shape[:2] == x2.shape[:2] == (6, 3) and 1 <= overlap <= min(x1.shape[2], x2.shape[2])
    assert x1.device == x2.device == x.device and isinstance(overlap, int)


def test_mismatched_shapes_are_refused() -> None:
    x, observed, _ = batch()
    with pytest.raises(ValueError, match=r"\[N, C, T\]"):
        SeriesAugment(SeriesAugmentConfig())(x, observed[:, :, :-1])


def test_seeded_generator_reproduces_views() -> None:
    x, observed, lengths = batch()
    augment = SeriesAugment(SeriesAugmentConfig(mask_ratio=0.2))
    a, b, c = (augment(x, observed, seeded(s)) for s in (7, 7, 8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])
    crops = [overlapping_crops(x, observed, lengths, seeded(s), 4) for s in (3, 3)]
    assert all(torch.equal(p, q) for p, q in zip(crops[0][:4], crops[1][:4], strict=True))
    starts = [random_crop(x, observed, lengths, 9, seeded(1))[2] for _ in range(2)]
    assert torch.equal(*starts)


@pytest.mark.parametrize("name", sorted(ONLY))
def test_identical_series_get_different_augmentations(name: str) -> None:
    x, observed, _ = batch(n=1, c=4, t=60, missing=0.0)
    x, observed = x.expand(16, -1, -1), observed.expand(16, -1, -1)
    y, seen = SeriesAugment(only(**ONLY[name]))(x, observed, seeded(0))
    distinct = torch.cat((y, seen), dim=1).flatten(1).unique(dim=0).shape[0]
    assert distinct >= (6 if name == "dropout" else 16)  # dropout: 16 channel patterns only


def test_crops_start_differently_for_identical_series() -> None:
    index = torch.arange(200, dtype=torch.float32).expand(16, 1, 200)  # x = the step number
    observed, lengths = torch.ones_like(index, dtype=torch.bool), torch.full((16,), 200)
    assert random_crop(index, observed, lengths, 20, seeded(0))[2].unique().numel() > 8
    firsts = [overlapping_crops(index, observed, lengths, seeded(s))[0][:, 0, 0] for s in range(4)]
    assert max(f.unique().numel() for f in firsts) > 1  # one window size, own offsets per sample


@pytest.mark.parametrize("name", sorted(ONLY) + ["all"])
def test_missing_stays_missing_and_padding_stays_padding(name: str) -> None:
    x, observed, lengths = batch(n=16, t=80, missing=0.3, seed=1)
    cfg = SeriesAugmentConfig(mask_ratio=0.2) if name == "all" else only(**ONLY[name])
    y, seen = SeriesAugment(cfg)(x, observed, seeded(2), lengths)
    assert not seen[padding(seen, lengths)].any()
    assert torch.all(y[~seen] == 0)
    assert torch.isfinite(y).all()
    if name not in ("warp", "all"):  # without a warp, steps keep their place
        assert not (seen & ~observed).any()


def test_warp_never_reads_a_missing_value() -> None:
    x, observed, lengths = batch(n=32, t=60, missing=0.3, seed=3)
    marked = torch.where(observed, x, torch.full_like(x, 1e6))  # a read of a gap would show
    y, seen = time_warp(marked, observed, lengths, 0.8, 4, seeded(0))
    assert seen.any() and torch.all(y[seen].abs() < 1e3)
    assert not seen[padding(seen, lengths)].any() and torch.all(y[~seen] == 0)
    empty = torch.zeros_like(observed)
    assert not time_warp(x, empty, lengths, 0.8, 4, seeded(0))[1].any()


@pytest.mark.parametrize("name", ["jitter", "scale"])
def test_jitter_and_scale_keep_exactly_the_observed_values(name: str) -> None:
    x, observed, lengths = batch(n=8, missing=0.25, seed=4)
    y, seen = SeriesAugment(only(**ONLY[name]))(x, observed, seeded(0), lengths)
    assert torch.equal(seen, observed)
    assert not torch.equal(y, x)


def test_jitter_is_relative_to_each_series_spread() -> None:
    x = torch.linspace(-1, 1, 400).repeat(2, 1, 1) * torch.tensor([1.0, 100.0]).view(2, 1, 1)
    observed = torch.ones_like(x, dtype=torch.bool)
    y, _ = SeriesAugment(only(jitter_std=0.05))(x, observed, seeded(0))
    ratio = (y - x).std(dim=2) / x.std(dim=2)
    assert torch.allclose(ratio, torch.full_like(ratio, 0.05), rtol=0.2)


def test_channel_dropout_never_hides_every_channel() -> None:
    x, observed, lengths = batch(n=400, c=3, t=20, seed=5)
    observed[::3, 1:] = False  # a third of the samples have data in channel 0 alone
    x = x * observed
    y, seen = SeriesAugment(only(channel_dropout=0.9))(x, observed, seeded(0), lengths)
    shown = seen.any(dim=2)  # [N, C]
    assert shown.any(dim=1).all()
    assert (shown.sum(dim=1) == 1).float().mean() > 0.5  # dropout did act
    hidden = observed.any(dim=2) & ~shown
    assert torch.all(y[hidden] == 0) and not seen[hidden].any()
    assert torch.equal(seen, observed & shown.unsqueeze(2))  # whole channels or nothing
    one = SeriesAugment(only(channel_dropout=0.9))(x[:, :1], observed[:, :1], seeded(0))
    assert torch.equal(one[1], observed[:, :1])  # a single channel is never hidden


@pytest.mark.parametrize(("ratio", "span"), [(0.3, 5), (0.15, 1), (0.8, 2)])
def test_mask_ratio_hides_about_the_requested_share(ratio: float, span: int) -> None:
    x, observed, lengths = batch(n=64, c=4, t=400, missing=0.2, seed=6)
    _, seen = SeriesAugment(only(mask_ratio=ratio, mask_span=span))(x, observed, seeded(0))
    hidden = (observed & ~seen).sum() / observed.sum()
    assert abs(float(hidden) - ratio) < 0.02
    assert not (seen & ~observed).any()


def test_mask_spans_have_about_the_requested_mean_length() -> None:
    hidden = span_mask((64, 4, 400), 0.25, 6, seeded(0)).view(-1, 400)
    starts = hidden[:, 1:] & ~hidden[:, :-1]
    ends = hidden[:, :-1] & ~hidden[:, 1:]
    runs = (starts.sum() + ends.sum()) / 2  # spans cut at either end count about half
    assert abs(float(hidden.sum() / runs) - 6) < 0.6


def test_time_warp_off_is_the_identity() -> None:
    x, observed, lengths = batch(seed=7)
    y, seen = SeriesAugment(only())(x, observed, seeded(0))
    assert torch.equal(y, x) and torch.equal(seen, observed)
    y, seen = time_warp(x, observed, lengths, 0.0, 4, seeded(0))
    assert torch.equal(seen, observed)
    assert torch.allclose(y, x, atol=1e-5)


@pytest.mark.parametrize("strength", [0.3, 1.0])
def test_time_warp_is_monotone_and_keeps_the_ends(strength: float) -> None:
    n, t = 32, 120
    lengths = torch.randint(10, t + 1, (n,), generator=seeded(8))
    observed = (torch.arange(t) < lengths.view(n, 1, 1)).expand(n, 2, t).clone()
    ramp = torch.arange(t, dtype=torch.float32).expand(n, 2, t) * observed
    y, seen = time_warp(ramp, observed, lengths, strength, 5, seeded(1))
    assert torch.equal(seen, observed)  # nothing was missing, so nothing goes missing
    rows = torch.arange(n)
    assert torch.allclose(y[:, :, 0], torch.zeros(n, 2), atol=1e-3)
    assert torch.allclose(y[rows, :, lengths - 1], (lengths - 1).float().view(n, 1), atol=1e-3)
    rising = (y[:, :, 1:] - y[:, :, :-1] > 0) | ~observed[:, :, 1:]
    assert rising.all()
    assert (y - ramp).abs().amax() > 0.5  # it did warp
    assert torch.equal(y[:, 0], y[:, 1])  # channels share the warp


def test_series_lengths_reads_the_last_observed_step() -> None:
    _, observed, lengths = batch(seed=9)
    assert torch.equal(series_lengths(observed), lengths)
    assert series_lengths(torch.zeros(2, 1, 5, dtype=torch.bool)).tolist() == [0, 0]


@pytest.mark.parametrize("crop_len", [1, 30, 80])
def test_random_crop_windows_lie_inside_each_true_length(crop_len: int) -> None:
    n, c, t = 64, 2, 60
    lengths = torch.randint(1, t + 1, (n,), generator=seeded(10))
    observed = (torch.arange(t) < lengths.view(n, 1, 1)).expand(n, c, t).clone()
    steps = (torch.arange(t, dtype=torch.float32) + 1).expand(n, c, t) * observed  # step + 1
    xc, oc, start = random_crop(steps, observed, lengths, crop_len, seeded(0))
    kept = torch.minimum(lengths, torch.tensor(crop_len))  # [N] steps of real data in a crop
    assert torch.equal(oc, (torch.arange(crop_len) < kept.view(n, 1, 1)).expand(n, c, crop_len))
    assert torch.all(start >= 0) and torch.all(start + kept <= lengths)
    assert torch.all(start[lengths <= crop_len] == 0)
    expected = (start.view(n, 1, 1) + torch.arange(crop_len) + 1).float() * oc
    assert torch.equal(xc, expected)


@pytest.mark.parametrize("seed", range(6))
def test_overlapping_crops_align_the_same_steps(seed: int) -> None:
    n, c, t = 16, 2, 100
    lengths = torch.randint(20, t + 1, (n,), generator=seeded(seed))
    observed = (torch.arange(t) < lengths.view(n, 1, 1)).expand(n, c, t).clone()
    observed[:, 1, ::7] = False  # missing values travel with their steps
    index = torch.arange(t, dtype=torch.float32).expand(n, c, t).clone()
    x = index * observed
    x1, o1, x2, o2, overlap = overlapping_crops(x, observed, lengths, seeded(seed), min_overlap=4)
    assert 4 <= overlap <= int(lengths.min())
    assert torch.equal(x1[..., -overlap:], x2[..., :overlap])
    assert torch.equal(o1[..., -overlap:], o2[..., :overlap])
    for view, seen in ((x1, o1), (x2, o2)):
        where = view[:, 0]  # channel 0 is fully observed: it holds the original step numbers
        assert torch.equal(seen[:, 0], torch.ones_like(seen[:, 0]))  # no padding inside a window
        assert torch.all(where[:, 1:] - where[:, :-1] == 1)  # consecutive steps
        assert torch.all(where >= 0) and torch.all(where < lengths.view(n, 1))
        assert torch.equal(seen[:, 1], where.long() % 7 != 0)
    a1, b1 = x1[:, 0, 0], x1[:, 0, -1] + 1  # view 1 = [a1, b1), view 2 = [a2, b2)
    a2, b2 = x2[:, 0, 0], x2[:, 0, -1] + 1
    assert torch.all((a1 <= a2) & (a2 < b1) & (b1 <= b2)) and torch.all(b1 - a2 == overlap)


def test_overlapping_crops_with_a_very_short_series() -> None:
    x, observed, lengths = batch(n=4, t=40, missing=0.0, seed=11)
    lengths[2] = 3
    observed &= torch.arange(40) < lengths.view(4, 1, 1)
    x1, o1, x2, o2, overlap = overlapping_crops(x * observed, observed, lengths, seeded(0), 8)
    assert 1 <= overlap <= 3 and x1.shape[2] <= 3 and x2.shape[2] <= 3
    assert o1.all() and o2.all()


def test_config_validates_round_trips_and_explains_every_option() -> None:
    cfg = SeriesAugmentConfig()
    cfg.validate()
    assert from_dict(SeriesAugmentConfig, to_dict(cfg)) == cfg
    assert all(row["help"] for row in describe_options(SeriesAugmentConfig))
    bad = dict(jitter_std=-1, time_warp=-0.1, warp_knots=1, channel_dropout=1.0, mask_ratio=1.0)
    for name, value in bad.items():
        with pytest.raises(ConfigError, match=name):
            SeriesAugment(dataclasses.replace(cfg, **{name: value}))
