"""Batched time-series augmentation on the training device, each sample with its own random draw.

A batch arrives as ``x: [N, C, T]`` float32, 0 where a value is missing or the step is
padding, and ``observed: [N, C, T]`` bool (False: missing or padding). A series of true length
L < T is padded at the end. Every operation here keeps ``observed`` honest: a value it cannot
compute from observed values becomes unobserved (and 0), padding stays padding, and nothing
missing is ever made up.

``SeriesAugment`` makes one view in this order: time warp, scaling, jitter, channel dropout,
span masking. ``random_crop`` cuts one window per sample; ``overlapping_crops`` cuts TS2Vec's
pair of overlapping windows. Every random draw is per sample and comes from one optional
``torch.Generator`` on x's device, so a seeded generator reproduces the views. Nothing loops
over samples in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ssl_studio.core.config import option
from ssl_studio.core.errors import ConfigError

_SNAP = 1e-4  # a warped position this close to a whole step reads that step alone


@dataclass
class SeriesAugmentConfig:
    """Augmentations for contrastive and masked pretext tasks on time series."""

    jitter_std: float = option(
        0.03, "Random noise added to each value, as a share of the series' spread (0: off)."
    )
    scale_std: float = option(
        0.1, "Random change of each channel's amplitude: multiply by 1 + noise of this size."
    )
    time_warp: float = option(
        0.2, "Strength of a smooth random speeding up and slowing down of time (0: off)."
    )
    warp_knots: int = option(4, "Points along the series where the random speed is chosen.")
    channel_dropout: float = option(
        0.1, "Chance to hide each channel completely (at least one channel always stays)."
    )
    mask_ratio: float = option(0.0, "Share of the values hidden in random stretches (0: off).")
    mask_span: int = option(5, "Average length, in steps, of a hidden stretch.")

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        _check(self.jitter_std >= 0, "jitter_std cannot be negative.")
        _check(self.scale_std >= 0, "scale_std cannot be negative.")
        _check(0 <= self.time_warp <= 2, "time_warp must be between 0 and 2.")
        _check(self.warp_knots >= 2, "warp_knots must be at least 2.")
        _check(0 <= self.channel_dropout < 1, "channel_dropout must be at least 0 and below 1.")
        _check(0 <= self.mask_ratio < 1, "mask_ratio must be at least 0 and below 1.")
        _check(self.mask_span >= 1, "mask_span must be at least 1 step.")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(f"Time-series augmentation: {message}")


class SeriesAugment(torch.nn.Module):
    """Random views of a batch of series, each sample with its own random parameters.

    Holds no weights. Call it once per view (two calls give the two views of a pair).
    """

    def __init__(self, cfg: SeriesAugmentConfig) -> None:
        super().__init__()
        cfg.validate()
        self.cfg = cfg

    def forward(
        self,
        x: Tensor,
        observed: Tensor,
        generator: torch.Generator | None = None,
        lengths: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """See ``_forward``; always computed in float32, also inside an autocast region."""
        with torch.autocast(x.device.type, enabled=False):
            return self._forward(x.float(), observed, generator, lengths)

    def _forward(
        self,
        x: Tensor,
        observed: Tensor,
        generator: torch.Generator | None = None,
        lengths: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """[N, C, T], [N, C, T] -> augmented (x, observed) of the same shape, on x's device.

        generator: on x's device, for reproducible views (None: torch's global one).
        lengths: [N] true lengths; None reads them from ``observed`` (one past the last step
        with any observed value), which treats trailing all-missing steps as padding.
        """
        _check_batch(x, observed)
        cfg = self.cfg
        observed = observed.to(device=x.device, dtype=torch.bool)
        lengths = series_lengths(observed) if lengths is None else lengths.to(x.device)
        if cfg.time_warp > 0:
            x, observed = time_warp(x, observed, lengths, cfg.time_warp, cfg.warp_knots, generator)
        n, c, _ = x.shape
        if cfg.scale_std > 0:
            factor = torch.randn(n, c, 1, generator=generator, device=x.device, dtype=x.dtype)
            x = x * factor.mul_(cfg.scale_std).add_(1.0)
        if cfg.jitter_std > 0:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            spread = _observed_std(x, observed).mul_(cfg.jitter_std)  # [N, C, 1]
            x = torch.addcmul(x, noise.mul_(observed), spread)
        if cfg.channel_dropout > 0 and c > 1:
            keep = _channels_kept(observed, cfg.channel_dropout, generator).unsqueeze(2)
            observed = observed & keep
            x = x * keep
        if cfg.mask_ratio > 0:
            hidden = span_mask(x.shape, cfg.mask_ratio, cfg.mask_span, generator, x.device)
            observed = observed & ~hidden
            x = x * observed
        return x, observed


def series_lengths(observed: Tensor) -> Tensor:
    """observed: [N, C, T] bool -> [N] long, one past the last step where any channel is seen."""
    t = observed.shape[-1]
    steps = torch.arange(1, t + 1, device=observed.device)
    return (observed.any(dim=1) * steps).amax(dim=1)


def time_warp(
    x: Tensor,
    observed: Tensor,
    lengths: Tensor,
    strength: float,
    knots: int = 4,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Resample each series along a smooth, increasing random time grid; the ends stay put.

    x, observed: [N, C, T]; lengths: [N] true lengths -> warped (x, observed) [N, C, T].
    Each sample draws ``knots`` speeds ``exp(strength * N(0, 1))`` spread evenly over its
    length; the speed between them is interpolated linearly, and the source position of output
    step j is the running sum of the speeds up to j, scaled so that step 0 reads step 0 and
    step L - 1 reads step L - 1. Values are interpolated linearly between the two neighbouring
    steps; a warped step is observed when every neighbour it reads (with non-zero weight) is.
    Steps at or after L stay padding. All channels of a sample share the warp.
    """
    n, c, t = x.shape
    if t < 2:
        return x, observed
    device, dtype = x.device, x.dtype
    lengths = lengths.to(device=device, dtype=torch.long).clamp(0, t)
    last = (lengths - 1).clamp_min(0).to(dtype).unsqueeze(1)  # [N, 1] last true step
    speeds = torch.randn(n, knots, generator=generator, device=device, dtype=dtype)
    speeds = speeds.mul_(strength).exp_()  # [N, K] > 0
    gaps = torch.arange(t - 1, device=device, dtype=dtype)  # gap m lies between steps m, m + 1
    at = ((gaps + 0.5) / last.clamp_min(1.0)).clamp_(0.0, 1.0) * (knots - 1)  # [N, T-1] knots
    k0 = at.floor().clamp_(max=knots - 2).long()
    speed = torch.lerp(speeds.gather(1, k0), speeds.gather(1, k0 + 1), at - k0)
    speed = speed * (gaps < last)  # gaps past the series' end add nothing
    run = speed.cumsum(dim=1)
    run = run / run[:, -1:].clamp_min(torch.finfo(dtype).tiny) * last
    pos = torch.cat((torch.zeros(n, 1, device=device, dtype=dtype), run), dim=1)
    pos = torch.minimum(pos, last)  # [N, T] source positions, increasing, pos[L-1] = L-1
    whole = pos.round()
    pos = torch.where((pos - whole).abs() < _SNAP, whole, pos)

    i0 = pos.floor().clamp_(0, t - 2)
    w1 = pos - i0  # weight of the right neighbour, in [0, 1]
    w0 = 1.0 - w1
    i0 = i0.long().unsqueeze(1).expand(n, c, t)
    x0, x1 = x.gather(2, i0), x.gather(2, i0 + 1)
    o0, o1 = observed.gather(2, i0), observed.gather(2, i0 + 1)
    w0, w1 = w0.unsqueeze(1), w1.unsqueeze(1)
    inside = (torch.arange(t, device=device) < lengths.unsqueeze(1)).unsqueeze(1)  # [N, 1, T]
    seen = (o0 | (w0 == 0)) & (o1 | (w1 == 0)) & inside
    warped = (x0 * w0 + x1 * w1) * seen
    return warped, seen


