"""The trainer's checkpoints: what one holds, writing it (rank 0, atomically, the finite
check first), pruning old ones and taking one back exactly, random generators included.

``Checkpointing`` is a part of ``Trainer`` (trainer.py) kept in its own file; it uses the
trainer's task, optimiser, scheduler, scaler, progress, world and recorder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.checkpoint import (
    CheckpointError,
    reseed,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from ssl_studio.core.engine.loss_curve import LossCurve
from ssl_studio.core.events import Checkpoint, Message
from ssl_studio.core.folder_access import share_with_team


def check_optimizer_state(optimizer: torch.optim.Optimizer) -> None:
    """CheckpointError when a resumed optimiser's state (AdamW's moving averages) has another
    shape than its parameter: the task's head changed shape since the run was written (masked
    modelling on ts-patch predicts whole patches since; an older run of it cannot go on, but
    fine-tuning, embeddings and export still read its weights)."""
    for group in optimizer.param_groups:
        for param in group["params"]:
            for value in optimizer.state.get(param, {}).values():
                if isinstance(value, torch.Tensor) and value.ndim and value.shape != param.shape:
                    raise CheckpointError(
                        "This run was written by an earlier version whose task head had "
                        f"another shape ({tuple(value.shape)}, now {tuple(param.shape)}), so "
                        "it cannot be resumed; start a new run (fine-tuning, embeddings and "
                        "export still use this one's weights)."
                    )


@dataclass
class Progress:
    """Where the run is: optimiser steps, epoch, samples of the epoch consumed."""

    step: int = 0
    epoch: int = 0
    position: int = 0
    batch_size: int = 0
    accumulate: int = 1
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, loss) per epoch
    epoch_loss: float = 0.0  # sum of the step losses of the epoch so far
    epoch_steps: int = 0
    seconds: float = 0.0  # training time of all sessions up to the last checkpoint


class Checkpointing:
    """Checkpoint methods of Trainer (see the module docstring)."""

    def _restore(self, state: dict[str, Any]) -> None:
        self.task.load_state_dict(state["model"])
        saved = [len(g["params"]) for g in state["optimizer"]["param_groups"]]
        if saved != [len(g["params"]) for g in self.optimizer.param_groups]:
            # a run begun before tokens and position embeddings were spared weight decay
            # goes on as it began (they sat with the other weights then)
            self.make_optimizer(frozenset())
        try:
            self.optimizer.load_state_dict(state["optimizer"])
        except ValueError as exc:  # parameters added or removed since: not this run's task
            raise CheckpointError(
                "This run was written by a version whose model had other parameters, so "
                "it cannot be resumed; start a new run (fine-tuning, embeddings and export "
                "still use its weights)."
            ) from exc
        check_optimizer_state(self.optimizer)
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        p = state["progress"]
        self.progress = Progress(**{**p, "history": [tuple(h) for h in p["history"]]})
        self.batches.batch_size = self.progress.batch_size
        losses = state.get("epoch_loss_ranks") or []
        if len(losses) == self.world.size:  # each process's own part of the epoch's loss
            self.progress.epoch_loss = float(losses[self.world.rank])
        self.curve = LossCurve.resumed(state.get("loss_curve"), self.total, self.device)
        self._restore_rng(state)

    def _restore_rng(self, state: dict[str, Any]) -> None:
        """Each process takes back its own random generators' state (``rng_ranks``: one
        per process; older checkpoints hold only the first process's, ``rng``). With
        another number of processes than wrote the checkpoint, each is seeded afresh from
        the seed, its rank and the step instead, and the run says so."""
        states = state.get("rng_ranks") or [state["rng"]]
        if len(states) == self.world.size:
            set_rng_state(states[self.world.rank])
            return
        reseed(self.cfg.seed + self.world.rank + self.progress.step)
        epochs = (
            " A run measured in epochs also shares its epochs out anew, so its number of "
            "steps and its learning-rate schedule change."
            if self.cfg.steps is None
            else ""
        )
        p = self.progress
        per_process = p.batch_size * p.accumulate
        self.report(
            Message(
                self.job,
                f"Resumed with {self.world.size} process(es) where the checkpoint was written "
                f"by {len(states)}: global batch {per_process * len(states)} -> "
                f"{per_process * self.world.size} ({per_process} per process), learning rate "
                "unchanged. Each process's random numbers (augmentations) start afresh "
                "from the seed, so the run will not match an uninterrupted one bit for "
                f"bit.{epochs}",
                level="warning",
            )
        )

    def state(
        self,
        rng_ranks: list[dict[str, Any]] | None = None,
        epoch_losses: list[float] | None = None,
        curve_sums: list[float] | None = None,
    ) -> dict[str, Any]:
        """The checkpoint. rng_ranks, epoch_losses, curve_sums: every process's random
        generator states, sum of step losses of the epoch so far and of the stored loss
        curve's open block (loss_curve.py), in rank order (default: this process's alone)."""
        p = self.progress
        p.epoch_loss = float(self._epoch_loss.item())
        rng_ranks = rng_ranks or [rng_state()]
        curve_sums = curve_sums or [float(self.curve.total.item())]
        return {
            "model": self.task.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng_ranks[0],  # the first process's, as older versions read it
            "rng_ranks": rng_ranks,
            "epoch_loss_ranks": epoch_losses or [p.epoch_loss],
            "progress": dataclasses.asdict(p),
            "loss_curve": self.curve.state(curve_sums),  # (older versions ignore it)
            **self.snapshot,
        }

    def _save(self, kind: str) -> None:
        """Rank 0 writes the checkpoint; every rank waits for it before going on, and when
        rank 0 fails (a full disk, a locked database) every rank stops with its reason
        rather than wait for it for ever."""
        self._check_finite()
        self._last_checkpoint_time = time.perf_counter()
        self.progress.seconds = self._elapsed()
        own = torch.stack([self._epoch_loss, self.curve.total]).tolist()  # one sync
        mine = (rng_state(), *own)  # each process's own
        ranks = distributed.all_gather(mine, self.world)
        failure: Exception | None = None
        if self.world.is_main:
            try:
                self._write_checkpoint(kind, ranks)
            except Exception as exc:  # noqa: BLE001 - told to the other ranks, then raised
                failure = exc
        reason = distributed.broadcast(None if failure is None else str(failure), self.world)
        if failure is not None:
            raise failure
        if reason is not None:
            raise CheckpointError(f"Rank 0 could not write the checkpoint: {reason}")
        self._saved_step = self.progress.step

    def _write_checkpoint(self, kind: str, ranks: list[tuple[Any, float, float]]) -> None:
        """Rank 0: write this step's checkpoint, record it and prune old ones."""
        step = self.progress.step
        path = self.run_dir / "checkpoints" / f"step-{step:07d}.pt"
        for folder in (self.run_dir, path.parent):  # (never the folders above: a project
            if not folder.is_dir():  # moved or on a drive that went is not made again)
                folder.mkdir()
                share_with_team(folder)
        rng_ranks, losses, curve_sums = (list(column) for column in zip(*ranks, strict=True))
        save_checkpoint(path, self.state(rng_ranks, losses, curve_sums))
        self._flush_metrics()
        if self.recorder is not None:
            self.recorder.checkpoint(step, self.progress.epoch, path, kind)
        self.report(Checkpoint(self.job, step=step, path=str(path)))
        self._prune(path)

    def _earlier_checkpoints(self) -> list[Path]:
        """The checkpoint files earlier sessions of a resumed run left, oldest first, so
        that pruning goes on counting them. Files of steps after the one resumed from
        (damaged ones, which resuming skipped) come first: they are pruned first."""
        folder = self.run_dir / "checkpoints"
        if not self.world.is_main or not folder.is_dir():
            return []
        steps = {}
        for path in folder.glob("step-*.pt"):
            with contextlib.suppress(ValueError):
                steps[path] = int(path.stem.removeprefix("step-"))
        now = self.progress.step
        return sorted(steps, key=lambda path: (steps[path] <= now, steps[path]))

    def _prune(self, newest: Path) -> None:
        """Keep the newest ``keep_checkpoints`` files (the one just written included); one
        that cannot be deleted now (Windows: held open) is tried again next time."""
        self._checkpoints = [p for p in self._checkpoints if p != newest] + [newest]
        excess = len(self._checkpoints) - max(1, self.cfg.keep_checkpoints)
        held = []
        for old in self._checkpoints[: max(0, excess)]:
            try:
                old.unlink(missing_ok=True)
            except PermissionError:  # Windows: a backup or antivirus holds it open; kept
                held.append(old)  # for now, deleted at the next checkpoint
                continue
            if self.recorder is not None:
                self.recorder.checkpoint_removed(old)
        self._checkpoints = held + self._checkpoints[max(0, excess) :]
