"""MoCo: match each view's query with the key a slowly moving copy of the model makes.

The key network is a momentum copy of encoder + projector (no gradients, not optimised);
after every optimiser step it moves towards the online network by ``1 - m``, with ``m``
rising on a cosine from ``momentum`` to 1.0 over the run (``momentum_at``).

* **v3** (default): online encoder -> projector (last BatchNorm) -> predictor gives queries,
  the key network gives keys, both views in one pass; the loss is ``contrastive_in_batch``
  on both view orders, so negatives are the other images of the batch. No queue: works with
  the small batches a CPU or a small GPU allows. Under torchrun each process contrasts
  within its own batch.
* **v2**: queries of view 1 against the key of view 2 and a queue of the keys of earlier
  batches (``info_nce_queue``). The queue (``queue [K, D]``, ``queue_ptr``, ``queue_index``)
  is a set of buffers, so it is checkpointed; keys are enqueued after each optimiser step
  (those of micro-batches whose gradients the engine discards are dropped), gathered from
  every process first, so the queue is the same on every rank. Queue slots
  holding an earlier key of an image in the current batch are left out of its negatives, so a
  queue larger than the dataset never shows an image its own older copy as a decoy; still,
  ``queue_size`` beyond the number of training images only repeats the same decoys and
  costs time. Queries and keys are computed in ``bn_groups`` sub-batches of (nearly) equal
  size, keys in shuffled order, so BatchNorm statistics cannot give the positive away
  (MoCo's "shuffling BN"); a small batch gets fewer groups, never one of a single image.

With ``augment_aware`` > 0 a head also predicts how the two views' augmentation draws differ
(``augment_aware.py``), weighted by it, from the encoder's features of both views (v3) or of
view 1 beside the key encoder's of view 2 (v2, which encodes view 2 only there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.models.heads import prediction_mlp, projection_mlp
from ssl_studio.core.tasks.augment_aware import (
    BEFORE_IT_EXISTED,
    aware_head,
    aware_option,
    check_weight,
    two_views,
)
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.losses import contrastive_in_batch, info_nce_queue
from ssl_studio.core.tasks.momentum import (
    ema_update,
    frozen_copy,
    gather_from_all_ranks,
    momentum_at,
)

VARIANTS = ("v2", "v3")


def world_size() -> int:
    """Processes training together (1 without torchrun)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


@dataclass
class MoCoConfig:
    """Options of MoCo; the defaults suit a CPU and a batch of 64 to 256 images."""

    variant: str = option(
        "v3", "v3: decoys from the batch (small batches fine); v2: a queue of earlier batches."
    )
    hidden_dim: int = option(512, "Width of the hidden layer of the projection/prediction heads.")
    out_dim: int = option(128, "Length of the vectors that are compared.")
    temperature: float = option(
        0.2, "Sharpness of the comparison: lower values focus on the most similar decoys."
    )
    momentum: float = option(
        0.99, "How slowly the key copy follows the model (rises to 1.0 by the end of the run)."
    )
    queue_size: int = option(
        4096, "v2: earlier keys kept as decoys; at least one batch, at most the image count."
    )
    bn_groups: int = option(
        4, "v2: sub-batches with their own BatchNorm statistics, so they cannot give pairs away."
    )
    augment_aware: float = aware_option()
    before_it_existed: ClassVar[dict[str, Any]] = BEFORE_IT_EXISTED

    def validate(self) -> None:
        """Raise ConfigError when a value is out of range."""
        if self.variant not in VARIANTS:
            raise ConfigError(f"moco: unknown variant {self.variant!r}; choose v2 or v3.")
        if self.hidden_dim < 1 or self.out_dim < 1:
            raise ConfigError("moco: hidden_dim and out_dim must be at least 1.")
        if not self.temperature > 0:
            raise ConfigError("moco: temperature must be a positive number (default 0.2).")
        if not 0.0 <= self.momentum <= 1.0:
            raise ConfigError("moco: momentum must be between 0 and 1 (default 0.99).")
        if self.queue_size < 1 or self.bn_groups < 1:
            raise ConfigError("moco: queue_size and bn_groups must be at least 1.")
        check_weight("moco", self.augment_aware)


