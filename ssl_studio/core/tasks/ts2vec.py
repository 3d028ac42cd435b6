"""TS2Vec (Yue et al., AAAI 2022): consistent step representations of overlapping windows.

Each series gives two random windows that overlap (``overlapping_crops``: one set of window
sizes per batch, drawn from its shortest series, each series its own offset). Both windows go
through the encoder's ``forward_steps`` with TS2Vec's random timestamp masking (each step
hidden inside the encoder with probability ``mask_prob``, while training); the representations
of the overlap, ``r1[:, -overlap:]`` and ``r2[:, :overlap]`` ([N, overlap, D], the same original
steps seen in two contexts), are compared by ``losses.hierarchical_contrastive``.

Encoders: ts-conv only (``backbones``; ``registry.check_backbone`` refuses others for a new
or resumed run). ts-patch gives every step of a patch its patch's vector, so the decoys of
the moments' term would hold exact copies of the anchor (a loss floor of log(steps - 1)) and
the two crops, cut at any step, would see the overlap in different patch phases.

Padding: the windows lie inside every series' true length, so the overlap holds no padding
(only the series' own missing values, which TS2Vec keeps: their representations come from the
context). Series of length 0 are left out of the loss through its ``valid`` mask.

An ``augment``, if given, is applied once to the whole batch before cropping: a separate time
warp per window would move the overlap's steps apart and break the alignment the loss needs.
With ``average_weights`` on, as in the reference code, a running average of the encoder's
weights (``averaged``, stochastic weight averaging with equal weights) over all steps so far,
or over those after the share ``average_from`` of the run, is what later jobs use
(``trained_encoder``: embeddings, probes, fine-tuning, export). Off by default: on the
UCR/UEA benchmark it gained GunPoint test series but cost BasicMotions (over all steps) or
JapaneseVowels (over the second half; README, Benchmarks).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ssl_studio.core.config import option
from ssl_studio.core.data.series_batches import SeriesBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import Backbone
from ssl_studio.core.tasks.base import SeriesTask
from ssl_studio.core.tasks.losses import hierarchical_contrastive
from ssl_studio.core.transforms.series_augment import overlapping_crops, random_crop


@dataclass
class TS2VecConfig:
    """Options of TS2Vec; the defaults are the paper's."""

    alpha: float = option(
        0.5, "Weight of telling series apart (1 - alpha: telling moments of a series apart)."
    )
    temporal_unit: int = option(
        0, "Compare moments of a series only at time scales from 2**this steps on (0: all)."
    )
    mask_prob: float = option(0.5, "Chance that each time step is hidden from the encoder.")
    max_train_length: int | None = option(
        None,
        "Cut the batch's windows further, to one random window of this many steps (empty: no "
        "cut). TS2Vec's own option of this name is the run's window (series length), "
        "which also cuts long recordings into sections; this only matters when smaller.",
    )
    average_weights: bool = option(
        False, "Hand on the average of the encoder's weights over the steps, not the last."
    )
    average_from: float = option(
        0.0,
        "When the weights are averaged (average weights on): start averaging after this "
        "share of the steps (0: from the first step, as TS2Vec does; 0.5: over the second "
        "half).",
    )

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"ts2vec: alpha must be between 0 and 1, not {self.alpha}.")
        if self.temporal_unit < 0:
            raise ConfigError(f"ts2vec: temporal_unit cannot be negative ({self.temporal_unit}).")
        if not 0 <= self.mask_prob < 1:
            raise ConfigError(f"ts2vec: mask_prob must be in [0, 1), not {self.mask_prob}.")
        if not 0 <= self.average_from < 1:
            raise ConfigError(f"ts2vec: average_from must be in [0, 1), not {self.average_from}.")
        if self.max_train_length is not None and self.max_train_length < 2:
            raise ConfigError("ts2vec: max_train_length must be at least 2 steps (or empty).")


