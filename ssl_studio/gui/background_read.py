"""Reads made off the GUI thread and answered on it, safely: a worker of Qt's global thread
pool runs the read, and a relay that lives as long as the program brings the answer back to
the GUI thread, where only the newest read of a reader that still exists is handed over.

Two things make a plain ``QThreadPool.start`` with a signal of the asking widget unsafe:

- emitting a signal of a QObject from a worker while the GUI thread deletes that object
  (a closed viewer, a panel of another project) is a race Qt does not guard; the worker
  therefore only ever touches the relay, which is never deleted;
- a read allocates (a decoded DICOM, a long curve), so Python's cyclic collector may start
  on the worker and free a closed window's Qt objects there: the two threads then wait on
  each other for good (see gui_thread_gc.py). Each read holds the GUI-thread collector
  from its start until the relay has its answer (the worker's last Python).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from ssl_studio.gui.gui_thread_gc import collector

log = logging.getLogger("ssl_studio.gui")

_SKIPPED = object()  # a read asked again before it started: not made


class _Relay(QObject):
    """On the GUI thread for the whole program: a worker hands it each answer; it lets go
    of the collector's hold and passes the answer to its reader, when that still exists."""

    delivered = Signal(int, int, object)  # (reader number, request, answer), queued

    def __init__(self) -> None:
        super().__init__()
        self.readers: dict[int, BackgroundReader] = {}
        self.numbered = 0  # readers made so far (their keys: Python ids could be reused)
        # each reader's newest request: a worker whose read is older skips it (holding the
        # Down key through 30 runs read all 30, each waiting for the one before)
        self.newest: dict[int, int] = {}
        self.delivered.connect(self._delivered)

    def _delivered(self, number: int, request: int, answer: object) -> None:
        collector().release()
        reader = self.readers.get(number)
        if reader is not None:
            reader._answered(request, answer)


_relay: _Relay | None = None


def _the_relay() -> _Relay:
    """The process's one relay (made on first use, on the GUI thread)."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    return _relay


class BackgroundReader(QObject):
    """``read(work)`` runs ``work()`` on a worker thread; ``arrived`` brings its answer
    to the GUI thread when it is the newest read asked of this reader (``forget()`` makes
    none the newest). An older read that was still made is told by ``late`` (its answer may
    be worth keeping); one asked again before it started is not made. A deleted reader is
    told nothing. ``work`` must not raise: if it does, the error is logged and the answer
    is None. Create and use it on the GUI thread. ``daemon``: each read runs on a thread of
    its own that the program does not wait for at exit (Qt's pool is waited for: a read
    stuck on a share that stopped answering would keep the closed window's process)."""

    arrived = Signal(object)  # the newest read's answer
    late = Signal(object)  # an older read's answer (made before a newer one was asked)

    def __init__(self, parent: QObject | None = None, daemon: bool = False) -> None:
        super().__init__(parent)
        self.daemon = daemon
        relay = _the_relay()
        self.request = 0  # the newest read asked (or the number that made all stale)
        self.in_flight = 0  # reads started and not answered yet
        relay.numbered += 1
        self.number = number = relay.numbered
        relay.readers[number] = self
        readers, newest = relay.readers, relay.newest  # (not self: it is being deleted)
        self.destroyed.connect(lambda: (readers.pop(number, None), newest.pop(number, None)))

    def read(self, work: Callable[[], Any]) -> int:
        """Start ``work`` on a worker of the global thread pool (a daemon thread of its own
        for a ``daemon`` reader); returns its request."""
        relay = _the_relay()
        self.request += 1
        request, number, newest, send = self.request, self.number, relay.newest, relay.delivered
        newest[number] = request
        self.in_flight += 1
        collector().hold()  # (let go by the relay, after the worker's last Python)

        def run() -> None:
            answer: object = _SKIPPED
            if newest.get(number) == request:  # (asked again since, or deleted: skipped)
                try:
                    answer = work()
                except Exception:  # noqa: BLE001 - never lost on a thread
                    log.exception("A background read failed")
                    answer = None
            try:
                send.emit(number, request, answer)  # (the worker's last Python)
            except RuntimeError:  # the program is ending: nobody to tell
                pass

        if self.daemon:
            threading.Thread(target=run, name="ssl-studio read", daemon=True).start()
        else:
            QThreadPool.globalInstance().start(run)
        return request

    def forget(self) -> None:
        """The read under way is no longer wanted: its answer is not ``arrived``."""
        self.request += 1
        _the_relay().newest[self.number] = self.request

    def reading(self) -> bool:
        """Whether a read is under way (the newest, or one no longer wanted)."""
        return self.in_flight > 0

    def _answered(self, request: int, answer: object) -> None:
        self.in_flight -= 1
        if request == self.request:
            self.arrived.emit(answer)
        elif answer is not _SKIPPED:
            self.late.emit(answer)
