"""Progress events, the reporter callback type and the cooperative stop token.

Every long job reports only through ``report(event)``. Events are small frozen
dataclasses that serialise to one JSON line each, so the GUI (a Qt signal), the CLI
(a progress line or JSON lines) and the tests can all listen the same way.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base of all events: the job that sent it and when (Unix seconds)."""

    job: str
    time: float = field(default_factory=time.time, kw_only=True)

    @property
    def type(self) -> str:
        return type(self).__name__.lower()

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


@dataclass(frozen=True)
class Started(Event):
    """A job began; ``total`` is the amount of work when known (files, steps);
    ``run_id`` the run it trains (pretraining: new or resumed; None for other jobs, and
    when a run was refused before it was made)."""

    total: int | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class Progress(Event):
    """Work done so far. ``counts`` holds job-specific tallies (e.g. imported, failed).
    ``file_fraction``: how much of the file now being read is read (0 to 1; None when
    unknown), beside ``done`` whole ones: a long CSV recording is read in pieces."""

    done: int
    total: int | None = None
    eta_s: float | None = None
    phase: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    file_fraction: float | None = None


@dataclass(frozen=True)
class Step(Event):
    """A training step: loss, learning rate, speed, time left and device memory.

    Step events are throttled (``train.log_every_seconds``, and at checkpoints and the
    last step), so one stands for the optimiser steps since the previous one: ``loss`` is
    their mean training loss (each step's loss being the mean over its micro-batches and
    ranks), not the loss of step ``step`` alone; ``lr`` is the learning rate of step
    ``step``; ``samples_per_s`` the throughput since the previous event. Which steps get
    an event depends on the machine's speed, so the project database keeps only the
    throughput ("samples_per_s") at them; its "loss" curve is the mean over fixed blocks
    of steps, with "lr" and the task's ``logs`` at the blocks' last steps (see
    engine/loss_curve.py), the same for every run of the config and seed."""

    step: int
    total: int
    epoch: int
    loss: float
    lr: float
    samples_per_s: float
    eta_s: float | None = None
    memory_mb: float | None = None
    logs: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Epoch(Event):
    """An epoch ended; ``loss`` is its mean training loss."""

    epoch: int
    step: int
    loss: float


@dataclass(frozen=True)
class Checkpoint(Event):
    """A checkpoint was written (``path`` relative to the project folder)."""

    step: int
    path: str


@dataclass(frozen=True)
class Health(Event):
    """Is the representation learning? Embedding spread, effective rank, online kNN."""

    step: int
    embedding_std: float
    effective_rank: float
    knn_accuracy: float | None = None


@dataclass(frozen=True)
class Message(Event):
    """Something a person should read: ``level`` is info, warning or error."""

    text: str
    level: str = "info"


@dataclass(frozen=True)
class Finished(Event):
    """A job ended normally or was cancelled (``cancelled``); ``result`` is JSON-able."""

    result: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False


@dataclass(frozen=True)
class Failed(Event):
    """A job could not finish; ``error`` says what happened and what to do."""

    error: str


Reporter = Callable[[Event], None]


def ignore(event: Event) -> None:
    """A reporter that drops every event (for callers that do not listen)."""


class Stopped(Exception):
    """Raised by ``StopToken.check`` when a job is asked to stop in the middle of work that
    leaves nothing usable half done (embedding a dataset); the job ends as stopped."""


class StopToken:
    """Cooperative stop and pause: the caller sets them, the job checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._event.set()
        self._running.set()  # a paused job must wake up to stop

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        """Block while paused (until resumed or stopped); True when running again."""
        return self._running.wait(timeout)

    def check(self) -> None:
        """Between units of work: wait while paused, raise ``Stopped`` once asked to stop."""
        self.wait_while_paused()
        if self.stopped:
            raise Stopped


class EtaClock:
    """Estimates the time left from the rate of the work done since the first piece came
    back: what went before (starting the worker processes, about a second) is no measure
    of the rate, and counted against the first file it made the first estimate of a
    30 000-file import ten hours. Says nothing until ``SETTLE_S`` of work is measured."""

    SETTLE_S = 2.0

    def __init__(self) -> None:
        self.first: tuple[float, int] | None = None  # (when, how much was done) at first

    def eta(self, done: float, total: int | None) -> float | None:
        now = time.perf_counter()
        if not total or done <= 0:
            return None
        if self.first is None:
            self.first = (now, done)
            return None
        since, done_then = self.first
        elapsed = now - since
        if elapsed < self.SETTLE_S or done <= done_then:
            return None
        return max(0.0, elapsed / (done - done_then) * (total - done))


def stop_signals() -> list[int]:
    """The signals that ask a command to stop: Ctrl+C (SIGINT), SIGTERM, and on Windows
    Ctrl+Break (SIGBREAK), which would otherwise end the process at once."""
    ctrl_break = getattr(signal, "SIGBREAK", None)
    return [signal.SIGINT, signal.SIGTERM, *([ctrl_break] if ctrl_break is not None else [])]
