"""Is pretraining learning anything? Collapse gauges and an online kNN probe.

A collapsing run maps every image to (nearly) the same vector: the spread of the
normalised embeddings falls towards zero and so does their effective rank (RankMe:
exp of the entropy of the normalised singular values). When the dataset has labels,
a leave-one-out k-nearest-neighbour accuracy on a fixed probe set says whether similar
images land close together.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def embedding_spread(z: torch.Tensor) -> float:
    """Mean per-dimension std of L2-normalised embeddings, times sqrt(D).

    z: [N, D]. About 1 when embeddings spread over the sphere, 0 when they collapse.
    """
    u = F.normalize(z.float(), dim=1)
    return float(u.std(dim=0).mean() * z.shape[1] ** 0.5)


def effective_rank(z: torch.Tensor) -> float:
    """RankMe (Garrido et al. 2023): exp(entropy of the singular values / their sum) of
    the embedding matrix z [N, D] as it is, not centred, in 1..min(N, D).

    Centring would remove the one vector a collapsed run maps every input to and leave
    only the noise around it, which reads as full rank; uncentred, collapse reads ~1.
    """
    s = torch.linalg.svdvals(z.float())
    p = s / s.sum().clamp(min=1e-12) + 1e-12
    return float(torch.exp(-(p * p.log()).sum()))


def knn_accuracy(z: torch.Tensor, labels: torch.Tensor, k: int = 20, t: float = 0.07) -> float:
    """Leave-one-out weighted kNN accuracy with cosine similarity.

    z: [N, D] embeddings, labels: [N] class indices. Each item is classified by its k
    nearest other items, weighted by exp(similarity / t) as in the InstDisc/DINO protocol.
    """
    u = F.normalize(z.float(), dim=1)
    sim = u @ u.T
    sim.fill_diagonal_(float("-inf"))
    k = max(1, min(k, len(labels) - 1))
    top, idx = sim.topk(k, dim=1)
    weights = (top / t).exp()
    classes = int(labels.max()) + 1
    votes = torch.zeros(len(labels), classes).scatter_add_(1, labels[idx], weights)
    return float((votes.argmax(dim=1) == labels).float().mean())


class HealthMonitor:
    """Measures a fixed probe set every few steps (rank 0) and reports a Health event.

    embed: maps the task to the probe items' embeddings [N, D] (it is called with the task
    in eval mode and no gradients); labels: [N] class indices, or None.
    """

    def __init__(
        self,
        embed: Callable[[torch.nn.Module], torch.Tensor],
        labels: torch.Tensor | None,
        emit: Callable[[int, float, float, float | None], None],
    ) -> None:
        self.embed_probe = embed
        self.labels = labels
        self.emit = emit

    @torch.no_grad()
    def embed(self, task: torch.nn.Module) -> torch.Tensor:
        was_training = task.training
        task.eval()
        try:
            return self.embed_probe(task).float().cpu()
        finally:
            task.train(was_training)

    def measure(self, task: torch.nn.Module) -> tuple[float, float, float | None]:
        z = self.embed(task)
        knn = knn_accuracy(z, self.labels) if self.labels is not None else None
        return embedding_spread(z), effective_rank(z), knn

    def __call__(self, task: torch.nn.Module, step: int, metrics: list) -> None:
        spread, rank, knn = self.measure(task)
        metrics += [(step, -1, "embedding_std", spread), (step, -1, "effective_rank", rank)]
        if knn is not None:
            metrics.append((step, -1, "knn_accuracy", knn))
        self.emit(step, spread, rank, knn)