class TS2Vec(SeriesTask):
    """TS2Vec on a series encoder with ``forward_steps``: hierarchical contrast of two crops."""

    name = "ts2vec"
    # ts-patch gives all steps of a patch one vector: copies of the anchor among the decoys
    # (a floor of log(steps - 1) on the moments' term) and crops in different patch phases
    backbones = ("ts-conv",)
    min_batch_size = 2  # the instance-wise term contrasts the other series (0 for one)
    Config = TS2VecConfig
    summary = "Contrastive: two overlapping windows of a recording must agree moment by moment."
    explanation = (
        "Two overlapping stretches are cut from each recording and half of their time steps "
        "are blanked out at random. For every moment the stretches share, the model must "
        "recognise that both descriptions belong to the same recording and to the same "
        "moment, while other recordings and other moments serve as decoys, at fine and "
        "coarse time scales. To succeed it has to describe what is happening at each moment "
        "in a way that does not depend on where the window was cut. It needs the ts-conv "
        "encoder, which describes every moment on its own (ts-patch gives all moments of a "
        "patch one description: use masked or forecast with it)."
    )

    def __init__(
        self, cfg: TS2VecConfig, backbone: Backbone, augment: nn.Module | None = None
    ) -> None:
        cfg.validate()
        super().__init__(cfg, backbone, augment)
        if cfg.average_weights:  # only then: the copy doubles the weights and checkpoints
            self.averaged = copy.deepcopy(self.encoder).requires_grad_(False)
            self.register_buffer("averaged_steps", torch.zeros((), dtype=torch.long))

    @property
    def trained_encoder(self) -> nn.Module:
        """The running average of the encoder's weights with ``average_weights`` (the last
        weights before the first step, or from a checkpoint that has no average)."""
        if self.cfg.average_weights and int(self.averaged_steps) > 0:
            return self.averaged
        return self.encoder

    @torch.no_grad()
    def on_step_end(self, step: int, total_steps: int) -> None:
        """Add the weights after this step to the running average (equal weight per step,
        from the step after ``average_from`` of the run's steps on); buffers such as the
        input scaling are copied."""
        if not self.cfg.average_weights or step <= self.cfg.average_from * total_steps:
            return
        self.averaged_steps += 1
        share = 1.0 / float(self.averaged_steps)
        for mean, now in zip(self.averaged.parameters(), self.encoder.parameters(), strict=True):
            mean.lerp_(now, share)
        for mean, now in zip(self.averaged.buffers(), self.encoder.buffers(), strict=True):
            mean.copy_(now)

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        """With ``average_weights``, a checkpoint without the average (written before it
        existed, or with it off) loads with the last weights as the average so far."""
        if self.cfg.average_weights and f"{prefix}averaged_steps" not in state_dict:
            own = self.state_dict()
            for key in [k for k in own if k.startswith("averaged")]:
                source = key.replace("averaged.", "encoder.", 1)
                state_dict[f"{prefix}{key}"] = state_dict.get(f"{prefix}{source}", own[key])
        super()._load_from_state_dict(state_dict, prefix, *args)

    def views(self, batch: SeriesBatch) -> tuple[Tensor, Tensor, Tensor, Tensor, int, Tensor]:
        """The two windows of each series: (x1, obs1 [N, C, T1], x2, obs2 [N, C, T2], overlap,
        lengths [N]); the overlap is the last ``overlap`` steps of view 1 and the first of
        view 2."""
        x, observed, lengths = batch.x, batch.observed.bool(), batch.lengths.to(batch.x.device)
        limit = self.cfg.max_train_length
        if limit is not None and x.shape[-1] > limit:
            x, observed, _ = random_crop(x, observed, lengths, limit)
            lengths = lengths.clamp(max=limit)
        if self.augment is not None:
            x, observed = self.augment(x, observed, lengths=lengths)
        min_overlap = 2 ** (self.cfg.temporal_unit + 1)
        x1, o1, x2, o2, overlap = overlapping_crops(x, observed, lengths, min_overlap=min_overlap)
        return x1, o1, x2, o2, overlap, lengths

    def timestamp_mask(self, x: Tensor) -> Tensor | None:
        """TS2Vec's binomial mask for x: [N, C, T] -> [N, T] bool (True: hidden), or None
        outside training or with mask_prob 0."""
        if not self.training or self.cfg.mask_prob == 0:
            return None
        return torch.rand(x.shape[0], x.shape[-1], device=x.device) < self.cfg.mask_prob

    def training_step(self, batch: SeriesBatch) -> tuple[Tensor, dict[str, float]]:
        """Hierarchical contrastive loss of the overlap's step representations; logs the
        overlap length in steps."""
        x1, o1, x2, o2, overlap, lengths = self.views(batch)
        r1 = self.encoder.forward_steps(x1, o1, self.timestamp_mask(x1))[:, -overlap:]
        r2 = self.encoder.forward_steps(x2, o2, self.timestamp_mask(x2))[:, :overlap]
        valid = (lengths > 0)[:, None].expand(-1, overlap)  # [N, overlap]
        # raw dot products feed a softmax: keep them in float32 under mixed precision
        with torch.autocast(device_type=r1.device.type, enabled=False):
            loss = hierarchical_contrastive(
                r1.float(), r2.float(), self.cfg.alpha, self.cfg.temporal_unit, valid
            )
        return loss, {"overlap": float(overlap)}
