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


class _Relay(QObject):
    """Lives as long as the program, on the GUI thread: a worker hands it each read and
    never touches a reader, which may be deleted meanwhile (deleting a QObject while
    another thread emits its signal is unsafe). The collector's hold a read took is let
    go here, once the worker is done with Python: a collection on the worker could free
    a closed window's Qt objects off the GUI thread (see gui_thread_gc.py)."""

    delivered = Signal(int, object)  # (reader number, CurvesRead), queued to the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self.readers: dict[int, LossCurveReader] = {}
        self.numbered = 0  # readers made so far (their keys: ids could be reused)
        # each reader's newest request: a worker whose read is older skips it (holding the
        # Down key through 30 runs read all 30, each waiting for the one before)
        self.newest: dict[int, int] = {}
        self.delivered.connect(self._delivered)

    def _delivered(self, number: int, read: CurvesRead) -> None:
        collector().release()
        reader = self.readers.get(number)
        if reader is not None:
            reader._arrived(read)


_relay: _Relay | None = None


def relay() -> _Relay:
    """The process's one relay (made on first use, on the GUI thread)."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class LossCurveReader(QObject):
    """``read(project, keys)`` starts a read and returns its request number; ``arrived``
    brings the ``CurvesRead`` to the GUI thread. Only the newest request is ``current``."""

    arrived = Signal(object)  # CurvesRead

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.request = 0  # the newest read started (or the number that made all stale)
        self.in_flight = 0  # reads started and not arrived yet
        readers, newest = relay().readers, relay().newest
        relay().numbered += 1
        self.number = number = relay().numbered
        readers[number] = self
        self.destroyed.connect(lambda: (readers.pop(number, None), newest.pop(number, None)))

    def read(self, project: Path, keys: dict[int, Any]) -> int:
        """Read the loss curves of the runs ``keys`` names (run id -> what the run was
        when asked: handed back with the curves)."""
        self.request += 1
        request, number, send, newest = (
            self.request,
            self.number,
            relay().delivered.emit,
            relay().newest,
        )
        newest[number] = request
        self.in_flight += 1
        collector().hold()  # (let go by the relay, after the worker's last Python)

        def work() -> None:
            if newest.get(number) != request:  # asked again since: not read (dropped)
                read = CurvesRead(request, project, keys)
            else:
                read = read_loss_curves(project, keys, request)
            try:
                send(number, read)  # (the worker's last Python)
            except RuntimeError:  # the program is ending: nobody to tell
                pass

        QThreadPool.globalInstance().start(work)
        return request

    def forget(self) -> None:
        """Whatever is being read is no longer wanted (its answer is dropped)."""
        self.request += 1
        relay().newest[self.number] = self.request

    def current(self, read: CurvesRead) -> bool:
        return read.request == self.request

    def _arrived(self, read: CurvesRead) -> None:
        self.in_flight -= 1
        self.arrived.emit(read)
