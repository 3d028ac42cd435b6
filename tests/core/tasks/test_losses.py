"""Each pretext loss against a hand computation (explicit loops over 3-4 samples, float64)."""

from __future__ import annotations

import math

import torch
from torch.testing import assert_close

from ssl_studio.core.tasks.losses import (
    byol_regression,
    contrastive_in_batch,
    info_nce_queue,
    masked_mse,
    nt_xent,
)


def cos(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(a @ b) / (float(a.norm()) * float(b.norm()))


def test_nt_xent_matches_a_loop_over_the_2n_views():
    torch.manual_seed(0)
    z1, z2, t = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64), 0.5
    z, n = torch.cat([z1, z2]), 3
    total = 0.0
    for i in range(2 * n):
        partner = (i + n) % (2 * n)
        den = sum(math.exp(cos(z[i], z[j]) / t) for j in range(2 * n) if j != i)
        total += -math.log(math.exp(cos(z[i], z[partner]) / t) / den)
    assert_close(nt_xent(z1, z2, t), torch.tensor(total / (2 * n), dtype=torch.float64))


def test_nt_xent_closed_form_for_orthogonal_samples():
    # identical views of 3 orthonormal vectors: partner cosine 1, the 4 others 0
    e, t = torch.eye(3, dtype=torch.float64), 0.2
    assert_close(nt_xent(e, e, t), torch.tensor(math.log(1 + 4 * math.exp(-1 / t))).double())


def test_info_nce_queue_matches_a_loop_and_counts_accuracy():
    torch.manual_seed(1)
    q, k = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    queue = torch.nn.functional.normalize(torch.randn(5, 3, dtype=torch.float64), dim=1)
    queue[0] = q[2] / q[2].norm()  # a negative identical to query 2 beats its positive
    t = 0.2
    losses, hits = [], 0
    for i in range(4):
        pos = cos(q[i], k[i]) / t
        negs = [float(q[i] @ queue[j]) / float(q[i].norm()) / t for j in range(5)]
        losses.append(-(pos - math.log(math.exp(pos) + sum(math.exp(v) for v in negs))))
        hits += pos > max(negs)
    loss, accuracy = info_nce_queue(q, k, queue, t)
    assert_close(loss, torch.tensor(sum(losses) / 4, dtype=torch.float64))
    assert hits < 4 and float(accuracy) == hits / 4


def test_contrastive_in_batch_matches_a_loop_times_two_t():
    torch.manual_seed(2)
    q, k, t = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 4, dtype=torch.float64), 0.2
    total = 0.0
    for i in range(3):
        logits = [cos(q[i], k[j]) / t for j in range(3)]
        total += -(logits[i] - math.log(sum(math.exp(v) for v in logits)))
    expected = torch.tensor(total / 3 * 2 * t, dtype=torch.float64)
    assert_close(contrastive_in_batch(q, k, t), expected)
    # orthonormal queries equal to their keys: 2t log(1 + 2 exp(-1/t))
    e = torch.eye(3, dtype=torch.float64)
    closed = 2 * t * math.log(1 + 2 * math.exp(-1 / t))
    assert_close(contrastive_in_batch(e, e, t), torch.tensor(closed, dtype=torch.float64))


def test_byol_regression_matches_two_minus_two_cosine_and_stops_target_gradient():
    torch.manual_seed(3)
    p = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    z = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    expected = sum(2 - 2 * cos(p[i].detach(), z[i].detach()) for i in range(4)) / 4
    loss = byol_regression(p, z)
    assert_close(loss, torch.tensor(expected, dtype=torch.float64))
    loss.backward()
    assert p.grad is not None and z.grad is None
    same = torch.tensor([[1.0, 2.0]])
    assert_close(byol_regression(same, 3 * same), torch.tensor(0.0))  # scale does not matter
    assert_close(byol_regression(same, -same), torch.tensor(4.0))  # opposite: the maximum


def test_masked_mse_averages_only_hidden_patches():
    torch.manual_seed(4)
    pred, target = torch.randn(2, 3, 4), torch.randn(2, 3, 4)
    mask = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    errors = [
        sum((float(pred[n, i, j]) - float(target[n, i, j])) ** 2 for j in range(4)) / 4
        for n in range(2)
        for i in range(3)
        if mask[n, i] == 1
    ]
    assert_close(masked_mse(pred, target, mask), torch.tensor(sum(errors) / len(errors)))
    assert float(masked_mse(pred, target, torch.zeros(2, 3))) == 0.0  # nothing hidden
