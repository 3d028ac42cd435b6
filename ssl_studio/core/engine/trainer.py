"""The only training loop in SSL Studio (pretraining and fine-tuning both run here).

It moves a task to the chosen device, wraps it for distributed runs, steps the optimiser
with warm-up + cosine learning rates, mixed precision, gradient clipping and accumulation,
writes checkpoints atomically every N steps / minutes and when stopped, resumes exactly,
and reports through events. Pause and stop are checked between steps.
"""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ssl_studio.core.atomic_files import remove_partial_writes
from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.checkpoint import reseed
from ssl_studio.core.engine.compiled import compile_encoder
from ssl_studio.core.engine.device import Precision, memory_mb
from ssl_studio.core.engine.distributed import World
from ssl_studio.core.engine.loss_curve import LossCurve
from ssl_studio.core.engine.optimizer import NO_DECAY, build_optimizer
from ssl_studio.core.engine.schedule import planned_steps
from ssl_studio.core.engine.trainer_state import Checkpointing, Progress
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Epoch, Message, Reporter, Step, StopToken, ignore


class TrainingError(SSLStudioError):
    """Training cannot go on (a non-finite loss, a batch that does not fit in memory)."""


class Batches(Protocol):
    """What the loop needs from a loader (see data/loaders.py)."""

    batch_size: int

    def __len__(self) -> int: ...
    def epoch(self, epoch: int, skip: int = 0): ...  # (skip: samples of its order)


class Recorder(Protocol):
    """Where rank 0 keeps metrics and checkpoints (the project store, or nothing)."""

    def metrics(self, rows: list[tuple[int, int, str, float]]) -> None: ...
    def checkpoint(self, step: int, epoch: int, path: Path, kind: str) -> None: ...
    def checkpoint_removed(self, path: Path) -> None: ...