class MoCo(PretextTask):
    """MoCo v2 (queue of negatives) or v3 (in-batch negatives, predictor) with a momentum copy."""

    name = "moco"
    modalities = ("image",)
    min_batch_size = 2  # v3's decoys are the batch; v2's query projector has BatchNorm
    Config = MoCoConfig
    summary = "Contrastive with a slowly updated twin: recognise a copy of each image."
    explanation = (
        "Each image is shown twice with a different random crop and change of brightness, "
        "contrast and noise, and the model must recognise which description of the second "
        "copy belongs to the first among those of other images. The second copy is described "
        "by a twin of the model that follows it slowly (an average of its recent versions), "
        "which gives steady targets. Matching copies despite the changes teaches the model to "
        "describe anatomy and findings rather than position or exposure; telling how the two "
        "copies differ in framing, brightness and contrast keeps the overall density and haze "
        "that can be findings themselves."
    )

    def __init__(self, cfg: MoCoConfig, backbone: Backbone, augment: nn.Module | None = None):
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        v3 = cfg.variant == "v3"
        self.projector = projection_mlp(self.dim, cfg.hidden_dim, cfg.out_dim, last_bn=v3)
        if v3:
            self.predictor = prediction_mlp(cfg.out_dim, cfg.hidden_dim, cfg.out_dim)
        self.key_encoder = frozen_copy(self.encoder)
        self.key_projector = frozen_copy(self.projector)
        if not v3:
            queue = F.normalize(torch.randn(cfg.queue_size, cfg.out_dim), dim=1)
            self.register_buffer("queue", queue)  # [K, D] normalised keys (random at first)
            self.register_buffer("queue_ptr", torch.zeros((), dtype=torch.long))
            # item index of each slot's key (-1: a random start vector), see module docstring
            self.register_buffer("queue_index", torch.full((cfg.queue_size,), -1))
        self._pending: list[tuple[Tensor, Tensor]] = []  # v2 keys to enqueue after the step
        self.aware = aware_head(cfg, self.dim, augment)

    def training_step(self, batch: ImageBatch) -> tuple[Tensor, dict[str, float]]:
        """The MoCo loss of two views of batch.x [N, C, S, S] (plus the weighted
        augment-aware loss); logs the top-1 accuracy (and the augment-aware error)."""
        if self.augment is None:
            raise ConfigError("moco needs an augmentation to make two views of each image.")
        x1, x2, *draws = two_views(self.augment, batch, self.aware is not None)
        if self.cfg.variant == "v3":
            loss, logs, h1, h2 = self._step_v3(x1, x2)
        else:
            loss, logs, h1, h2 = self._step_v2(x1, x2, batch.index)
        if self.aware is None:
            return loss, logs
        aware = self.aware.loss(h1, h2, *draws)
        logs["augment_error"] = aware.detach()
        return loss + self.cfg.augment_aware * aware, logs

    def _step_v3(self, x1: Tensor, x2: Tensor) -> tuple[Tensor, dict[str, Any], Tensor, Tensor]:
        """Symmetric in-batch contrast of predictor outputs with momentum keys; (loss, logs,
        and the encoder's features of both views [N, dim] each)."""
        views = torch.cat([x1, x2])  # [2N, C, s, s]
        h = self.encoder(views)
        q1, q2 = self.predictor(self.projector(h)).chunk(2)
        with torch.no_grad():
            k1, k2 = self.key_projector(self.key_encoder(views)).chunk(2)
        t = self.cfg.temperature
        loss = contrastive_in_batch(q1, k2, t) + contrastive_in_batch(q2, k1, t)
        accuracy = (_top1(q1.detach(), k2) + _top1(q2.detach(), k1)) / 2
        return loss, {"accuracy": accuracy}, *h.chunk(2)

    def _step_v2(
        self, x1: Tensor, x2: Tensor, index: Tensor
    ) -> tuple[Tensor, dict[str, Any], Tensor, Tensor]:
        """Queries of view 1 against keys of view 2 and the queue of earlier keys; (loss,
        logs, the encoder's features of view 1 and the key encoder's of view 2 [N, dim])."""
        n, k_slots = x1.shape[0], self.queue.shape[0]
        if n * world_size() > k_slots:
            raise ConfigError(
                f"moco v2: the queue ({k_slots} keys) is smaller than one batch ({n} images on "
                f"each of {world_size()} processes); raise queue_size or lower the batch size."
            )
        groups = bn_group_count(n, self.cfg.bn_groups)
        h1 = [self.encoder(c) for c in x1.tensor_split(groups)]
        q = torch.cat([self.projector(h) for h in h1])
        with torch.no_grad():
            order = torch.randperm(n, device=x2.device)
            h2 = [self.key_encoder(c) for c in x2[order].tensor_split(groups)]
            keys = torch.cat([self.key_projector(h) for h in h2])
            k = torch.empty_like(q).index_copy_(0, order, keys.to(q.dtype))
            h2_all = torch.cat(h2)
            h2_in_order = torch.empty_like(h2_all).index_copy_(0, order, h2_all)
        index = index.to(self.queue_index.device).long()
        negatives = self.queue[~torch.isin(self.queue_index, index)]  # not the batch's own
        loss, accuracy = info_nce_queue(q, k, negatives, self.cfg.temperature)
        if self.training and torch.is_grad_enabled():  # a real step, not an evaluation
            self._pending.append((F.normalize(k.float(), dim=1), index))
        return loss, {"accuracy": accuracy.detach()}, torch.cat(h1), h2_in_order

    @torch.no_grad()
    def on_step_end(self, step: int, total_steps: int) -> None:
        """Move the key network towards the online one; v2: enqueue this step's keys."""
        m = momentum_at(step, total_steps, self.cfg.momentum)
        ema_update(self.key_encoder, self.encoder, m)
        ema_update(self.key_projector, self.projector, m)
        if self._pending:
            self._enqueue(*(torch.cat(parts) for parts in zip(*self._pending, strict=True)))
            self._pending.clear()

    def on_gradients_discarded(self) -> None:
        """v2: keys of micro-batches that made no optimiser step are never enqueued."""
        self._pending.clear()

    def _enqueue(self, keys: Tensor, index: Tensor) -> None:
        """Write keys [n, D] (normalised) and their item indices [n] at the queue pointer."""
        keys, index = gather_from_all_ranks(keys), gather_from_all_ranks(index)
        k_slots = self.queue.shape[0]
        keys, index = keys[-k_slots:], index[-k_slots:]  # with accumulation: the newest K
        slots = (self.queue_ptr + torch.arange(len(keys), device=keys.device)) % k_slots
        self.queue.index_copy_(0, slots, keys.to(self.queue.dtype))
        self.queue_index.index_copy_(0, slots, index)
        self.queue_ptr.add_(len(keys)).remainder_(k_slots)


def bn_group_count(n: int, wanted: int) -> int:
    """How many BatchNorm sub-batches a batch of ``n`` images is split into: ``wanted``,
    fewer when a group would hold fewer than 2 images (BatchNorm in training mode fails on
    one). With ``Tensor.tensor_split`` (sizes differing by at most one) every group then
    holds at least ``n // groups >= 2`` images; ``chunk`` could leave a last group of one
    (a batch of 7 in 3 chunks: 3, 3, 1)."""
    return max(1, min(wanted, n // 2))


def _top1(q: Tensor, k: Tensor) -> Tensor:
    """Share of queries q [N, D] whose most similar key in k [N, D] is their own."""
    sim = F.normalize(q.float(), dim=1) @ F.normalize(k.float(), dim=1).T
    return (sim.argmax(dim=1) == torch.arange(len(q), device=q.device)).float().mean()
