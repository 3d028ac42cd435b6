"""A ``kill -9`` of an importing process leaves no process behind: its decoding workers,
the forkserver and the resource tracker all end (they ran on for good; hospital IT
audit)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# An "import" of 12 files whose decoding takes a minute each (time.sleep is the decoder),
# on 2 workers: the app is killed while both decode.
APP = (
    "import time\n"
    "from ssl_studio.core.data.parallel import decode_files\n"
    "from ssl_studio.core.events import StopToken\n"
    "tasks = [(i, 60.0) for i in range(12)]\n"
    "for _ in decode_files(tasks, time.sleep, workers=2, stop=StopToken(), warn=print):\n"
    "    pass\n"
)


def _group(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, forkserver")
def test_killed_app_leaves_no_worker_forkserver_or_tracker():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    app = subprocess.Popen([sys.executable, "-c", APP], env=env, start_new_session=True, cwd=ROOT)
    pgid = app.pid
    try:
        # app, resource tracker, forkserver and 2 workers
        assert _wait_for(lambda: len(_group(pgid)) >= 5, 120), _group(pgid)
        time.sleep(0.5)  # (the workers' initializers have run: they decode)
        os.kill(app.pid, signal.SIGKILL)
        app.wait()
        assert _wait_for(lambda: not _group(pgid), 10), (
            f"left running: {[Path(f'/proc/{p}/cmdline').read_bytes()[:80] for p in _group(pgid)]}"
        )
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# Without pidfds (an older kernel, macOS): the worker's thread sees its parent change.
POLLING = (
    "import os, sys, time\n"
    "from ssl_studio.core.data import worker_lifetime\n"
    "del os.pidfd_open\n"
    "worker_lifetime._die_with_parent = lambda: None\n"  # (the thread alone)
    "if os.fork() == 0:\n"  # (the "app")
    "    worker = os.fork()\n"
    "    if worker == 0:\n"
    "        worker_lifetime.end_with_app(os.getppid())\n"
    "        time.sleep(60)\n"
    "        os._exit(0)\n"
    "    time.sleep(60)\n"
    "    os._exit(0)\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, fork")
def test_without_pidfds_a_worker_ends_with_its_app():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    starter = subprocess.Popen(
        [sys.executable, "-c", POLLING], env=env, start_new_session=True, cwd=ROOT
    )
    pgid = starter.pid
    try:
        starter.wait(60)
        assert _wait_for(lambda: len(_group(pgid)) == 2, 30), _group(pgid)
        (app,) = [p for p in _group(pgid) if _parent(p) not in _group(pgid)]
        os.kill(app, signal.SIGKILL)
        assert _wait_for(lambda: not _group(pgid), 5), _group(pgid)
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfds")
def test_the_watch_takes_descriptors_from_1024_on(monkeypatch):
    """select() refuses a descriptor from 1024 on (ValueError in the thread: no watch),
    and a worker of an app with many open files may get one."""
    import threading

    from ssl_studio.core.data import worker_lifetime

    ended = threading.Event()
    monkeypatch.setattr(worker_lifetime, "_orphaned", ended.set)
    read, write = os.pipe()
    high = os.dup2(read, 1500)
    os.close(read)
    try:
        watch = threading.Thread(target=worker_lifetime._wait_for_fd, args=(high,), daemon=True)
        watch.start()
        assert not ended.wait(0.2)  # (waits while there is nothing to read)
        os.write(write, b"x")  # (as a pidfd becomes readable when its process exits)
        assert ended.wait(10)
    finally:
        os.close(write)
        os.close(high)


# PR_SET_PDEATHSIG through the process's own symbols, not find_library (which runs
# ldconfig or gcc in every worker, and may find nothing in a bundle).
DEATH_SIGNAL = (
    "import ctypes, ctypes.util, signal\n"
    "def no(name):\n"
    "    raise AssertionError('find_library ran')\n"
    "ctypes.util.find_library = no\n"
    "from ssl_studio.core.data import worker_lifetime\n"
    "worker_lifetime._die_with_parent()\n"
    "got = ctypes.c_int()\n"
    "ctypes.CDLL(None).prctl(2, ctypes.byref(got), 0, 0, 0)\n"  # (PR_GET_PDEATHSIG)
    "assert got.value == signal.SIGTERM, got.value\n"
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl")
def test_death_signal_set_without_find_library():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", DEATH_SIGNAL], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
