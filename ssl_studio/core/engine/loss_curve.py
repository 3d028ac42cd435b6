"""The loss curve a run stores: the mean training loss over fixed blocks of steps.

Progress (``Step`` events) is reported every ``train.log_every_seconds``, so which steps
a report falls on, and how many steps its loss averages, depend on how fast the machine
ran. The curve kept in the project database (the metric "loss", which the Runs page,
``info`` and the exports read) does not: it holds the mean loss of each block of
``every`` optimiser steps (steps 1..N, N+1..2N, ...), at the block's last step, and of
the run's last (maybe partial) block at its last step. ``every`` is chosen from the
run's planned steps (``curve_every``: at most ``POINTS`` points) and kept in the
checkpoints, with the open block's loss so far, so a resumed run stores the same curve
as an uninterrupted one. The learning rate ("lr") and the task's own logs are stored
at the same steps (the values of that step).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

POINTS = 1000  # the most points a run's stored curve has


def curve_every(total: int, points: int | None = None) -> int:
    """Steps per stored point: the smallest of 1, 2, 5, 10, 20, 50, ... that gives at
    most ``points`` (default ``POINTS``) points over ``total`` steps."""
    points = POINTS if points is None else points
    scale = 1
    while True:
        for m in (1, 2, 5):
            if -(-max(1, total) // (m * scale)) <= points:
                return m * scale
        scale *= 10


@dataclass
class Block:
    """A closed block: its last step, epoch, learning rate and task logs at that step,
    and ``mean``: [] this process's mean step loss over the block (on the device)."""

    step: int
    epoch: int
    lr: float
    logs: dict[str, Any]
    mean: torch.Tensor


@dataclass
class LossCurve:
    """The stored curve being built: ``every`` steps per block; the open block's
    ``steps`` so far and ``total``: [] the sum of their losses (on the device, so adding
    a step never waits for it); ``pending``: closed blocks not yet read back."""

    every: int
    steps: int
    total: torch.Tensor
    pending: list[Block] = field(default_factory=list)

    @classmethod
    def start(cls, planned: int, device: torch.device) -> LossCurve:
        """The curve of a new run of ``planned`` steps."""
        return cls(curve_every(planned), 0, torch.zeros((), device=device))

    @classmethod
    def resumed(cls, saved: dict[str, Any] | None, planned: int, device: torch.device) -> LossCurve:
        """The curve as a checkpoint left it (``state``); a checkpoint written before
        curves were kept starts a new block at its step."""
        if not saved:
            return cls.start(planned, device)
        total = torch.full((), float(saved["sum"]), device=device)
        return cls(int(saved["every"]), int(saved["steps"]), total)

    def add(
        self, step: int, epoch: int, loss: torch.Tensor, lr: float, logs: Any, last: bool
    ) -> None:
        """Count step ``step``'s ``loss`` ([], this process's); close the block at a
        multiple of ``every`` or at the run's ``last`` step."""
        self.total += loss
        self.steps += 1
        if step % self.every == 0 or last:
            kept = {k: v.detach() if torch.is_tensor(v) else v for k, v in (logs or {}).items()}
            self.pending.append(Block(step, epoch, lr, kept, self.total / self.steps))
            self.total = torch.zeros_like(self.total)
            self.steps = 0

    def means(self) -> list[torch.Tensor]:
        """The pending blocks' means ([] each), to be read back with the trainer's
        finite check (one device sync, and one collective over the ranks)."""
        return [block.mean.float() for block in self.pending]

    def rows(self, means: list[float]) -> list[tuple[int, int, str, float]]:
        """The metric rows of the pending blocks, given their ``means`` over the ranks
        (in the order of ``means()``), but none of a block whose mean is not finite (a
        run stopped by a NaN loss keeps the blocks before it); the blocks are then no
        longer pending."""
        rows = []
        for block, mean in zip(self.pending, means, strict=True):
            if not math.isfinite(mean):
                continue
            values = {"loss": mean, "lr": block.lr, **block.logs}
            rows += [(block.step, block.epoch, k, float(v)) for k, v in values.items()]
        self.pending = []
        return rows

    def state(self, sums: list[float]) -> dict[str, Any]:
        """What a checkpoint keeps: ``sums``, each process's loss sum of the open block,
        kept as their mean (each process of the resumed run starts from it, so the
        block's mean over the processes comes out the same, whatever their number)."""
        return {"every": self.every, "steps": self.steps, "sum": sum(sums) / len(sums)}
