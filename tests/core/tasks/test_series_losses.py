"""TS2Vec's hierarchical contrastive loss against hand computations and the reference code."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ssl_studio.core.tasks.losses import (
    hierarchical_contrastive,
    instance_contrast,
    temporal_contrast,
)


def nll(anchor: list[float], positive: list[float], negatives: list[list[float]]) -> float:
    """-log(exp(a.p) / (exp(a.p) + sum of exp(a.n))), the dot products written out."""

    def dot(u: list[float], v: list[float]) -> float:
        return sum(a * b for a, b in zip(u, v, strict=True))

    top = math.exp(dot(anchor, positive))
    return -math.log(top / (top + sum(math.exp(dot(anchor, n)) for n in negatives)))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


# N = 2 series, T = 2 steps, D = 2: a[i][t] is view 1 of series i at step t, b[i][t] view 2
A = [[[1.0, 0.0], [0.0, 1.0]], [[0.5, -1.0], [1.0, 1.0]]]
B = [[[1.0, 0.5], [-0.5, 1.0]], [[0.0, -1.0], [1.5, 0.0]]]


def hand_terms() -> tuple[float, float, float]:
    """(instance term at scale 0, temporal term at scale 0, instance term at scale 1)."""
    a, b = A, B
    # instance-wise: at each step, the partner is the other view of the same series, and
    # both views of the other series at that step are the negatives
    inst0 = mean(
        [
            nll(a[0][0], b[0][0], [a[1][0], b[1][0]]),
            nll(a[1][0], b[1][0], [a[0][0], b[0][0]]),
            nll(b[0][0], a[0][0], [a[1][0], b[1][0]]),
            nll(b[1][0], a[1][0], [a[0][0], b[0][0]]),
            nll(a[0][1], b[0][1], [a[1][1], b[1][1]]),
            nll(a[1][1], b[1][1], [a[0][1], b[0][1]]),
            nll(b[0][1], a[0][1], [a[1][1], b[1][1]]),
            nll(b[1][1], a[1][1], [a[0][1], b[0][1]]),
        ]
    )
    # temporal: within a series, the partner is the other view of the same step, and both
    # views of the series' other step are the negatives
    temp0 = mean(
        [
            nll(a[0][0], b[0][0], [a[0][1], b[0][1]]),
            nll(a[0][1], b[0][1], [a[0][0], b[0][0]]),
            nll(b[0][0], a[0][0], [a[0][1], b[0][1]]),
            nll(b[0][1], a[0][1], [a[0][0], b[0][0]]),
            nll(a[1][0], b[1][0], [a[1][1], b[1][1]]),
            nll(a[1][1], b[1][1], [a[1][0], b[1][0]]),
            nll(b[1][0], a[1][0], [a[1][1], b[1][1]]),
            nll(b[1][1], a[1][1], [a[1][0], b[1][0]]),
        ]
    )
    # max-pool by 2 along time leaves one step: p[i] = max(a[i][0], a[i][1]) per coordinate
    p = [[max(a[i][0][d], a[i][1][d]) for d in range(2)] for i in range(2)]
    q = [[max(b[i][0][d], b[i][1][d]) for d in range(2)] for i in range(2)]
    inst1 = mean(
        [
            nll(p[0], q[0], [p[1], q[1]]),
            nll(p[1], q[1], [p[0], q[0]]),
            nll(q[0], p[0], [p[1], q[1]]),
            nll(q[1], p[1], [p[0], q[0]]),
        ]
    )
    return inst0, temp0, inst1


def test_matches_the_hand_computation():
    z1, z2 = torch.tensor(A, dtype=torch.float64), torch.tensor(B, dtype=torch.float64)
    inst0, temp0, inst1 = hand_terms()
    assert instance_contrast(z1, z2).item() == pytest.approx(inst0, rel=1e-12)
    assert temporal_contrast(z1, z2).item() == pytest.approx(temp0, rel=1e-12)
    # two scales (T = 2, then T = 1 with its instance term only), averaged
    expected = (0.5 * inst0 + 0.5 * temp0 + 0.5 * inst1) / 2
    assert hierarchical_contrastive(z1, z2).item() == pytest.approx(expected, rel=1e-12)
    expected = (0.3 * inst0 + 0.7 * temp0 + 0.3 * inst1) / 2
    assert hierarchical_contrastive(z1, z2, alpha=0.3).item() == pytest.approx(expected, rel=1e-12)
    # temporal_unit 1: the temporal term starts at scale 1, where one step is left: none
    expected = (0.5 * inst0 + 0.5 * inst1) / 2
    got = hierarchical_contrastive(z1, z2, temporal_unit=1).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_one_step_leaves_the_instance_term_only():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 1, 4, generator=g), torch.randn(5, 1, 4, generator=g)
    assert temporal_contrast(z1, z2) == 0
    inst = instance_contrast(z1, z2)
    torch.testing.assert_close(hierarchical_contrastive(z1, z2, alpha=1.0), inst)
    torch.testing.assert_close(hierarchical_contrastive(z1, z2, alpha=0.5), 0.5 * inst)


def test_the_order_of_the_batch_does_not_matter():
    g = torch.Generator().manual_seed(1)
    z1, z2 = torch.randn(6, 11, 8, generator=g), torch.randn(6, 11, 8, generator=g)
    valid = torch.arange(11) < torch.tensor([11, 9, 4, 11, 7, 2])[:, None]
    order = torch.randperm(6, generator=g)
    for v, w in ((None, None), (valid, valid[order])):
        torch.testing.assert_close(
            hierarchical_contrastive(z1, z2, valid=v),
            hierarchical_contrastive(z1[order], z2[order], valid=w),
        )


def reference_hierarchical(z1: torch.Tensor, z2: torch.Tensor, alpha=0.5, temporal_unit=0):
    """TS2Vec's own losses.py (github.com/yuezhihan/ts2vec, MIT licence), condensed."""

    def contrast(z: torch.Tensor, size: int) -> torch.Tensor:  # z: [G, 2 * size, D]
        sim = z @ z.transpose(1, 2)
        logits = torch.tril(sim, diagonal=-1)[:, :, :-1] + torch.triu(sim, diagonal=1)[:, :, 1:]
        logits = -F.log_softmax(logits, dim=-1)
        i = torch.arange(size)
        return (logits[:, i, size + i - 1].mean() + logits[:, size + i, i].mean()) / 2

    def instance(z1, z2):
        if z1.size(0) == 1:
            return z1.new_tensor(0.0)
        return contrast(torch.cat([z1, z2], dim=0).transpose(0, 1), z1.size(0))

    def temporal(z1, z2):
        if z1.size(1) == 1:
            return z1.new_tensor(0.0)
        return contrast(torch.cat([z1, z2], dim=1), z1.size(1))

    loss, d = torch.tensor(0.0, dtype=z1.dtype), 0
    while z1.size(1) > 1:
        loss += alpha * instance(z1, z2)
        if d >= temporal_unit:
            loss += (1 - alpha) * temporal(z1, z2)
        d += 1
        z1 = F.max_pool1d(z1.transpose(1, 2), kernel_size=2).transpose(1, 2)
        z2 = F.max_pool1d(z2.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if z1.size(1) == 1:
        loss += alpha * instance(z1, z2)
        d += 1
    return loss / d


@pytest.mark.parametrize(
    ("n", "t", "alpha", "unit"), [(4, 13, 0.5, 0), (3, 16, 0.2, 2), (1, 9, 0.5, 0)]
)
def test_without_padding_it_is_the_reference_implementation(n, t, alpha, unit):
    g = torch.Generator().manual_seed(n * t)
    z1 = torch.randn(n, t, 5, generator=g, dtype=torch.float64)
    z2 = torch.randn(n, t, 5, generator=g, dtype=torch.float64)
    torch.testing.assert_close(
        hierarchical_contrastive(z1, z2, alpha, unit), reference_hierarchical(z1, z2, alpha, unit)
    )


def test_padding_neither_counts_nor_gets_gradients():
    g = torch.Generator().manual_seed(2)
    z1 = torch.randn(4, 12, 6, generator=g, requires_grad=True)
    z2 = torch.randn(4, 12, 6, generator=g, requires_grad=True)
    valid = torch.arange(12) < torch.tensor([12, 5, 1, 0])[:, None]  # series 3: all padding
    loss = hierarchical_contrastive(z1, z2, valid=valid)
    loss.backward()
    assert torch.isfinite(loss)
    assert (z1.grad[~valid] == 0).all() and (z2.grad[~valid] == 0).all()
    assert (z1.grad[valid] != 0).any() and torch.isfinite(z1.grad).all()
    with torch.no_grad():  # whatever the padding holds, the loss stays the same
        noise = 100 * torch.randn(4, 12, 6, generator=g) * ~valid[..., None]
        torch.testing.assert_close(
            hierarchical_contrastive(z1 + noise, z2 - noise, valid=valid), loss
        )


def test_a_padded_series_scores_like_its_unpadded_steps_at_scale_0():
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(3, 6, 4, generator=g), torch.randn(3, 6, 4, generator=g)
    valid = torch.ones(3, 6, dtype=torch.bool)
    valid[2, 4:] = False
    # temporal contrast is a mean over (series, step) anchors: series 2 has 4 steps of them
    per_series = [
        temporal_contrast(z1[i : i + 1, :k], z2[i : i + 1, :k]) for i, k in enumerate((6, 6, 4))
    ]
    expected = (6 * per_series[0] + 6 * per_series[1] + 4 * per_series[2]) / 16
    torch.testing.assert_close(temporal_contrast(z1, z2, valid), expected)
