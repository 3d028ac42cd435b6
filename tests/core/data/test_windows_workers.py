"""Decoding workers on Windows, simulated on any system: at most 61 of them (Windows's
ProcessPoolExecutor refuses more with a ValueError, which crashed imports on machines
with more cores or with --workers 64), a pool that cannot be built leaves decoding to the
importing process, and Ctrl+Break, like Ctrl+C, is left to the importer."""

from __future__ import annotations

import os
import signal
import types
from concurrent.futures import Future
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data import import_decoding, parallel
from ssl_studio.core.events import Message, StopToken
from ssl_studio.core.jobs import import_data


class _InProcessPool:
    """A pool that runs each task at once in this process; records its size."""

    sizes: list[int] = []

    def __init__(self, workers: int, context: object) -> None:
        self.sizes.append(workers)

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self, *args, **kwargs) -> None:
        pass


def _as_on_windows(monkeypatch) -> list[int]:
    """parallel.py sees Windows; its pools run in this process. Returns their sizes."""
    monkeypatch.setattr(parallel, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.setattr(parallel, "_pool_context", lambda: None)
    monkeypatch.setattr(_InProcessPool, "sizes", [])
    monkeypatch.setattr(parallel, "_pool", _InProcessPool)
    return _InProcessPool.sizes


def test_windows_gets_at_most_61_workers_however_many_cores_or_asked(monkeypatch):
    sizes = _as_on_windows(monkeypatch)
    tasks = [(i, i) for i in range(100)]
    done = parallel.decode_files(
        tasks, lambda task: task * 2, workers=64, stop=StopToken(), warn=print, ordered=True
    )
    assert list(done) == [(i, i * 2) for i in range(100)]
    assert sizes == [61]


def test_other_systems_get_the_workers_asked_for(monkeypatch):
    sizes = _as_on_windows(monkeypatch)
    monkeypatch.setattr(parallel, "sys", types.SimpleNamespace(platform="linux"))
    tasks = [(i, i) for i in range(100)]
    list(parallel.decode_files(tasks, abs, workers=64, stop=StopToken(), warn=print))
    assert sizes == [64]


def test_a_pool_the_system_refuses_to_build_leaves_decoding_to_this_process(monkeypatch):
    def refused(workers: int, context: object):
        raise ValueError("max_workers must be <= 61")

    monkeypatch.setattr(parallel, "_pool_context", lambda: None)
    monkeypatch.setattr(parallel, "_pool", refused)
    warnings: list[str] = []
    tasks = [(i, i) for i in range(parallel.IN_PROCESS_MAX_FILES + 3)]
    done = parallel.decode_files(
        tasks, lambda task: task * 10, workers=2, stop=StopToken(), warn=warnings.append
    )
    assert list(done) == [(i, i * 10) for i in range(len(tasks))]
    assert len(warnings) == 1 and "decoding in this process instead" in warnings[0]


def test_workers_leave_ctrl_break_to_the_importer_like_ctrl_c(monkeypatch):
    """SIGBREAK exists on Windows only: SIGUSR1 stands in for it here."""
    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR1, raising=False)
    monkeypatch.setattr(parallel, "end_with_app", lambda app_pid: None)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGUSR1)}
    try:
        parallel._start_worker(os.getpid())
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGUSR1) is signal.SIG_IGN
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


def _pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), i, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def test_an_import_asked_for_more_workers_than_windows_allows_says_it_uses_fewer(
    monkeypatch, project, tmp_path
):
    sizes = _as_on_windows(monkeypatch)
    monkeypatch.setattr(parallel, "WINDOWS_MAX_WORKERS", 3, raising=False)  # (not 61 files)
    folder = _pngs(tmp_path / "pngs", 12)
    events: list[object] = []
    cfg = ImportConfig(project=project, paths=[folder], workers=5, name="asked")
    assert import_data(cfg, report=events.append)["imported"] == 12
    assert sizes == [3]
    said = [e.text for e in events if isinstance(e, Message) and "at most" in e.text]
    assert said == [
        "Windows runs at most 3 worker processes together: decoding with 3, not the 5 asked for."
    ]
    events.clear()  # one per core (0, the default) on 8 cores: lowered without a word
    monkeypatch.setattr(import_decoding, "usable_cores", lambda: 8)
    cfg = ImportConfig(project=project, paths=[folder], name="default")
    assert import_data(cfg, report=events.append)["imported"] == 12
    assert sizes == [3, 3]
    assert not [e for e in events if isinstance(e, Message) and "at most" in e.text]


def test_the_note_names_the_workers_asked_for_not_the_files(monkeypatch, project, tmp_path):
    """--workers 100 with 70 files said "not the 70 asked for": 100 were asked for."""
    _as_on_windows(monkeypatch)
    monkeypatch.setattr(parallel, "WINDOWS_MAX_WORKERS", 3, raising=False)  # (not 61 files)
    folder = _pngs(tmp_path / "pngs", 12)
    events: list[object] = []
    cfg = ImportConfig(project=project, paths=[folder], workers=100, name="many")
    assert import_data(cfg, report=events.append)["imported"] == 12
    said = [e.text for e in events if isinstance(e, Message) and "at most" in e.text]
    assert said == [
        "Windows runs at most 3 worker processes together: decoding with 3, not the 100 asked for."
    ]


def test_no_note_where_the_files_are_fewer_than_windows_allows(monkeypatch):
    """100 workers asked for, 40 files: 40 are used, as on any system; nothing to say."""
    _as_on_windows(monkeypatch)
    assert parallel.fewer_workers_note(100, files=40) is None
    assert parallel.fewer_workers_note(100, files=70) == (
        "Windows runs at most 61 worker processes together: decoding with 61, not the 100 "
        "asked for."
    )
    assert parallel.fewer_workers_note(0, files=70) is None  # (one per core: never told)
