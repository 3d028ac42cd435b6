"""The loss curves of runs, read from the project off the GUI thread (a long run's curve
takes 0.1–0.3 s to read), as the viewer reads an original file: a worker of Qt's global
thread pool reads, a queued signal brings the curves back, and a request number tells a
stale answer (another selection, another project) from the one awaited."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal

from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import user_error
from ssl_studio.gui.gui_thread_gc import collector

log = logging.getLogger("ssl_studio.gui")

Curve = tuple[np.ndarray, np.ndarray] | None  # (steps, losses) of a run; None: none recorded


@dataclass
class CurvesRead:
    """What a read brought back: ``curves`` (run id -> Curve) of ``project``, or ``error``,
    the message to tell when the project could not be read; ``keys`` (run id -> the
    caller's key) says what each run was when its read was asked for."""

    request: int
    project: Path
    keys: dict[int, Any]
    curves: dict[int, Curve] = field(default_factory=dict)
    error: str = ""


def read_loss_curves(project: Path, keys: dict[int, Any], request: int) -> CurvesRead:
    """The loss curves of the runs ``keys`` names, in one opening of the project (any
    thread)."""
    read = CurvesRead(request, project, keys)
    try:
        with Store.open(project) as store:
            for run_id in keys:
                read.curves[run_id] = store.metric_arrays(run_id, ["loss"]).get("loss")
    except Exception as exc:  # noqa: BLE001 - told in the window, never lost on a thread
        told = user_error(exc, project)
        if told is None:
            log.error("Reading the loss curves failed:\n%s", traceback.format_exc())
            read.error = f"The loss curves could not be read ({type(exc).__name__}: {exc})."
        else:
            read.error = str(told)
        read.curves = {}
    return read


class LossCurveReader(QObject):
    """``read(project, keys)`` starts a read and returns its request number; ``arrived``
    brings the ``CurvesRead`` to the GUI thread. Only the newest request is ``current``."""

    arrived = Signal(object)  # CurvesRead
    _delivered = Signal(object)  # (emitted on the worker thread: queued to this one)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = 0  # the newest read started (or the number that made all stale)
        self._holds = [0]  # reads started and not arrived: each holds the collector
        self._delivered.connect(self._arrived)
        holds = self._holds  # (deleted with reads under way, it lets go of their holds)
        self.destroyed.connect(lambda: _release(holds))

    @property
    def in_flight(self) -> int:
        """Reads started and not arrived yet."""
        return self._holds[0]

    def read(self, project: Path, keys: dict[int, Any]) -> int:
        """Read the loss curves of the runs ``keys`` names (run id -> what the run was
        when asked: handed back with the curves)."""
        self.request += 1
        request = self.request
        self._holds[0] += 1
        # no cyclic garbage collection on the worker (a collection there could free a
        # closed window's Qt objects off the GUI thread: see gui_thread_gc.py)
        collector().hold()
        QThreadPool.globalInstance().start(
            lambda: self._send(read_loss_curves(project, keys, request))
        )
        return request

    def forget(self) -> None:
        """Whatever is being read is no longer wanted (its answer is dropped)."""
        self.request += 1

    def current(self, read: CurvesRead) -> bool:
        return read.request == self.request

    def _send(self, read: CurvesRead) -> None:
        """On the worker thread: hand ``read`` to the GUI thread."""
        try:
            self._delivered.emit(read)
        except RuntimeError:  # the panel was deleted meanwhile
            pass

    def _arrived(self, read: CurvesRead) -> None:
        self._holds[0] -= 1
        collector().release()
        self.arrived.emit(read)


def _release(holds: list[int]) -> None:
    """Let go of ``holds[0]`` holds of the collector (a reader deleted mid-read: its
    reads arrive nowhere)."""
    for _ in range(holds[0]):
        collector().release()
    holds[0] = 0
