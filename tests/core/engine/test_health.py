"""The collapse gauges: embedding spread and effective rank (RankMe)."""

from __future__ import annotations

import pytest
import torch

from ssl_studio.core.engine.health import effective_rank, embedding_spread


def test_effective_rank_reads_one_for_collapsed_embeddings_and_high_for_spread_ones():
    g = torch.Generator().manual_seed(0)
    healthy = torch.randn(256, 32, generator=g)
    # every input mapped to (nearly) the same vector: a collapsed run
    collapsed = torch.randn(1, 32, generator=g).repeat(256, 1)
    collapsed += 1e-4 * torch.randn(256, 32, generator=g)
    assert effective_rank(collapsed) == pytest.approx(1.0, abs=0.05)
    assert effective_rank(healthy) > 25
    assert embedding_spread(collapsed) < 0.01 < 0.5 < embedding_spread(healthy)


def test_effective_rank_of_a_hand_made_spectrum():
    # orthogonal rows with singular values 3 and 1: p = (0.75, 0.25)
    z = torch.tensor([[3.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    entropy = -(0.75 * torch.log(torch.tensor(0.75)) + 0.25 * torch.log(torch.tensor(0.25)))
    assert effective_rank(z) == pytest.approx(float(torch.exp(entropy)), rel=1e-4)
    assert effective_rank(torch.eye(4)) == pytest.approx(4.0, rel=1e-4)
