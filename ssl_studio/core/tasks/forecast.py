"""Forecasting: from a window of a series (the context), predict the steps that follow it.

Each series gets its own random window inside its true length: ``context`` steps to see,
then ``horizon`` steps to predict. Defaults: the context is the longest that fits in the
series together with its horizon, capped by ``max_context``; the horizon is
``horizon_fraction`` of the whole window (at least 1 step), so longer series predict further.
The context (left-aligned, padding after it, as in every batch) goes through ``augment`` (if
given) and the encoder's ``forward_steps``; the representation of its last step with an
observed value goes through a linear head that predicts ``[max_horizon, C]``, of which a
series' first ``horizon`` steps are scored: the mean squared error on the future values
that were observed, standardized per (series, channel) with the mean and standard deviation
of the context's observed values (un-augmented). Left out of the loss: series too short for
a context of ``context`` steps (at least 1) plus the horizon, channels whose context has
fewer than two distinct observed values (nothing to standardize with), and series whose
context has no observed value at all. A batch in which no series is long enough raises a
ConfigError naming the shortest usable length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.tasks.base import SeriesTask
from ssl_studio.core.tasks.losses import masked_mse
from ssl_studio.core.tasks.masked_series import observed_stats

# a context's std used to standardize its future is at least this share of the channel's
# std over the dataset
CONTEXT_STD_FLOOR = 0.2


@dataclass
class ForecastConfig:
    """Options of forecasting; the defaults adapt the window to each series' length."""

    horizon_fraction: float = option(
        0.2, "Share of each window that is future to predict (when horizon is empty)."
    )
    horizon: int | None = option(
        None, "Steps to predict; empty: the horizon fraction of the window."
    )
    context: int | None = option(
        None, "Steps the model sees; empty: as many as the series allows, up to the max context."
    )
    max_context: int = option(512, "Longest context when context is empty.")

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        if not 0 < self.horizon_fraction < 1:
            raise ConfigError(
                f"forecast: horizon_fraction must be between 0 and 1, not {self.horizon_fraction}."
            )
        for name in ("horizon", "context"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"forecast: {name} must be at least 1 step (or empty).")
        if self.max_context < 1:
            raise ConfigError("forecast: max_context must be at least 1 step.")


class Windows(NamedTuple):
    """One draw of context and future windows for a batch of N series of C channels.

    context_x, context_observed: [N, C, Tc], series i's context at steps [0, context_i),
    padding after; future_x: [N, C, Hb] the true values of the following ``horizon_i``
    steps (0 after them); future_observed: [N, C, Hb], False after horizon_i; context,
    horizon, start: [N] long (the context begins at step ``start`` of the series); usable:
    [N] bool, False for series too short (their windows are empty).
    """

    context_x: Tensor
    context_observed: Tensor
    future_x: Tensor
    future_observed: Tensor
    context: Tensor
    horizon: Tensor
    start: Tensor
    usable: Tensor


