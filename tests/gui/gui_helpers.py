"""Helpers of the GUI tests: real drag-and-drop events, a small imported dataset, stored
runs with their curves, the options of a fine-tune the wizard's pages are given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def drop(widget, paths: list[Path]) -> None:
    """Send a real drag-enter and drop of ``paths`` to ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    point = QPointF(widget.width() / 2, widget.height() / 2)
    action = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point.toPoint(), action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(point, action, mime, buttons, modifiers))


def import_shapes(project: Path, tmp_path: Path, n: int = 4) -> Path:
    """``project`` after importing ``n`` flat grey 16 px PNGs as dataset 'shapes' (grey
    levels 0, 40, 80, ... wrapping at 256)."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((16, 16), 40 * i % 256, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    return project


POINTS = 2_000


def add_runs(project: Path, count: int, points: int = POINTS) -> list[int]:
    """``count`` stopped pretraining runs with loss, lr, throughput and health curves."""
    ids = []
    with Store.open(project, write=True) as store:
        dataset = store.dataset("chest")
        dataset_id = dataset["id"] if dataset else store.create_dataset("chest", "image", 32)
        for _ in range(count):
            run = store.create_run(dataset_id, "pretrain", {"task": "simclr"})
            steps = range(1, points + 1)
            rows = [(s, 0, "loss", 5.0 / s + 0.5) for s in steps]
            rows += [(s, 0, "lr", 0.1) for s in steps] + [
                (s, 0, "samples_per_s", 40.0) for s in steps
            ]
            rows += [(s, -1, "embedding_std", 0.3) for s in range(100, points + 1, 100)]
            rows += [(s, -1, "knn_accuracy", 0.7) for s in range(100, points + 1, 100)]
            store.add_metrics(run, rows)
            store.add_checkpoint(run, points, 0, "stopped", f"runs/{run}/checkpoints/x.pt")
            store.finish_run(run, "stopped", {"steps": points, "seconds": 60.0})
            ids.append(run)
    return ids


OPTIONS = {"protocol": "linear", "baseline": True, "test_fraction": 0.2, "seed": 0, "steps": 5}
