"""The import job interrupted: cancelled, paused, a decoder that kills its process, a
disk that fills up; what was imported is kept and the next import finishes."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from import_folders import errors_by_path, grey_pngs, run
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Progress, StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def test_cancel_leaves_a_consistent_project_and_the_next_import_finishes(project, tmp_path):
    folder = grey_pngs(tmp_path / "many", 40, side=64)
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=2)
    with Store.open(project, write=True) as store:
        importer = Importer(store, cfg, report, stop, decoder=slow_decode)
        summary = importer.run()
    assert summary["cancelled"] and 0 < summary["imported"] < 40
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT status FROM imports").fetchone()[0] == "cancelled"
    n_files, n_items = conn.execute(
        "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM items)"
    ).fetchone()
    assert n_files == n_items == summary["imported"]
    rest = run(project, folder)
    assert (rest["unchanged"], rest["imported"], rest["missing"]) == (n_files, 40 - n_files, 0)


def slow_decode(task: DecodeTask):
    import time

    time.sleep(0.05)
    return decode(task)


def crash_on_name(task: DecodeTask):
    """A decoder that kills its process on one file, like a segfaulting codec would."""
    if "crash" in Path(task.path).name:
        os._exit(3)
    return decode(task)


def test_a_decoder_that_kills_its_process_costs_only_that_file(project, tmp_path):
    folder = grey_pngs(tmp_path / "imgs", 12, side=8)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "05-crash.png")
    cfg = ImportConfig(project=project, paths=[folder], cache_size=8, workers=2)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, lambda e: None, StopToken(), decoder=crash_on_name).run()
    assert (summary["imported"], summary["failed"]) == (12, 1)
    assert errors_by_path(project, "imgs") == {"05-crash.png": "decoder-crashed"}


def slow_crash_on_name(task: DecodeTask):
    """A decoder that takes a while (a starting worker on a busy machine) before killing
    its process on one file."""
    import time

    if "crash" in Path(task.path).name:
        time.sleep(0.8)
        os._exit(3)
    return decode(task)


def test_a_decoder_that_is_slow_to_kill_its_process_costs_only_that_file(project, tmp_path):
    """The suspect retried alone took longer than one wait of the loop, other files
    joined it, its crash broke them again, and so on for ever (a busy machine, where
    workers start slowly, hung this way)."""
    import threading

    folder = grey_pngs(tmp_path / "imgs", 12, side=8)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "05-crash.png")
    cfg = ImportConfig(project=project, paths=[folder], cache_size=8, workers=2)
    stop = StopToken()
    deadline = threading.Timer(60, stop.stop)  # the old loop never ended
    deadline.start()
    try:
        with Store.open(project, write=True) as store:
            summary = Importer(store, cfg, lambda e: None, stop, decoder=slow_crash_on_name).run()
    finally:
        deadline.cancel()
    assert not summary["cancelled"]
    assert (summary["imported"], summary["failed"]) == (12, 1)
    assert errors_by_path(project, "imgs") == {"05-crash.png": "decoder-crashed"}


def test_a_paused_import_waits_with_its_work_saved_and_then_finishes(project, tmp_path):
    import threading

    folder = grey_pngs(tmp_path / "scans", 40)
    stop = StopToken()
    stop.pause()
    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
    done: list[dict] = []
    worker = threading.Thread(target=lambda: done.append(import_data(cfg, stop=stop)))
    worker.start()
    worker.join(timeout=1.5)
    assert worker.is_alive() and not done  # it waits
    with Store.open(project) as store:
        rows = store.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert rows < 40  # what was decoded before the pause took hold is saved, no more
    stop.resume()
    worker.join(timeout=60)
    assert done and done[0]["imported"] == 40


def test_a_full_disk_stops_the_import_and_keeps_what_was_imported(project, tmp_path, monkeypatch):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(np.full((16, 16), i * 40, np.uint8)).save(folder / f"{i}.png")
    from ssl_studio.core.data import cache, import_decoding

    monkeypatch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
    real_append = cache._Appender.append
    calls = []

    def fills_up(self, data):
        calls.append(len(data))
        if len(calls) == 4:
            self.file.write(data[: len(data) // 2])  # half of it reached the disk
            raise OSError(28, "No space left on device")
        return real_append(self, data)

    monkeypatch.setattr(cache._Appender, "append", fills_up)
    with pytest.raises(SSLStudioError, match="The disk is full: free some space"):
        import_data(ImportConfig(project=project, paths=[folder], cache_size=16, workers=1))
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    with Store.open(project) as store:
        kept = store.items(store.dataset("(importing)")["id"])  # named when it finishes
    assert len(kept) == 3  # the files written before the disk filled up

    monkeypatch.setattr(cache._Appender, "append", real_append)  # space was freed
    summary = import_data(ImportConfig(project=project, paths=[folder], workers=1))
    assert (summary["imported"], summary["unchanged"]) == (3, 3)
    with Store.open(project) as store:
        items = sorted(store.items(store.dataset("scans")["id"]), key=lambda i: i["rel_path"])
    pixels = CacheReader(project / "cache" / "dataset-1").images(items)
    assert [int(p.max()) for p in pixels] == [i * 40 for i in range(6)]  # every item intact
