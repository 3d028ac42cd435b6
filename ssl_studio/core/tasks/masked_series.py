"""Masked modelling of series: hide random stretches of observed values and fill them in.

In each (series, channel), exactly ``round(mask_ratio * K)`` of its K observed values are
hidden, in stretches whose lengths are geometric with mean ``span`` (counted in observed
values: a stretch passes over missing steps). The encoder sees the series with the hidden
values zeroed and marked unobserved; a linear head on ``forward_steps`` predicts every
channel's value at every step. Where steps share one vector (ts-patch gives every step of a
patch its patch's vector; ``steps_per_vector`` of the encoder, patch_len), the head predicts
the whole stretch, ``steps_per_vector`` values per channel as PatchTST reconstructs a patch,
and each step takes the value at its place in it (``step_offsets``), so the steps of a patch
can differ; with one vector per step (ts-conv) it is a per-step Linear(dim -> C). The loss
is the mean squared error on the hidden values only. Targets are standardized per (series,
channel) with the mean and standard deviation (population, ddof 0) of all its observed
values, so every recording weighs the same whatever its units. Real missing values and
padding are never hidden, never input and never targets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.tasks.base import SeriesTask
from ssl_studio.core.tasks.losses import masked_mse


@dataclass
class MaskedSeriesConfig:
    """Options of masked series modelling."""

    mask_ratio: float = option(0.4, "Share of each recording's observed values hidden.")
    span: int = option(5, "Average length, in values, of a hidden stretch.")

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        if not 0 < self.mask_ratio < 1:
            raise ConfigError(f"masked: mask_ratio must be between 0 and 1, not {self.mask_ratio}.")
        if self.span < 1:
            raise ConfigError(f"masked: span must be at least 1 value, not {self.span}.")


def observed_stats(x: Tensor, observed: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Mean and standard deviation (ddof 0) of each (series, channel)'s observed values.

    x, observed: [N, C, T] -> mean, std: [N, C, 1] float, and varies: [N, C, 1] bool, True
    where there are at least two observed values and they are not (numerically) all equal.
    """
    values = torch.where(observed, x, torch.zeros_like(x))
    count = observed.sum(-1, keepdim=True)
    mean = values.sum(-1, keepdim=True) / count.clamp_min(1)
    deviation = torch.where(observed, x - mean, torch.zeros_like(x))
    std = (deviation.square().sum(-1, keepdim=True) / count.clamp_min(1)).sqrt()
    varies = (count >= 2) & (std > 1e-6 * (1 + mean.abs()))
    return mean, std, varies


def exact_span_mask(
    observed: Tensor, ratio: float, span: float, generator: torch.Generator | None = None
) -> Tensor:
    """Hide exactly ``round(ratio * K)`` of each (series, channel)'s K observed values.

    observed: [N, C, T] bool -> hidden: [N, C, T] bool, True only where observed. In each
    row, the observed values are taken in time order; stretch lengths are drawn geometric
    with mean ``span`` (the last one cut to reach the count exactly), and the stretches and
    the kept values are shuffled into a uniformly random order (neighbouring stretches may
    join into a longer one).
    """
    n, c, t = observed.shape
    rows, device = n * c, observed.device
    obs = observed.reshape(rows, t)
    count = obs.sum(1)  # K: [R]
    hide = torch.round(count.float() * ratio).long()  # H: [R] (float32: MPS has no float64)
    if span > 1:
        u = 1.0 - torch.rand(rows, t, generator=generator, device=device)  # (0, 1]
        length = 1 + torch.floor(u.log() / math.log1p(-1.0 / span)).long()
    else:
        length = torch.ones(rows, t, dtype=torch.long, device=device)
    before = length.cumsum(1) - length  # hidden values in the earlier stretches
    length = torch.minimum(length, (hide[:, None] - before).clamp_min(0))  # sums to H
    stretches = (length > 0).sum(1)  # S: [R]
    items = count - hide + stretches  # M: S stretches and K - H kept values, M <= K <= T
    slot = torch.arange(t, device=device)
    scores = torch.rand(rows, t, generator=generator, device=device)
    scores = scores.masked_fill(slot >= items[:, None], 2.0)  # slots past M come last
    is_stretch = scores.argsort(1).argsort(1) < stretches[:, None]  # [R, T] per item slot
    which = (is_stretch.long().cumsum(1) - 1).clamp_min(0)  # stretch number of each slot
    item_length = torch.where(is_stretch, length.gather(1, which), torch.ones_like(length))
    item_end = item_length.cumsum(1)  # [R, T]: observed values up to the item's end
    item_of = torch.searchsorted(item_end, slot.expand(rows, t).contiguous(), right=True)
    hidden_rank = is_stretch.gather(1, item_of.clamp_max(t - 1))  # by rank of observed value
    rank = (obs.long().cumsum(1) - 1).clamp_min(0)
    return (obs & hidden_rank.gather(1, rank)).view(n, c, t)


