"""What the import-findings tests share: folders of PNGs, and imports stopped after their
first file or ended as a kill would (imported as ``from stopped_imports import ...``)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.events import Progress, StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), (10 * i) % 256, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def slow_decode(task: DecodeTask):
    time.sleep(0.02)
    return decode(task)


def stopped_import(project: Path, folder: Path, **options) -> dict:
    """Import ``folder`` and stop it once the first file was decoded (not every file)."""
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1, **options)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, report, stop, decoder=slow_decode).run()
    assert summary["cancelled"] and 0 < summary["files_done"] < summary["files_seen"]
    return summary


def killed_import(project: Path, folder: Path, monkeypatch, **options) -> None:
    """Import ``folder`` and end it as a kill would once two files were recorded: its
    import row stays "running"."""
    from ssl_studio.core.data import import_decoding, import_writing

    real_commit = import_writing.ImportWriting._commit
    committed: list = []

    def commit(self, batch, writer):
        real_commit(self, batch, writer)
        committed.extend(batch)
        if len(committed) >= 2:
            raise KeyboardInterrupt  # as a kill: the database gets nothing more

    with monkeypatch.context() as patch:
        patch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
        patch.setattr(import_writing.ImportWriting, "_commit", commit)
        cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1, **options)
        with pytest.raises(KeyboardInterrupt):
            import_data(cfg)