def span_mask(
    shape: tuple[int, ...] | torch.Size,
    ratio: float,
    span: float,
    generator: torch.Generator | None = None,
    device: torch.device | str = "cpu",
) -> Tensor:
    """Random stretches to hide: [N, C, T] bool, True = hidden, each (sample, channel) its own.

    Hidden and kept stretches alternate with geometric lengths of mean ``span`` and
    ``span * (1 - ratio) / ratio`` (at least 1; for ratios that would need shorter kept
    stretches the hidden ones grow instead), starting in the hidden state with probability
    ``ratio``: every step is hidden with probability ``ratio``, independently of the data.
    """
    n, c, t = shape
    m = n * c
    hide_mean, keep_mean = float(span), float(span) * (1 - ratio) / ratio
    if keep_mean < 1.0:
        hide_mean, keep_mean = ratio / (1 - ratio), 1.0
    first_hidden = torch.rand(m, 1, generator=generator, device=device) < ratio  # [M, 1]
    means = torch.tensor([hide_mean, keep_mean], device=device)
    means = torch.where(first_hidden, means, means.flip(0)).unsqueeze(1)  # [M, 1, 2]
    pairs = t // 2 + 1  # each pair of stretches covers at least 2 steps
    u = 1.0 - torch.rand(m, pairs, 2, generator=generator, device=device)  # (0, 1]
    stretch = 1.0 + torch.floor(u.log() / torch.log1p(-1.0 / means))  # [M, P, 2] >= 1
    ends = stretch.view(m, 2 * pairs).cumsum(dim=1).clamp_max_(t).long()
    starts = torch.zeros(m, t + 1, device=device).scatter_add_(
        1, ends, torch.ones(m, 2 * pairs, device=device)
    )
    stretch_index = starts[:, :t].cumsum(dim=1).long()  # which stretch each step belongs to
    hidden = (stretch_index % 2 == 1) ^ first_hidden
    return hidden.view(n, c, t)


