"""Out of memory part-way through an optimiser step: the step is made again, from its first
sample, at half the batch size; no sample of the epoch is skipped or trained twice (from
an odd batch size too)."""

from __future__ import annotations

import pytest
import torch
from fake_training import Batch, FakeTask, MemoryBatches

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.trainer import Trainer


class TaggedBatch(Batch):
    """A batch that knows the epoch positions of its samples (``positions``)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, positions: list[int]) -> None:
        super().__init__(x, y)
        self.positions = positions

    def to(self, device: torch.device) -> TaggedBatch:
        return TaggedBatch(self.x.to(device), self.y.to(device), self.positions)


class TaggedBatches(MemoryBatches):
    """MemoryBatches whose batches carry their samples' positions in the epoch's order."""

    def epoch(self, epoch: int, skip: int = 0):
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(epoch))
        for b in range((len(self.x) - skip) // self.batch_size):
            span = range(skip + b * self.batch_size, skip + (b + 1) * self.batch_size)
            yield TaggedBatch(
                self.x[order[span.start : span.stop]],
                self.y[order[span.start : span.stop]],
                list(span),
            )


class PositionSpy(FakeTask):
    """Records the epoch positions each optimiser step trained on (``steps``); those of
    micro-batches whose gradients were thrown away are dropped."""

    def __init__(self, oom_at: int) -> None:
        super().__init__(oom_at=oom_at)
        self.seen: list[int] = []
        self.steps: list[list[int]] = []

    def forward(self, batch: TaggedBatch):
        out = super().forward(batch)  # (raises the simulated out-of-memory first)
        self.seen += batch.positions
        return out

    def on_gradients_discarded(self) -> None:
        self.seen = []

    def on_step_end(self, step: int, total: int) -> None:
        super().on_step_end(step, total)
        self.steps.append(sorted(self.seen))
        self.seen = []


@pytest.mark.parametrize("oom_at", [1, 2, 4])
def test_out_of_memory_in_a_later_micro_batch_trains_every_position_once(tmp_path, oom_at):
    # 64 samples, batches of 8 x 2 accumulated: 16 a step. Call 2 is the second micro-batch
    # of step 1 (its first one's gradients are thrown away), call 4 that of step 2
    task = PositionSpy(oom_at=oom_at)
    cfg = TrainConfig(
        steps=4,
        batch_size=8,
        accumulate=2,
        lr=0.01,
        optimizer="sgd",
        log_every_seconds=1e9,
        checkpoint_every_steps=1000,
    )
    trainer = Trainer(
        task, TaggedBatches(n=64, batch_size=8), cfg, device=torch.device("cpu"), run_dir=tmp_path
    )
    summary = trainer.fit()
    # every step the 16 positions it was planned on, in order: none skipped, none twice
    assert task.steps == [list(range(16 * s, 16 * (s + 1))) for s in range(4)]
    assert (summary["batch_size"], summary["accumulate"], summary["epochs"]) == (4, 4, 1)


@pytest.mark.parametrize(
    "batch_size,accumulate,oom_at", [(5, 1, 3), (5, 1, 4), (7, 2, 4), (5, 2, 3), (3, 1, 2)]
)
def test_an_odd_batch_halved_goes_on_from_the_exact_sample(
    tmp_path, batch_size, accumulate, oom_at
):
    """An odd batch halves to a size its step's first sample is no multiple of: the epoch
    went on from the new-size batch before it, training up to batch_size // 2 - 1 samples
    twice."""
    task = PositionSpy(oom_at=oom_at)
    cfg = TrainConfig(
        steps=3,
        batch_size=batch_size,
        accumulate=accumulate,
        lr=0.01,
        optimizer="sgd",
        log_every_seconds=1e9,
        checkpoint_every_steps=1000,
    )
    batches = TaggedBatches(n=60, batch_size=batch_size)
    Trainer(task, batches, cfg, device=torch.device("cpu"), run_dir=tmp_path).fit()
    trained = [p for step in task.steps for p in step]
    assert trained == list(range(len(trained)))  # in order: none skipped, none twice