class Forecast(SeriesTask):
    """Direct multi-step forecasting with a linear head on the last context step."""

    name = "forecast"
    Config = ForecastConfig
    summary = "Predict: continue each recording a few steps past a window of it."
    explanation = (
        "The model sees a stretch of each recording and must predict how every channel goes "
        "on for the next steps, by default a fifth of the stretch. To do this well it has to "
        "pick up the trends, rhythms and the way channels drive each other. Only values that "
        "were really measured are scored."
    )

    def __init__(
        self, cfg: ForecastConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        self.channels = int(self.encoder.in_channels)
        self.max_horizon = self._max_horizon()
        self.head = nn.Linear(self.dim, self.max_horizon * self.channels)

    @property
    def max_window(self) -> int:
        """Longest automatic window (context + horizon), where the context reaches max_context."""
        cfg = self.cfg
        if cfg.horizon is not None:
            return cfg.max_context + cfg.horizon
        return round(cfg.max_context / (1 - cfg.horizon_fraction))

    def _max_horizon(self) -> int:
        cfg = self.cfg
        if cfg.horizon is not None:
            return cfg.horizon
        if cfg.context is not None:
            f = cfg.horizon_fraction
            return max(1, round(f * cfg.context / (1 - f)))
        return int(self._horizon_for(torch.tensor([self.max_window]))[0])  # as plan() rounds

    def _horizon_for(self, window: Tensor) -> Tensor:
        """Horizon of windows of ``window`` steps: [N] long -> [N] long."""
        if self.cfg.horizon is not None:
            return torch.full_like(window, self.cfg.horizon)
        return (window.float() * self.cfg.horizon_fraction).round().long().clamp_min(1)

    def plan(self, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Context and horizon lengths for series of ``lengths``: [N] -> (context, horizon,
        usable), each [N]."""
        lengths = lengths.long()
        if self.cfg.context is not None:
            context = torch.full_like(lengths, self.cfg.context)
            horizon = torch.full_like(lengths, self.max_horizon)
        else:
            window = lengths.clamp(max=self.max_window)
            horizon = self._horizon_for(window)
            context = (window - horizon).clamp(max=self.cfg.max_context)
        return context, horizon, (context >= 1) & (lengths >= context + horizon)

    def shortest_usable(self) -> int:
        """The shortest series that gives a window (at least 1 context step + horizon)."""
        if self.cfg.context is not None:
            return self.cfg.context + self.max_horizon
        length = 2
        while not bool(self.plan(torch.tensor([length]))[2]):
            length += 1
        return length

    def windows(self, x: Tensor, observed: Tensor, lengths: Tensor) -> Windows:
        """Draw each series' window: x, observed [N, C, T], lengths [N] -> :class:`Windows`."""
        n, c, t = x.shape
        lengths = lengths.to(x.device).long().clamp(max=t)
        context, horizon, usable = self.plan(lengths)
        if not usable.any():
            raise ConfigError(
                f"forecast needs series of at least {self.shortest_usable()} steps (context + "
                f"horizon); the longest in this batch has {int(lengths.max())}. Use longer "
                "recordings, or set a shorter context or horizon."
            )
        room = torch.where(usable, lengths - context - horizon, 0)
        start = torch.minimum((torch.rand(n, device=x.device) * (room + 1)).long(), room)

        def take(first: Tensor, count: Tensor, width: int) -> tuple[Tensor, Tensor]:
            steps = torch.arange(width, device=x.device)
            inside = ((steps < count[:, None]) & usable[:, None]).unsqueeze(1)  # [N, 1, W]
            index = (first[:, None] + steps).clamp(0, t - 1).unsqueeze(1).expand(n, c, width)
            values = torch.where(inside, x.gather(2, index), torch.zeros((), device=x.device))
            return values, observed.gather(2, index) & inside

        cx, co = take(start, context, int(context[usable].max()))
        fx, fo = take(start + context, horizon, int(horizon[usable].max()))
        return Windows(cx, co, fx, fo, context, horizon, start, usable)

    def predict(self, context_x: Tensor, context_observed: Tensor) -> tuple[Tensor, Tensor]:
        """Forecast from contexts [N, C, Tc] -> (pred [N, C, max_horizon], has [N] bool: the
        context had an observed value, whose last step's representation was used)."""
        steps = self.encoder.forward_steps(context_x, context_observed)  # [N, Tc, D]
        seen = context_observed.any(1)  # [N, Tc]
        order = torch.arange(1, seen.shape[1] + 1, device=seen.device)
        last = (seen * order).amax(1) - 1  # [N], -1 when nothing was observed
        rep = steps[torch.arange(len(steps), device=steps.device), last.clamp_min(0)]
        pred = self.head(rep).view(-1, self.max_horizon, self.channels).transpose(1, 2)
        return pred, last >= 0

    def targets(self, w: Windows) -> tuple[Tensor, Tensor]:
        """The future standardized with its context's observed values' mean and std (the
        std at least ``CONTEXT_STD_FLOOR`` of the channel's std over the dataset: a nearly
        flat context followed by a step made targets of thousands of units, and the loss
        jumped 4 orders of magnitude): (target, scored) [N, C, Hb]; scored is False where
        the future value was not observed, lies past the series' horizon, or its
        channel's context cannot standardize it."""
        mean, std, varies = observed_stats(w.context_x, w.context_observed)
        scale = getattr(self.encoder, "input_scale", None)
        if scale is not None:  # [C]: the dataset's std of each channel
            std = torch.maximum(std, CONTEXT_STD_FLOOR * scale.to(std.dtype)[None, :, None])
        target = (w.future_x - mean) / torch.where(varies, std, torch.ones_like(std))
        scored = w.future_observed & varies
        return torch.where(scored, target, torch.zeros_like(target)), scored

    def training_step(self, batch: SeriesBatch) -> tuple[Tensor, dict[str, float]]:
        """MSE on the observed future values; logs the share of series used and the mean
        context and horizon lengths."""
        x, observed = batch.x, batch.observed.bool() & ~torch.isnan(batch.x)
        w = self.windows(x, observed, batch.lengths)
        cx, co = w.context_x, w.context_observed
        if self.augment is not None:
            cx, co = self.augment(cx, co, lengths=torch.where(w.usable, w.context, 0))
        pred, has = self.predict(cx, co)
        pred = pred[..., : w.future_x.shape[-1]]  # [N, C, Hb]
        target, scored = self.targets(w)
        scored = scored & has[:, None, None]
        n = len(x)
        loss = masked_mse(
            pred.reshape(n, -1, 1),
            target.reshape(n, -1, 1),
            scored.reshape(n, -1).float(),
        )
        used = w.usable.float()
        logs = {
            "usable_fraction": used.mean().detach(),
            "context": (w.context * used).sum().detach() / used.sum(),
            "horizon": (w.horizon * used).sum().detach() / used.sum(),
        }
        return loss, logs
