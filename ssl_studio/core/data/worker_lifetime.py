"""Decoding workers end when the app that started them is gone.

A ``kill -9`` of an import left its workers, the forkserver and the resource tracker
running for good (hospital IT audit): a worker waits for its next file on a queue whose
sending end it holds itself, so it never sees the app go; the forkserver exits only once
every holder of its "alive" pipe is gone, the workers included; the resource tracker
likewise. So each worker watches the app itself and exits when it ends, and the rest of
the chain then ends on its own (tests/core/data/test_worker_lifetime.py).

How a worker watches, cheapest first: Linux, a pidfd of the app (a thread that waits in
``poll`` until the app exits: no periodic checks), plus ``PR_SET_PDEATHSIG`` so that the death of
its own parent (the forkserver) ends it too; Windows, the parent's process handle that
multiprocessing gives a spawned child (the app is its parent); elsewhere, a thread that
checks once a second whether its parent process changed or the app is gone.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # (linux/prctl.h)
POLL_SECONDS = 1.0
EXIT_ORPHANED = 3  # (no one reads it: the app that would is gone)


def end_with_app(app_pid: int) -> None:
    """Worker initializer: make this process exit when process ``app_pid`` (the app that
    started the pool) is gone. Never raises: a worker without a watch still decodes."""
    try:
        if sys.platform.startswith("linux"):
            _die_with_parent()
            if _watch_pidfd(app_pid):
                return
        elif sys.platform == "win32":
            parent = multiprocessing.parent_process()
            if parent is not None and parent.pid == app_pid and parent.sentinel is not None:
                _start(_wait_for_handle, parent.sentinel)
                return
            return
        _start(_poll_app, app_pid, os.getppid())
    except Exception:  # noqa: BLE001 - only a convenience; decoding must go on
        pass


def _start(target: object, *args: object) -> None:
    threading.Thread(target=target, args=args, name="end-with-app", daemon=True).start()  # type: ignore[arg-type]


def _orphaned() -> None:
    os._exit(EXIT_ORPHANED)


def _die_with_parent() -> None:
    """Linux: SIGTERM to this process when its parent thread exits (PR_SET_PDEATHSIG)."""
    libc = ctypes.CDLL(None, use_errno=True)  # (the process's own symbols, libc's among
    # them: find_library ran ldconfig or gcc in every worker, and may find none)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _watch_pidfd(app_pid: int) -> bool:
    """Linux 5.3+: a thread sleeps until process ``app_pid`` exits; False where pidfds
    are not available."""
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is None:
        return False
    try:
        fd = pidfd_open(app_pid)
    except ProcessLookupError:  # gone already
        _orphaned()
    except OSError:  # (an older kernel, or not allowed)
        return False
    _start(_wait_for_fd, fd)
    return True


def _wait_for_fd(fd: int) -> None:
    poller = select.poll()  # (not select: it refuses descriptors from 1024 on)
    poller.register(fd, select.POLLIN)
    while not poller.poll():  # (readable once the process has exited)
        pass
    _orphaned()


def _wait_for_handle(handle: int) -> None:
    from multiprocessing.connection import wait

    wait([handle])
    _orphaned()


def _poll_app(app_pid: int, parent: int) -> None:
    """POSIX without pidfds: once a second, whether this process's parent changed (it
    was reparented) or, where the app is not the parent (a forkserver is), whether the
    app still exists. (Never on Windows, where ``os.kill`` would end the app.)"""
    while os.getppid() == parent:
        if app_pid != parent:
            try:
                os.kill(app_pid, 0)
            except ProcessLookupError:
                break
            except OSError:  # (exists, but another user's: our app has gone)
                break
        time.sleep(POLL_SECONDS)
    _orphaned()
