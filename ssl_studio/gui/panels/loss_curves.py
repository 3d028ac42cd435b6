"""The stored curves of runs, read from the project off the GUI thread (a long run's curve
takes 0.1–0.3 s to read) with a ``BackgroundReader`` (background_read.py): the loss curves
the Runs panel overlays, and the curves a resumed run's live view starts from."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import user_error
from ssl_studio.gui.jobs import hidden_error

log = logging.getLogger("ssl_studio.gui")

Curve = tuple[np.ndarray, np.ndarray] | None  # (steps, losses) of a run; None: none recorded


@dataclass
class CurvesRead:
    """What a read brought back: ``curves`` (run id -> Curve) of ``project``, or ``error``,
    the message to tell when the project could not be read; ``keys`` (run id -> the
    caller's key) says what each run was when its read was asked for. A run read from a
    step on (``since``: run id -> step) has only its points from there in ``curves``, and
    its newest checkpoint's step (or None) in ``checkpoints``."""

    project: Path
    keys: dict[int, Any]
    since: dict[int, int] = field(default_factory=dict)
    curves: dict[int, Curve] = field(default_factory=dict)
    checkpoints: dict[int, int | None] = field(default_factory=dict)
    error: str = ""


@dataclass
class GrowingCurve:
    """The loss curve of a running run as read so far: ``steps, losses: [N]``; the next
    read starts at step ``next_from`` (its newest checkpoint's, at the latest: a resumed
    run logs the steps after that checkpoint again, which replace the ones kept)."""

    steps: np.ndarray
    losses: np.ndarray
    next_from: int

    @classmethod
    def read(cls, tail: Curve, since: int | None, checkpoint: int | None) -> GrowingCurve:
        """The first read of a run (``since`` None) or a later one (``tail``: its points
        from step ``since`` on) made into a curve; see ``extended``."""
        return cls(np.zeros(0, np.int64), np.zeros(0), 0).extended(tail, since or 0, checkpoint)

    def extended(self, tail: Curve, since: int, checkpoint: int | None) -> GrowingCurve:
        """This curve with the points before ``since`` kept and ``tail`` (the points read
        from ``since`` on) after them."""
        keep = self.steps < since
        steps, losses = self.steps[keep], self.losses[keep]
        if tail is not None:
            steps, losses = np.concatenate([steps, tail[0]]), np.concatenate([losses, tail[1]])
        last = int(steps[-1]) + 1 if steps.size else 0
        return GrowingCurve(steps, losses, last if checkpoint is None else min(last, checkpoint))

    def curve(self) -> Curve:
        return (self.steps, self.losses) if self.steps.size else None


def read_loss_curves(
    project: Path, keys: dict[int, Any], since: dict[int, int] | None = None
) -> CurvesRead:
    """The loss curves of the runs ``keys`` names, in one opening of the project (any
    thread); a run in ``since`` from that step on, with its newest checkpoint's step."""
    read = CurvesRead(project, keys, dict(since or {}))
    try:
        with Store.open(project) as store:
            for run_id in keys:
                if keys[run_id] is None:  # running: where it may log steps again
                    steps = [c["step"] for c in store.checkpoints(run_id)]
                    read.checkpoints[run_id] = max(steps) if steps else None
                arrays = store.metric_arrays(run_id, ["loss"], from_step=read.since.get(run_id))
                read.curves[run_id] = arrays.get("loss")
    except Exception as exc:  # noqa: BLE001 - told in the window, never lost on a thread
        read.error = _message(exc, project, "The loss curves")
        read.curves = {}
    return read


@dataclass
class StoredHistory:
    """What the live view of a run being resumed starts from: ``history`` (metric ->
    (steps, values)) up to its newest checkpoint, its ``health_every`` (None: unknown),
    or ``error``."""

    run_id: int
    history: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    health_every: int | None = None
    error: str = ""


def read_stored_history(project: Path, run_id: int, metrics: list[str]) -> StoredHistory:
    """The stored ``metrics`` of run ``run_id`` up to its newest checkpoint, where the
    resumed run goes on (a killed run may have logged steps after it, which it trains and
    logs again), and its own steps between health checks; in one opening (any thread)."""
    stored = StoredHistory(run_id)
    try:
        with Store.open(project) as store:
            history = store.metric_arrays(run_id, metrics)
            saved = [c["step"] for c in store.checkpoints(run_id)]
            run = store.run(run_id)
    except Exception as exc:  # noqa: BLE001 - told in the window, never lost on a thread
        stored.error = _message(exc, project, f"The curves of run {run_id}")
        return stored
    if saved:
        newest = max(saved)
        history = {name: (x[x <= newest], y[x <= newest]) for name, (x, y) in history.items()}
    stored.history = history
    try:  # a resumed run keeps its own
        stored.health_every = int(run["config"]["train"]["health_every_steps"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        stored.health_every = None
    return stored


def _message(exc: Exception, project: Path, what: str) -> str:
    """What to tell of ``exc``, met reading ``what`` of ``project``."""
    told = user_error(exc, project)
    if told is not None:
        return str(told)
    # (a path in it may be named after a patient: hidden, as stored paths are)
    trace, error = hidden_error(exc)
    log.error("Reading %s failed:\n%s", what.lower(), trace)
    return f"{what} could not be read ({error})."
