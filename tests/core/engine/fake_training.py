"""The fake task the trainer tests run: a deterministic in-memory loader, a linear
regression task with a little noise, recorders of what a run stores, and ``train``
(imported as ``from fake_training import ...``; pytest puts this folder on sys.path)."""

from __future__ import annotations

import torch
from torch import nn

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.trainer import Trainer


class Batch:
    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def to(self, device: torch.device) -> Batch:
        return Batch(self.x.to(device), self.y.to(device))


class MemoryBatches:
    """A deterministic in-memory loader with the engine's loader interface."""

    def __init__(self, n: int = 64, batch_size: int = 8, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(123)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
        self.batch_size = batch_size
        self.seed = seed

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def epoch(self, epoch: int, skip: int = 0):
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(epoch))
        for b in range((len(self.x) - skip) // self.batch_size):
            pick = order[skip + b * self.batch_size : skip + (b + 1) * self.batch_size]
            yield Batch(self.x[pick], self.y[pick])


class FakeTask(nn.Module):
    """Linear regression with a little random noise (so RNG state matters for resume)."""

    def __init__(self, fail_at: int | None = None, oom_at: int | None = None) -> None:
        super().__init__()
        torch.manual_seed(0)  # the same initial weights every time (jobs seed first too)
        self.encoder = nn.Linear(4, 1)
        self.calls = 0
        self.fail_at, self.oom_at = fail_at, oom_at
        self.ema_updates = 0

    def forward(self, batch: Batch):
        self.calls += 1
        if self.oom_at is not None and self.calls == self.oom_at:
            raise torch.cuda.OutOfMemoryError("simulated")
        noise = 0.01 * torch.randn(batch.x.shape[0])
        loss = ((self.encoder(batch.x).squeeze(1) + noise - batch.y) ** 2).mean()
        if self.fail_at is not None and self.calls >= self.fail_at:
            loss = loss * float("nan")
        return loss, {"calls": float(self.calls)}

    def on_step_end(self, step: int, total: int) -> None:
        self.ema_updates += 1


class FolderRecorder:
    """Keeps the checkpoint paths a run records, as the project store does."""

    def __init__(self) -> None:
        self.paths: set[str] = set()

    def metrics(self, rows) -> None:
        pass

    def checkpoint(self, step, epoch, path, kind) -> None:
        self.paths.add(path.name)

    def checkpoint_removed(self, path) -> None:
        self.paths.discard(path.name)


def train(
    tmp_path,
    task=None,
    batches=None,
    stop=None,
    resume=None,
    events=None,
    report=None,
    recorder=None,
    **cfg,
):
    options = {
        "steps": 12,
        "batch_size": 8,
        "lr": 0.05,
        "warmup_fraction": 0.1,
        "checkpoint_every_steps": 4,
        "log_every_seconds": 0.0,
        "keep_checkpoints": 2,
        "optimizer": "sgd",
        "grad_clip": 0.0,
    }
    options.update(cfg)
    batches = batches or MemoryBatches(batch_size=options["batch_size"])
    trainer = Trainer(
        task or FakeTask(),
        batches,
        TrainConfig(**options),
        device=torch.device("cpu"),
        run_dir=tmp_path,
        report=report or (events.append if events is not None else lambda e: None),
        stop=stop,
        recorder=recorder,
        snapshot={"task": "fake"},
    )
    return trainer, trainer.fit(resume)


class LossRecordingTask(FakeTask):
    """Keeps the loss of every forward pass (one per optimiser step without accumulation)."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def forward(self, batch: Batch):
        loss, logs = super().forward(batch)
        self.losses.append(float(loss.detach()))
        return loss, logs


class MetricRows(FolderRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, int, str, float]] = []

    def metrics(self, rows) -> None:
        self.rows += rows
