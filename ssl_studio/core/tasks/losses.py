"""The pretext losses as pure functions (each checked against a hand computation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent (InfoNCE over 2N views). z1, z2: [N, D] projections of two views.

    Each of the 2N embeddings must pick out its partner among the other 2N - 1 by cosine
    similarity / temperature; the loss is the mean cross-entropy over all 2N.
    """
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = z1.shape[0]
    logits = z @ z.T / temperature
    logits = logits.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, targets)


def info_nce_queue(
    q: torch.Tensor, k: torch.Tensor, queue: torch.Tensor, temperature: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """MoCo v2: each query's key against a queue of negatives.

    q, k: [N, D] (k from the momentum encoder, no gradient); queue: [K, D] normalised.
    Returns (loss, top-1 accuracy of picking the positive).
    """
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    positive = (q * k).sum(dim=1, keepdim=True)  # [N, 1]
    negatives = q @ queue.T  # [N, K]
    logits = torch.cat([positive, negatives], dim=1) / temperature
    targets = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
    accuracy = (logits.argmax(dim=1) == 0).float().mean()
    return F.cross_entropy(logits, targets), accuracy


def contrastive_in_batch(q: torch.Tensor, k: torch.Tensor, temperature: float) -> torch.Tensor:
    """MoCo v3: queries against the batch's keys; the matching key is the positive.

    q, k: [N, D]. Scaled by 2 * temperature as in the MoCo v3 paper.
    """
    q, k = F.normalize(q, dim=1), F.normalize(k, dim=1)
    logits = q @ k.T / temperature
    targets = torch.arange(q.shape[0], device=q.device)
    return F.cross_entropy(logits, targets) * 2 * temperature


def byol_regression(p: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """BYOL: 2 - 2 cos(p, z), averaged. p: [N, D] online predictions, z: [N, D] targets."""
    return (2 - 2 * F.cosine_similarity(p, z.detach(), dim=1)).mean()


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MAE: mean squared error over masked patches only.

    pred, target: [N, L, P] per-patch pixels; mask: [N, L] with 1 where the patch was hidden.
    """
    per_patch = ((pred - target) ** 2).mean(dim=-1)
    return (per_patch * mask).sum() / mask.sum().clamp(min=1)