class MaskedSeries(SeriesTask):
    """Masked value modelling on a series encoder with ``forward_steps`` and a linear head:
    Linear(dim -> steps_per_vector * C), outputs ordered (place in the stretch, channel)."""

    name = "masked"
    Config = MaskedSeriesConfig
    summary = "Fill in: redraw stretches of the recording that were hidden."
    explanation = (
        "Stretches of each recording, 40 % of its measured values by default, are hidden at "
        "random, and the model must fill them in from what remains: the values before and "
        "after the gap and the other channels at the same time. To do this well it has to "
        "learn the usual rhythms, shapes and relations between channels of the recordings. "
        "Values that were never measured are never asked for."
    )

    def __init__(
        self, cfg: MaskedSeriesConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.channels = int(self.encoder.in_channels)
        self.steps_per_vector = int(getattr(self.encoder, "steps_per_vector", 1))
        self.head = nn.Linear(self.dim, self.steps_per_vector * self.channels)

    def predict(self, steps: Tensor) -> Tensor:
        """Per-step representations [N, T, D] -> every channel's value at every step
        [N, C, T]: the head's ``steps_per_vector`` values per channel, each step taking
        the one at its place among the steps that share its vector."""
        n, t, _ = steps.shape
        out = self.head(steps).view(n, t, self.steps_per_vector, self.channels)
        if self.steps_per_vector == 1:
            return out[:, :, 0].transpose(1, 2)
        place = self.encoder.step_offsets(t, steps.device)  # [T]
        return out[:, torch.arange(t, device=steps.device), place].transpose(1, 2)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        """A ts-patch checkpoint from before the head predicted whole patches (one value per
        channel, the same for every step of a patch) loads with that value at every place,
        so it predicts as it did."""
        for name in ("weight", "bias"):
            key = f"{prefix}head.{name}"
            old = state_dict.get(key)
            if old is not None and self.steps_per_vector > 1 and len(old) == self.channels:
                state_dict[key] = old.repeat(self.steps_per_vector, *[1] * (old.ndim - 1))
        super()._load_from_state_dict(state_dict, prefix, *args)

    def reconstruct(self, x: Tensor, observed: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Hide, encode, predict: x, observed [N, C, T] -> (pred, target, hidden) [N, C, T].

        pred is in standardized units; target is x standardized per (series, channel) with
        its observed values' mean and std (a constant channel: minus the mean only);
        hidden is True where an observed value was hidden from the encoder.
        """
        hidden = exact_span_mask(observed, self.cfg.mask_ratio, self.cfg.span)
        visible = observed & ~hidden
        steps = self.encoder.forward_steps(torch.where(visible, x, 0.0), visible)  # [N, T, D]
        pred = self.predict(steps)  # [N, C, T]
        mean, std, varies = observed_stats(x, observed)
        target = (x - mean) / torch.where(varies, std, torch.ones_like(std))
        return pred, torch.where(observed, target, torch.zeros_like(target)), hidden

    def training_step(self, batch: SeriesBatch) -> tuple[Tensor, dict[str, float]]:
        """MSE on the hidden values; logs the fraction of observed values hidden."""
        x, observed = batch.x, batch.observed.bool() & ~torch.isnan(batch.x)
        if self.augment is not None:
            x, observed = self.augment(x, observed, lengths=batch.lengths)
        pred, target, hidden = self.reconstruct(x, observed)
        n = x.shape[0]
        flat = hidden.reshape(n, -1)
        loss = masked_mse(pred.reshape(n, -1, 1), target.reshape(n, -1, 1), flat.float())
        fraction = flat.sum() / observed.sum().clamp_min(1)
        return loss, {"hidden_fraction": fraction.detach().float()}
