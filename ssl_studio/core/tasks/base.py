"""What every pretext task is: an nn.Module built from its config, a backbone and views.

A task declares the modalities it supports, makes its views of a batch (on the training
device), computes ``training_step(batch) -> (loss, logs)``, may update momentum networks
after an optimiser step, and exposes the ``trained_encoder`` that fine-tuning and export use
(its ``encoder``, or a better copy it keeps).
``forward`` is ``training_step`` so DistributedDataParallel can wrap a task as it is.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from ssl_studio.core.models.backbones import Backbone


class PretextTask(nn.Module):
    """Base class; subclasses set the class attributes and implement ``training_step``."""

    name: ClassVar[str]
    modalities: ClassVar[tuple[str, ...]] = ("image",)
    # the backbones it can train, by name; None: every backbone of its modalities
    backbones: ClassVar[tuple[str, ...] | None] = None
    # the smallest batch its loss means what it should on: 2 where the loss compares the
    # items of a batch (decoys, batch statistics of its heads); the engine's out-of-memory
    # halving never goes below it
    min_batch_size: ClassVar[int] = 1
    # the methods of ``encoder`` that ``training_step`` calls: what train.compile compiles
    compiled_methods: ClassVar[tuple[str, ...]] = ("forward",)
    Config: ClassVar[type]
    summary: ClassVar[str]  # one line for lists
    explanation: ClassVar[str]  # what the model is asked to predict, and why that teaches it

    def __init__(self, cfg: Any, backbone: Backbone, augment: nn.Module | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.backbone_name = backbone.name
        self.dim = backbone.dim
        self.is_cnn = backbone.is_cnn  # the engine uses channels_last for CNNs on a GPU
        self.encoder = backbone.module
        self.augment = augment

    def training_step(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        """One step's loss (a scalar tensor) and logs such as accuracy: floats or detached
        0-d tensors (read back only when the engine logs, so no device sync per step)."""
        raise NotImplementedError

    def forward(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]:
        return self.training_step(batch)

    @torch.no_grad()
    def on_step_end(self, step: int, total_steps: int) -> None:
        """Called after each optimiser step (momentum encoders update here)."""

    def on_gradients_discarded(self) -> None:
        """Called when the engine throws away the gradients of micro-batches that never
        made an optimiser step (out of memory, leftovers at an epoch's end): state kept
        for the coming step (MoCo v2's keys to enqueue) must be dropped with them."""

    @property
    def trained_encoder(self) -> nn.Module:
        """The encoder that embeddings, fine-tuning and export take from a run: ``encoder``,
        unless the task keeps a better copy (TS2Vec's average of the weights)."""
        return self.encoder

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Representations of standardized inputs x: [N, C, H, W] -> [N, dim]."""
        return self.trained_encoder(x)


class SeriesTask(PretextTask):
    """Base of the time-series tasks: batches are ``SeriesBatch`` (x [N, C, T] with 0 where
    missing, observed [N, C, T] bool, lengths [N]); the encoder is a series encoder
    (``forward(x, observed) -> [N, D]``, ``forward_steps(x, observed, latent_mask) ->
    [N, T, D]``, see models/series.py); ``augment(x, observed, lengths=...)`` returns an
    augmented (x, observed) pair (see transforms/series_augment.py)."""

    modalities: ClassVar[tuple[str, ...]] = ("timeseries",)
    compiled_methods: ClassVar[tuple[str, ...]] = ("forward_steps",)

    def embed(self, x: torch.Tensor, observed: torch.Tensor | None = None) -> torch.Tensor:
        """One vector per series: x, observed [N, C, T] -> [N, dim]."""
        return self.trained_encoder(x, observed)