def random_crop(
    x: Tensor,
    observed: Tensor,
    lengths: Tensor,
    crop_len: int,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample random window of crop_len steps inside each series' true length.

    x, observed: [N, C, T]; lengths: [N] long -> (x [N, C, crop_len], observed
    [N, C, crop_len], start [N] long). Sample i's window is [start_i, start_i + crop_len)
    with start_i uniform in [0, max(L_i - crop_len, 0)]; a series shorter than crop_len is
    kept whole and padded at the end (0, unobserved).
    """
    _check_batch(x, observed)
    if crop_len < 1:
        raise ValueError(f"random_crop needs crop_len >= 1, got {crop_len}")
    lengths = lengths.to(device=x.device, dtype=torch.long).clamp(0, x.shape[-1])
    room = (lengths - crop_len).clamp_min(0)  # [N] last allowed start
    draw = torch.rand(lengths.shape[0], generator=generator, device=x.device)
    start = torch.minimum((draw * (room + 1)).long(), room)
    xc, oc = _take_windows(x, observed, lengths, start, crop_len)
    return xc, oc, start


def overlapping_crops(
    x: Tensor,
    observed: Tensor,
    lengths: Tensor,
    generator: torch.Generator | None = None,
    min_overlap: int = 1,
) -> tuple[Tensor, Tensor, Tensor, Tensor, int]:
    """TS2Vec's contextual-consistency pair: two windows per sample that overlap.

    x, observed: [N, C, T]; lengths: [N] long true lengths -> (x1, obs1, x2, obs2, overlap)
    with x1, obs1: [N, C, overlap + left] and x2, obs2: [N, C, overlap + right].

    As in TS2Vec, one set of window sizes is drawn per batch, from the shortest true length S
    of the batch: ``overlap`` uniform in [min(min_overlap, S), S]; then the overlap's place
    a in [0, S - overlap]; ``left`` uniform in [0, a]; ``right`` uniform in
    [0, S - a - overlap]. Each sample then gets its own offset o_i, uniform in
    [0, L_i - (left + overlap + right)], and its windows are view 1 = [o_i, o_i + left +
    overlap) and view 2 = [o_i + left, o_i + left + overlap + right): a1 <= a2 < b1 <= b2, both
    inside the sample's true length, so neither view holds padding (only its missing values).

    Alignment rule: the overlap is the LAST ``overlap`` steps of view 1 and the FIRST
    ``overlap`` steps of view 2, the same original steps in the same order, for every sample:
    a loss compares ``repr1[:, -overlap:]`` with ``repr2[:, :overlap]`` (time on axis 1 of
    [N, T, D] representations; ``x1[..., -overlap:]`` equals ``x2[..., :overlap]``).
    """
    _check_batch(x, observed)
    device = x.device
    lengths = lengths.to(device=device, dtype=torch.long).clamp(0, x.shape[-1])
    shortest = max(int(lengths.min()), 1) if lengths.numel() else 1
    low = min(max(int(min_overlap), 1), shortest)
    sizes = torch.rand(4, generator=generator, device=device).tolist()  # one draw per batch
    overlap = low + _pick(sizes[0], shortest - low)
    a = _pick(sizes[1], shortest - overlap)
    left = _pick(sizes[2], a)
    right = _pick(sizes[3], shortest - a - overlap)
    room = (lengths - (left + overlap + right)).clamp_min(0)  # [N] last allowed offset
    draw = torch.rand(lengths.shape[0], generator=generator, device=device)
    offset = torch.minimum((draw * (room + 1)).long(), room)
    x1, obs1 = _take_windows(x, observed, lengths, offset, left + overlap)
    x2, obs2 = _take_windows(x, observed, lengths, offset + left, overlap + right)
    return x1, obs1, x2, obs2, overlap


def _pick(r: float, most: int) -> int:
    """A uniform number r in [0, 1) as a whole number in [0, most]."""
    return min(int(r * (most + 1)), most)


def _take_windows(
    x: Tensor, observed: Tensor, lengths: Tensor, start: Tensor, width: int
) -> tuple[Tensor, Tensor]:
    """Windows [start_i, start_i + width) of x, observed: [N, C, T] -> [N, C, width] each.

    Steps at or after a sample's true length (or past T) come back as padding: 0, unobserved.
    """
    n, c, t = x.shape
    if t == 0:
        empty = x.new_zeros(n, c, width)
        return empty, empty.bool()
    steps = start.unsqueeze(1) + torch.arange(width, device=x.device)  # [N, width]
    inside = (steps < lengths.unsqueeze(1)).unsqueeze(1)  # [N, 1, width]
    index = steps.clamp(0, t - 1).unsqueeze(1).expand(n, c, width)
    seen = observed.gather(2, index) & inside
    return x.gather(2, index) * seen, seen


def _observed_std(x: Tensor, observed: Tensor) -> Tensor:
    """Standard deviation of each (sample, channel)'s observed values: [N, C, T] -> [N, C, 1]."""
    count = observed.sum(dim=2, keepdim=True).clamp_min(1)
    mean = (x * observed).sum(dim=2, keepdim=True) / count
    square = ((x - mean) * observed).square().sum(dim=2, keepdim=True)
    return (square / count).sqrt_()


def _channels_kept(observed: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """Channels that survive dropout: [N, C] bool from observed: [N, C, T].

    Each channel is hidden with probability p; when that would hide every channel that has
    observed values, the hidden one with the smallest draw comes back.
    """
    n, c, _ = observed.shape
    draw = torch.rand(n, c, generator=generator, device=observed.device)
    has_data = observed.any(dim=2)
    keep = draw >= p
    lost = has_data.any(dim=1) & ~(keep & has_data).any(dim=1)  # [N] would show nothing
    rescue = torch.where(has_data, draw, math.inf).argmin(dim=1, keepdim=True)  # [N, 1]
    back = torch.zeros_like(keep).scatter_(1, rescue, lost.unsqueeze(1))
    return keep | back


def _check_batch(x: Tensor, observed: Tensor) -> None:
    if x.dim() != 3 or observed.shape != x.shape:
        raise ValueError(
            "Time-series augmentation expects x and observed of the same shape [N, C, T], "
            f"got {tuple(x.shape)} and {tuple(observed.shape)}"
        )
