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


def _contrast_groups(z: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Contrast within groups of 2M candidates whose halves are two views of the same M things.

    z: [G, 2M, D]; valid: [G, 2M] bool, the same for both halves. Candidate a's positive is
    a + M (mod 2M); every other valid candidate of its group is a negative. The score is the
    plain dot product (TS2Vec uses neither normalisation nor a temperature).
    Returns (sum of -log softmax of the positives, number of anchors that were scored): only
    valid anchors with at least one valid negative are scored.
    """
    two_m = z.shape[1]
    m = two_m // 2
    sim = z @ z.transpose(1, 2)  # [G, 2M, 2M]
    eye = torch.eye(two_m, dtype=torch.bool, device=z.device)
    allowed = valid[:, None, :] & ~eye  # [G, anchor, candidate]
    # rows of invalid anchors stay finite (they are not scored), so no NaN reaches backward
    allowed = allowed | ~valid[:, :, None]
    log_p = torch.log_softmax(sim.masked_fill(~allowed, float("-inf")), dim=-1)
    partner = (torch.arange(two_m, device=z.device) + m) % two_m
    positive = log_p.gather(2, partner.view(1, -1, 1).expand(z.shape[0], -1, 1)).squeeze(2)
    scored = valid & (valid.sum(dim=1, keepdim=True) > 2)  # itself, its partner, a negative
    return -(positive * scored).sum(), scored.sum()


def instance_contrast(
    z1: torch.Tensor, z2: torch.Tensor, valid: torch.Tensor | None = None
) -> torch.Tensor:
    """TS2Vec's instance-wise contrast at one scale. z1, z2: [N, T, D]; valid: [N, T] bool.

    At each time step t, each series' two views are the positive pair and the other series'
    views at t (both views) are the negatives: -log softmax of the dot products, averaged
    over both views of every scored (series, step). 0 when nothing can be contrasted (N = 1).
    """
    if valid is None:
        valid = torch.ones(z1.shape[:2], dtype=torch.bool, device=z1.device)
    z = torch.cat([z1, z2], dim=0).transpose(0, 1)  # [T, 2N, D]
    total, count = _contrast_groups(z, torch.cat([valid, valid], dim=0).T)
    return total / count.clamp(min=1)


def temporal_contrast(
    z1: torch.Tensor, z2: torch.Tensor, valid: torch.Tensor | None = None
) -> torch.Tensor:
    """TS2Vec's temporal contrast at one scale. z1, z2: [N, T, D]; valid: [N, T] bool.

    Within each series, a step's two views are the positive pair and the series' other
    steps (both views) are the negatives; averaged like ``instance_contrast``. 0 when T = 1.
    """
    if valid is None:
        valid = torch.ones(z1.shape[:2], dtype=torch.bool, device=z1.device)
    z = torch.cat([z1, z2], dim=1)  # [N, 2T, D]
    total, count = _contrast_groups(z, torch.cat([valid, valid], dim=1))
    return total / count.clamp(min=1)


def _halve_time(z: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Max-pool by 2 along time over valid steps only: [N, T, D], [N, T] -> [N, T // 2, ...].

    A pooled step is valid when either of its two steps was (its value is then the max over
    the valid ones); an odd last step is dropped, as torch's max_pool1d does.
    """
    masked = z.masked_fill(~valid.unsqueeze(-1), float("-inf"))
    pooled = F.max_pool1d(masked.transpose(1, 2), kernel_size=2).transpose(1, 2)
    pooled_valid = F.max_pool1d(valid.float().unsqueeze(1), kernel_size=2).squeeze(1) > 0
    return pooled.masked_fill(~pooled_valid.unsqueeze(-1), 0.0), pooled_valid


def hierarchical_contrastive(
    z1: torch.Tensor,
    z2: torch.Tensor,
    alpha: float = 0.5,
    temporal_unit: int = 0,
    valid: torch.Tensor | None = None,
) -> torch.Tensor:
    """TS2Vec's hierarchical contrastive loss (Yue et al., AAAI 2022, Algorithm 1).

    z1, z2: [N, T, D] step representations of two views, aligned so that step t of both is
    the same original time step; valid: [N, T] bool, False where step t is padding (or
    otherwise absent) in either view; None: all valid.

    At scale 0 and after each max-pool by 2 along time, while more than one step remains,
    adds ``alpha * instance_contrast + (1 - alpha) * temporal_contrast`` (the temporal term
    only from scale ``temporal_unit`` on); at the last, single step adds ``alpha *
    instance_contrast`` (a lone step has no temporal negatives: its temporal term is 0).
    Returns the sum divided by the number of scales. Invalid steps are neither anchors nor
    negatives and are left out of the pooling; with ``valid=None`` this is exactly the
    reference implementation's ``hierarchical_contrastive_loss``.
    """
    if valid is None:
        valid = torch.ones(z1.shape[:2], dtype=torch.bool, device=z1.device)
    loss = z1.new_zeros(())
    scales = 0
    while z1.shape[1] > 1:
        if alpha != 0:
            loss = loss + alpha * instance_contrast(z1, z2, valid)
        if scales >= temporal_unit and alpha != 1:
            loss = loss + (1 - alpha) * temporal_contrast(z1, z2, valid)
        scales += 1
        (z1, valid1), (z2, _) = _halve_time(z1, valid), _halve_time(z2, valid)
        valid = valid1
    if z1.shape[1] == 1:
        if alpha != 0:
            loss = loss + alpha * instance_contrast(z1, z2, valid)
        scales += 1
    return loss / max(scales, 1)
