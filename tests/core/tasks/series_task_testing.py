"""Shared helpers of the time-series task tests (imported as ``from series_task_testing
import ...``, like task_testing.py): a tiny stand-in encoder and ragged, gappy batches."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.models.backbones import Backbone


class StandInEncoder(nn.Module):
    """Stand-in for models/series.py's encoders, with their interface: per step [x, observed]
    -> Conv1d (kernel 3, same padding), steps with nothing observed or hidden by latent_mask
    zeroed, GELU, Conv1d -> [N, T, dim]; forward max-pools over the observed steps."""

    def __init__(self, in_channels: int, dim: int = 16) -> None:
        super().__init__()
        self.in_channels, self.dim = in_channels, dim
        self.input_proj = nn.Conv1d(2 * in_channels, dim, 3, padding=1)
        self.out = nn.Conv1d(dim, dim, 3, padding=1)

    def forward_steps(self, x, observed, latent_mask=None):
        h = self.input_proj(torch.cat([x * observed, observed.float()], 1))  # [N, dim, T]
        hide = ~observed.any(1) if latent_mask is None else ~observed.any(1) | latent_mask
        return self.out(F.gelu(h.masked_fill(hide[:, None], 0.0))).transpose(1, 2)

    def forward(self, x, observed=None):
        observed = torch.ones_like(x, dtype=torch.bool) if observed is None else observed
        steps = self.forward_steps(x, observed)
        return steps.masked_fill(~observed.any(1)[..., None], float("-inf")).amax(1)


def stand_in(channels: int, seed: int = 0) -> Backbone:
    torch.manual_seed(seed)
    return Backbone(StandInEncoder(channels), 16, "timeseries", "stand-in", is_cnn=False)


def series_batch(n: int = 6, channels: int = 1, seed: int = 0) -> SeriesBatch:
    """n noisy sines (channel c at scale 1 + 3c, offset c) of lengths 40..60, about 10 % of the
    values missing (NaN, then 0 and unobserved), padded at the end to the longest."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(40, 61, (n,), generator=g)
    lengths[0] = 60
    t = int(lengths.max())
    steps = torch.arange(t).float()
    freq = 0.1 + 0.4 * torch.rand(n, channels, 1, generator=g)
    scale = 1 + 3 * torch.arange(channels).float().view(1, -1, 1)
    raw = scale * torch.sin(steps * freq) + torch.arange(channels).view(1, -1, 1)
    raw = raw + 0.1 * torch.randn(n, channels, t, generator=g)
    raw[torch.rand(n, channels, t, generator=g) < 0.1] = float("nan")
    raw[(steps >= lengths[:, None, None]).expand(n, channels, t)] = float("nan")
    observed = ~raw.isnan()
    return SeriesBatch(torch.nan_to_num(raw) * observed, observed, lengths, torch.arange(n))
