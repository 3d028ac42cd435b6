"""The five ways to get a classifier from an encoder and a few labels.

- ``knn``: k nearest labeled neighbours in the frozen embedding (k by leave-one-out);
- ``linear``: logistic regression on the frozen embedding (C by cross-validation);
- ``partial``: the encoder's last block and a linear head trained, the rest frozen;
- ``full``: everything trained, the encoder at ``encoder_lr_scale`` of the head's rate;
- ``scratch``: the same architecture from random weights, everything trained (baseline).

``partial`` and ``full`` start their head from the linear probe (LP-FT, Kumar et al. 2022),
which keeps the pretrained features from being scrambled by a random head. Every trained
protocol runs on the one engine (events, checkpoints, pause and stop).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ssl_studio.core.config_check import replaced
from ssl_studio.core.data.series_batches import channel_statistics
from ssl_studio.core.engine.device import Precision
from ssl_studio.core.engine.distributed import World
from ssl_studio.core.engine.trainer import Recorder, Trainer
from ssl_studio.core.evaluation.probes import choose_k, fit_logistic
from ssl_studio.core.events import Progress, Reporter, Stopped, StopToken, ignore
from ssl_studio.core.finetune.classifier import (
    Classifier,
    KNNHead,
    fresh_backbone,
    last_block,
    linear_from_logistic,
)
from ssl_studio.core.finetune.data import LabeledData
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.models.series import SeriesEncoder
from ssl_studio.core.transforms.image_augment import ImageAugment
from ssl_studio.core.transforms.image_defaults import default_augment
from ssl_studio.core.transforms.series_augment import SeriesAugment, SeriesAugmentConfig

TRAINED = ("partial", "full", "scratch")
# much gentler than pretraining: the label must survive it, and with few labels stronger
# augmentation cost AUC on PneumoniaMNIST (full fine-tuning, 39 labels: 0.876 with crops
# down to 60 % and the pretraining's intensity changes, 0.930 with these, same draw)
IMAGE_FINETUNE_AUGMENT = {
    "crop_scale": (0.85, 1.0),
    "rotate_degrees": 5.0,
    "translate": 0.03,
    "window_jitter": 0.05,
    "brightness": 0.05,
    "contrast": 0.05,
    "noise_std": 0.0,
    "blur_prob": 0.0,
}
SERIES_FINETUNE_AUGMENT = {"jitter_std": 0.02, "scale_std": 0.1, "time_warp": 0.1}


class FineTuneTask(nn.Module):
    """A classifier as the engine trains it: augmented view -> class-weighted cross-entropy.

    targets: [n] classes of the training items in loader order; ``frozen`` modules stay
    in eval mode and get no gradient. With ``keep_norm_statistics`` (pretrained encoders)
    every BatchNorm keeps the statistics it learned in pretraining: batch statistics of a
    few labeled images would shift the features under the head (a first loss of ~19
    instead of ~0.7 on PneumoniaMNIST, and AUC 0.83 instead of 0.88 after 300 steps).
    """

    def __init__(
        self,
        classifier: Classifier,
        augment: nn.Module,
        targets: torch.Tensor,
        classes: int,
        *,
        frozen: list[nn.Module],
        encoder_lr_scale: float,
        is_cnn: bool,
        keep_norm_statistics: bool = False,
    ) -> None:
        super().__init__()
        self.keep_norm_statistics = keep_norm_statistics
        self.classifier = classifier
        self.encoder = classifier.encoder
        self.augment = augment
        self.frozen = frozen
        self.encoder_lr_scale = encoder_lr_scale
        self.is_cnn = is_cnn
        counts = torch.bincount(targets, minlength=classes).float().clamp_min(1)
        self.register_buffer("targets", targets.long())
        self.register_buffer("weights", counts.sum() / (classes * counts))  # balanced
        self.encoder.requires_grad_(True)  # a run's averaged encoder comes frozen
        for module in frozen:
            module.requires_grad_(False)

    def train(self, mode: bool = True) -> FineTuneTask:
        super().train(mode)
        for module in self.frozen:
            module.eval()
        if self.keep_norm_statistics:  # and no dropout: the probe's head saw none
            for module in self.encoder.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm | nn.Dropout):
                    module.eval()
        return self

    def forward(self, batch: Any) -> tuple[torch.Tensor, dict[str, Any]]:
        target = self.targets[batch.index]
        if self.classifier.modality == "image":
            logits = self.classifier(self.augment(batch.x, batch.low, batch.high, batch.boxes))
        else:
            x, observed = self.augment(batch.x, batch.observed, lengths=batch.lengths)
            logits = self.classifier(x, observed)
        loss = F.cross_entropy(logits.float(), target, weight=self.weights)
        accuracy = (logits.argmax(1) == target).float().mean().detach()
        return loss, {"train_accuracy": accuracy}

    def on_step_end(self, step: int, total_steps: int) -> None:
        """Nothing to update after a step (no momentum networks)."""


@dataclass
class Fitted:
    """A protocol's result: the classifier (on the CPU, eval mode; None when stopped before
    there was one) and what was chosen (``info["status"]``: done or stopped)."""

    classifier: Classifier | None
    info: dict[str, Any]


def _augment(data: LabeledData, cfg: FinetuneConfig) -> nn.Module:
    if data.modality == "image":
        base = default_augment(data.items[0]["modality"] or "", data.channels)
        changes = {**IMAGE_FINETUNE_AUGMENT, **cfg.augment}
        return ImageAugment(replaced(base, changes, "augment"), out_size=data.image_size)
    series = {**SERIES_FINETUNE_AUGMENT, **cfg.augment}
    return SeriesAugment(replaced(SeriesAugmentConfig(), series, "augment"))


def fit_protocol(
    protocol: str,
    encoder: nn.Module | None,
    spec: dict[str, Any],
    data: LabeledData,
    train: np.ndarray,
    cfg: FinetuneConfig,
    *,
    device: torch.device,
    run_dir: Path,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    recorder: Recorder | None = None,
    job: str = "finetune",
    world: World | None = None,
) -> Fitted:
    """Train ``protocol`` on the items at ``train``.

    encoder: the pretrained encoder (copied, never changed); None for ``scratch``.
    spec: the architecture (see classifier.build_classifier); run_dir: where the engine
    writes checkpoints.
    """
    k = len(data.classes)
    y = data.y[train]
    info: dict[str, Any] = {"protocol": protocol, "train_items": int(len(train))}
    if protocol == "scratch":
        backbone = fresh_backbone(spec, cfg.seed)
        encoder = backbone.module
        if isinstance(encoder, SeriesEncoder):  # standardize with the training labels' data
            stats = channel_statistics(data.subset(train), data.reader, data.channels)
            encoder.set_input_scaling(*map(torch.from_numpy, stats))
        torch.manual_seed(cfg.seed)
        head = nn.Linear(backbone.dim, k)
    else:
        assert encoder is not None
        encoder = copy.deepcopy(encoder)

        labeled = "labeled images" if data.modality == "image" else "labeled recordings"

        def progress(done: int, total: int) -> None:
            report(Progress(job, done=done, total=total, phase=f"embedding the {labeled}"))

        try:  # z: [n, dim]
            z = data.embed(encoder.to(device), train, device, stop=stop, progress=progress)
        except Stopped:
            return Fitted(None, {**info, "status": "stopped"})
        if protocol == "knn":
            info["k"] = choose_k(z, y, groups=data.groups[train])  # whole patients out
            head: nn.Module = KNNHead(torch.from_numpy(z), torch.from_numpy(y), k, info["k"])
            return Fitted(Classifier(encoder.cpu(), head, data.modality).eval(), info)
        pipeline, info["C"] = fit_logistic(z, y, cfg.seed, groups=data.groups[train])
        head = linear_from_logistic(pipeline, z.shape[1], k)
        if protocol == "linear":
            return Fitted(Classifier(encoder.cpu(), head, data.modality).eval(), info)
    classifier = Classifier(encoder.cpu(), head, data.modality)
    frozen: list[nn.Module] = []
    if protocol == "partial":
        keep = {id(m) for m in last_block(encoder, spec["backbone"])}
        frozen = [encoder] if not keep else _all_but(encoder, keep)
    task = FineTuneTask(
        classifier,
        _augment(data, cfg),
        torch.from_numpy(y),
        k,
        frozen=frozen,
        encoder_lr_scale=cfg.encoder_lr_scale if protocol == "full" else 1.0,
        keep_norm_statistics=protocol != "scratch",
        is_cnn=data.modality == "image" and not spec["backbone"].startswith("vit"),
    )
    batches = data.batches(train, cfg.train.batch_size, cfg.seed, world)
    train_cfg = dataclasses.replace(cfg.train, batch_size=batches.batch_size)
    trainer = Trainer(
        task,
        batches,
        train_cfg,
        device=device,
        run_dir=run_dir,
        report=report,
        stop=stop,
        recorder=recorder,
        world=world,
        snapshot={"finetune": True},
        job=job,
    )
    try:
        summary = trainer.fit()
    finally:
        batches.close()
    info.update(steps=summary["steps"], status=summary["status"], final_loss=summary["final_loss"])
    return Fitted(classifier.cpu().eval(), info)


def protocol_precision(protocol: str, amp: str, device: torch.device) -> str:
    """The precision ``protocol`` trains in ("fp32", "bf16" or "fp16"; engine/device.py):
    ``knn`` and ``linear`` embed and fit in float32, the trained protocols run on the
    engine, which chooses by ``amp`` (train.amp) for ``device``."""
    if protocol in ("knn", "linear"):
        return Precision(None).name
    return Precision.choose(amp, device).name


def _all_but(encoder: nn.Module, keep: set[int]) -> list[nn.Module]:
    """The encoder's modules outside ``keep``, as the largest subtrees that hold none of it."""
    kept_params = {id(p) for m in encoder.modules() if id(m) in keep for p in m.parameters()}
    frozen: list[nn.Module] = []

    def visit(module: nn.Module) -> None:
        if id(module) in keep:
            return
        params = {id(p) for p in module.parameters()}
        if not params & kept_params:
            frozen.append(module)
            return
        for child in module.children():
            visit(child)
        own = [p for p in module.parameters(recurse=False)]
        if own:  # parameters held directly (e.g. a class token): freeze them too
            for p in own:
                p.requires_grad_(False)

    visit(encoder)
    return frozen