class Trainer(Checkpointing):
    """Trains ``task`` on ``batches``; call ``fit`` (optionally with a checkpoint state)."""

    def __init__(
        self,
        task: nn.Module,
        batches: Batches,
        cfg: TrainConfig,
        *,
        device: torch.device,
        run_dir: Path,
        world: World | None = None,
        report: Reporter = ignore,
        stop: StopToken | None = None,
        recorder: Recorder | None = None,
        health: Any = None,
        snapshot: dict[str, Any] | None = None,
        job: str = "pretrain",
    ) -> None:
        self.task = task
        self.batches = batches
        cfg.fill()  # a config that no job resolved (the engine used on its own)
        self.cfg = cfg
        self.device = device
        self.run_dir = Path(run_dir)
        self.world = world or World()
        self.report = report if self.world.is_main else ignore
        self.stop = stop or StopToken()
        self.recorder = recorder if self.world.is_main else None
        self.health = health
        self.snapshot = snapshot or {}
        self.job = job
        self.precision = Precision.choose(cfg.amp, device)
        self.progress = Progress(batch_size=batches.batch_size, accumulate=cfg.accumulate)
        self._pending_metrics: list[tuple[int, int, str, float]] = []
        self._checkpoints: list[Path] = []
        self._lr = 0.0  # the learning rate of the last optimiser step

    # ---- setup -----------------------------------------------------------------------------

    def _build(self) -> None:
        reseed(self.cfg.seed + self.world.rank)  # torch's, Python's and NumPy's generators
        self.task.to(self.device)
        if self.device.type == "cuda" and getattr(self.task, "is_cnn", False):
            self.task.to(memory_format=torch.channels_last)
        if self.cfg.compile:  # (state_dict keys unchanged, see compiled.py)
            names = ", ".join(f"encoder.{n}" for n in compile_encoder(self.task))
            text = f"torch.compile: {names} (the first steps are slow while it compiles)."
            self.report(Message(self.job, text))
        self.model: nn.Module = self.task
        if self.world.distributed:
            synced = distributed.sync_batch_norms(self.task, self.world, self.device)
            if synced:
                text = f"{synced} BatchNorm layers normalise over all {self.world.size} GPUs."
                self.report(Message(self.job, text))
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.task, device_ids=ids)
        self.total = self.total_steps()
        self.curve = LossCurve.start(self.total, self.device)  # (a resumed run: its own)
        self.make_optimizer(NO_DECAY)
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.precision.needs_scaler)

    def make_optimizer(self, exempt: frozenset[str]) -> None:
        """The optimiser and its learning-rate schedule, weight decay spared on the
        parameters named in ``exempt`` (see optimizer.py)."""
        self.optimizer, self.scheduler = build_optimizer(self.task, self.cfg, self.total, exempt)

    def total_steps(self) -> int:
        """Optimiser steps of the whole run (from steps, or from epochs)."""
        return planned_steps(self.cfg, len(self.batches))

    # ---- the loop ----------------------------------------------------------------------------

    def fit(self, resume: dict[str, Any] | None = None) -> dict[str, Any]:
        """Train to the end, a stop, or an error. Returns a summary of the run."""
        self._build()
        if self.world.is_main:  # a killed run may have left half a checkpoint, or JSON file
            remove_partial_writes(self.run_dir / "checkpoints", ".pt")
            remove_partial_writes(self.run_dir, ".json")
        self._saved_step: int | None = None  # the step of the last checkpoint written
        if resume is not None:
            self._restore(resume)
            self._saved_step = self.progress.step
            self._checkpoints = self._earlier_checkpoints()
            self.report(Message(self.job, f"Resumed at step {self.progress.step}."))
        self._epoch_loss = torch.full((), self.progress.epoch_loss, device=self.device)
        self._unchecked = torch.zeros((), device=self.device)  # step losses not yet read
        self._checked_step = self.progress.step  # the last step whose loss was checked
        self._since_log = torch.zeros((), device=self.device)  # step losses since a Step
        self._logged_step = self.progress.step  # the step of the last Step event (or start)
        self.task.train()
        started = time.perf_counter()
        self._session = (started, self.progress.seconds)
        self._last_checkpoint_time = started
        self._window = (started, self.progress.step)
        self._last_log = -math.inf  # the first step is always logged
        self._log_due = self._timed_checkpoint_due = False  # agreed before each step
        status = "done"
        try:
            while self.progress.step < self.total:
                if self._one_epoch():
                    status = "stopped"
                    break
            self._save("final" if status == "done" else "stopped")
        except BaseException:  # the first error is the one to tell (a full disk fails both)
            with contextlib.suppress(Exception):
                self._flush_metrics()
            raise
        self._flush_metrics()
        return {
            "status": status,
            "steps": self.progress.step,
            "epochs": self.progress.epoch,
            "seconds": round(self._elapsed(), 2),  # all sessions of a resumed run
            # the last epoch's mean loss (that epoch may be partial), not the last step's
            "final_loss": self.progress.history[-1][1] if self.progress.history else None,
            "batch_size": self.progress.batch_size,
            "accumulate": self.progress.accumulate,
            "world_size": self.world.size,
            "ranks_in_sync": distributed.in_sync(self.task, self.world),
        }

    def _one_epoch(self) -> bool:
        """Train through (the rest of) the current epoch; True when stopped."""
        p = self.progress
        self._discard_gradients()  # of leftover micro-batches at the last epoch's end
        step_loss = torch.zeros((), device=self.device)  # summed over micro-batches
        micro = 0
        for batch in self.batches.epoch(p.epoch, skip=p.position):
            if micro == 0 and self._should_stop():  # only between whole optimiser steps
                return True
            loss = self._micro_step(batch.to(self.device), micro)
            if loss is None:  # out of memory: the batch size was halved; go on from here
                return self._one_epoch()
            step_loss += loss
            p.position += p.batch_size
            micro += 1
            if micro < p.accumulate:
                continue
            self._optimizer_step()
            self._epoch_loss += step_loss / micro
            p.epoch_steps += 1
            self._after_step(step_loss / micro)
            step_loss = torch.zeros((), device=self.device)
            micro = 0
            if p.step >= self.total:
                break
        self._end_epoch()
        return False

    def _end_epoch(self) -> None:
        p = self.progress
        self._check_finite()  # a NaN epoch loss is never recorded
        mean = distributed.mean(self._epoch_loss.item() / max(1, p.epoch_steps), self.world)
        p.history.append((p.step, mean))
        self.report(Epoch(self.job, epoch=p.epoch, step=p.step, loss=mean))
        self._pending_metrics.append((p.step, p.epoch, "epoch_loss", mean))
        self._epoch_loss.zero_()
        p.epoch_steps = 0
        p.epoch += 1
        p.position = 0

    def _should_stop(self) -> bool:
        """Before each optimiser step: pause or stop here? The ranks also agree, in the
        same collective, on what their own clocks say of the step about to be made (log
        it, a timed checkpoint is due), as both enter collectives that all must join."""
        if self.world.is_main and self.stop.paused and not self.stop.stopped:
            self._save("paused")
            self.report(Message(self.job, f"Paused at step {self.progress.step}."))
            self._wait_while_paused()
            self.report(Message(self.job, "Resumed."))
        if distributed.launcher_gone() and not self.stop.stopped:
            self.stop.stop()  # (on every rank: each sees torchrun gone)
            text = "torchrun is gone (killed): stopping here, with a checkpoint."
            self.report(Message(self.job, text, level="warning"))
        now = time.perf_counter()
        stopped, self._log_due, self._timed_checkpoint_due = distributed.any_of(
            [
                self.stop.stopped,
                now - self._last_log >= self.cfg.log_every_seconds,
                (now - self._last_checkpoint_time) / 60 >= self.cfg.checkpoint_every_minutes,
            ],
            self.world,
        )
        return stopped

    def _wait_while_paused(self) -> None:
        """Wait for resume or stop; the time paused counts neither as training time (run
        duration) nor in the throughput and time-left estimates, nor towards the next
        timed checkpoint."""
        before = time.perf_counter()
        self.stop.wait_while_paused()
        now = time.perf_counter()
        paused = now - before
        started, earlier = self._session
        self._session = (started + paused, earlier)
        self._last_checkpoint_time += paused
        self._window = (now, self.progress.step)

    def _micro_step(self, batch: Any, micro: int) -> torch.Tensor | None:
        """Forward and backward of one micro-batch; None after an out-of-memory halving."""
        p = self.progress
        sync = micro + 1 == p.accumulate or not self.world.distributed
        context = self.model.no_sync() if not sync else contextlib.nullcontext()
        out_of_memory = False
        try:
            with context:
                with self.precision.autocast(self.device):
                    loss, self._logs = self.model(batch)
                self.scaler.scale(loss / p.accumulate).backward()
        except torch.cuda.OutOfMemoryError:
            out_of_memory = True  # handled below, once the traceback's tensors are freed
        if out_of_memory:
            if self.world.distributed:
                raise TrainingError(self._out_of_memory_on_a_rank()) from None
            self._halve_batch(micro)
            return None
        return loss.detach().float()

    def _out_of_memory_on_a_rank(self) -> str:
        """What a process of a distributed run says when its GPU ran out of memory: the
        batch cannot be halved on one process alone (it would join other collectives than
        the rest, which would wait for ever), so it fails, and the others stop as their
        peer is gone."""
        p = self.progress
        kept = (
            f"its checkpoint at step {self._saved_step} is kept"
            if self._saved_step is not None
            else "it has no checkpoint yet"
        )
        return (
            f"Out of GPU memory on process {self.world.rank} at batch size {p.batch_size} "
            f"(step {p.step}); with several processes the batch is not halved on the fly. "
            "Start a new run with a smaller --batch-size (with --set train.accumulate=N "
            f"to keep the samples per optimiser step); {kept}."
        )

    def _halve_batch(self, micro: int) -> None:
        """Out of GPU memory in micro-batch ``micro`` of an optimiser step: half the batch,
        twice the accumulation (the same samples per optimiser step), never below the task's
        ``min_batch_size``. The gradients of the step's earlier micro-batches are thrown
        away, so the epoch goes on from the step's first sample (an odd one too): none
        is skipped or trained twice."""
        p = self.progress
        floor = getattr(self.task, "min_batch_size", 1)
        if p.batch_size // 2 < max(1, floor):
            raise TrainingError(
                f"Out of GPU memory at batch size {p.batch_size} (step {p.step}), "
                + (
                    "and even a batch of 1 does not fit. "
                    if p.batch_size < 2
                    else f"and {getattr(self.task, 'name', 'the task')} needs at least "
                    f"{floor} items per batch (its loss compares the items of a batch). "
                )
                + "Use a smaller backbone or image size, or train on the CPU."
            ) from None
        self._discard_gradients()
        torch.cuda.empty_cache()
        before = p.batch_size * p.accumulate
        step_start = p.position - micro * p.batch_size  # where this step's samples began
        p.batch_size //= 2
        p.accumulate *= 2
        p.position = step_start  # (the epoch goes on from that sample, even from an odd one)
        self.batches.batch_size = p.batch_size
        after = p.batch_size * p.accumulate  # (an odd batch loses a sample per step)
        samples = f"still takes {after}" if after == before else f"takes {after} (was {before})"
        text = (
            f"Out of GPU memory at step {p.step}: batch size halved to {p.batch_size} with "
            f"{p.accumulate} accumulation steps, so each optimiser step {samples} samples; "
            "what the loss and BatchNorm compute over a batch now sees "
            f"{p.batch_size} at a time (contrastive tasks: fewer decoys per comparison)."
        )
        self.report(Message(self.job, text, level="warning"))
        self._pending_metrics.append((p.step, p.epoch, "batch_size", float(p.batch_size)))

    def _discard_gradients(self) -> None:
        """Throw away the gradients of micro-batches that made no optimiser step, and what
        the task kept for that step."""
        self.optimizer.zero_grad(set_to_none=True)
        discarded = getattr(self.task, "on_gradients_discarded", None)
        if discarded is not None:
            discarded()

    def _optimizer_step(self) -> None:
        if self.cfg.grad_clip > 0:
            self.scaler.unscale_(self.optimizer)
            nn.utils.clip_grad_norm_(
                [q for q in self.task.parameters() if q.requires_grad], self.cfg.grad_clip
            )
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        self._lr = self.scheduler.get_last_lr()[0]  # the rate this step used (reported)
        self.scheduler.step()
        self.progress.step += 1
        self.task.on_step_end(self.progress.step, self.total)

    def _after_step(self, loss: torch.Tensor) -> None:
        """Log (throttled), check health and write periodic checkpoints after a step."""
        p = self.progress
        now = time.perf_counter()
        last = p.step >= self.total
        # time-based decisions were agreed by the ranks before the step (_should_stop)
        checkpoint_due = not last and (
            p.step % self.cfg.checkpoint_every_steps == 0 or self._timed_checkpoint_due
        )
        self._unchecked += loss  # no device sync: read back when logging or saving
        self._since_log += loss
        self.curve.add(p.step, p.epoch, loss, self._lr, self._logs, last)  # (the stored one)
        # decided from the step number alone, the same on every rank: the monitor lives
        # on rank 0 only, but the finiteness check before it is a collective all join
        health_step = p.step % self.cfg.health_every_steps == 0
        check_due = health_step and (self.health is not None or self.world.distributed)
        if self._log_due or last or checkpoint_due:
            # the Step event's loss: the mean of the steps since the last one (not the
            # last batch's alone: one batch of thousands is noise)
            total = self._check_finite(self._since_log)
            self._log_step(total / max(1, p.step - self._logged_step), now)
            self._since_log.zero_()
            self._logged_step = p.step
        elif check_due:  # diverged weights get the loss message, not an SVD error
            self._check_finite()
        if health_step and self.health is not None:
            self.health(self.task, p.step, self._pending_metrics)
        if checkpoint_due:
            self._save("periodic")

    def _check_finite(self, loss: torch.Tensor | None = None) -> float:
        """Raise TrainingError when a step loss since the last check was NaN or infinite
        (every checkpoint write and every logged step checks first, so no checkpoint ever
        holds the weights of a diverged run). Returns ``loss`` (mean over the ranks), read
        back in the same sync as the stored curve's closed blocks; NaN when not given."""
        p = self.progress
        if loss is None and self._checked_step == p.step:
            return math.nan
        current = loss if loss is not None else torch.full((), math.nan, device=self.device)
        read = [self._unchecked, current.float(), *self.curve.means()]
        pending, value, *blocks = distributed.means(torch.stack(read).tolist(), self.world)
        first = self._checked_step + 1
        self._unchecked.zero_()
        self._checked_step = p.step
        self._pending_metrics += self.curve.rows(blocks)  # (those closed before a NaN)
        if not math.isfinite(pending):
            where = (
                f"at step {p.step}" if first >= p.step else f"between steps {first} and {p.step}"
            )
            raise TrainingError(
                f"The loss became {pending} {where}, so training stopped. The last good "
                "checkpoint is kept. Lower the learning rate (train.lr) or turn gradient "
                "clipping on (train.grad_clip), then resume or start again."
            )
        return value

    def _log_step(self, loss: float, now: float) -> None:
        p = self.progress
        then, step_then = self._window
        steps = max(1, p.step - step_then)
        seconds = max(now - then, 1e-9)
        rate = steps * p.batch_size * p.accumulate * self.world.size / seconds
        eta = (self.total - p.step) * seconds / steps
        lr = self._lr
        logs = {k: float(v) for k, v in (self._logs or {}).items()}
        self.report(
            Step(
                self.job,
                step=p.step,
                total=self.total,
                epoch=p.epoch,
                loss=loss,
                lr=lr,
                samples_per_s=rate,
                eta_s=eta,
                memory_mb=memory_mb(self.device),
                logs=logs,
            )
        )
        # (the stored loss curve is loss_curve.py's; the throughput, a timing, is kept here)
        self._pending_metrics.append((p.step, p.epoch, "samples_per_s", rate))
        self._window = (now, p.step)
        self._last_log = now
        if len(self._pending_metrics) > 200:
            self._flush_metrics()

    # ---- checkpoints -------------------------------------------------------------------------

    def _elapsed(self) -> float:
        """Training seconds of this run: earlier sessions' plus this one's so far."""
        started, before = self._session
        return before + time.perf_counter() - started

    def _flush_metrics(self) -> None:
        if self.recorder is not None and self._pending_metrics:
            self.recorder.metrics(self._pending_metrics)
        self._pending_metrics = []
