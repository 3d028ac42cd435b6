"""Embedding cached items: progress after each batch, Stop honoured before each."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from ssl_studio.core.evaluation.embeddings import embed_series
from ssl_studio.core.events import Stopped, StopToken


class Reader:
    """A cache reader of series held in memory: item["id"] -> (values, observed) [C, T]."""

    def __init__(self, series):
        self.data = series

    def series(self, item):
        values = self.data[item["id"]]
        return values, np.ones(values.shape, bool)


class MeanEncoder(nn.Module):
    def forward(self, x, observed):  # x: [N, C, T] -> [N, C]
        return x.sum(2) / observed.sum(2).clamp(min=1)


def test_progress_after_each_batch_and_stop_before_the_next():
    rng = np.random.default_rng(0)
    series = [rng.normal(size=(2, 10 + i % 3)).astype(np.float32) for i in range(10)]
    items = [{"id": i, "length": s.shape[1]} for i, s in enumerate(series)]
    done = []
    z = embed_series(
        MeanEncoder(), items, Reader(series), channels=2, device=torch.device("cpu"),
        batch_size=4, progress=lambda n, total: done.append((n, total)),
    )  # fmt: skip
    assert z.shape == (10, 2) and np.allclose(z[3].numpy(), series[3].mean(1), atol=1e-6)
    assert done[-1] == (10, 10) and [n for n, _ in done] == sorted(n for n, _ in done)
    stop = StopToken()
    seen = []

    def stop_after_first(n, total):
        seen.append(n)
        stop.stop()

    with pytest.raises(Stopped):
        embed_series(
            MeanEncoder(), items, Reader(series), channels=2, device=torch.device("cpu"),
            batch_size=4, stop=stop, progress=stop_after_first,
        )  # fmt: skip
    assert len(seen) == 1  # no batch after the Stop
