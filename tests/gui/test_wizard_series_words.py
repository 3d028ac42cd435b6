"""The fine-tune wizard words a dataset's items by its modality: on recordings of
BasicMotions the audit read "each image counts alone", "reading images, computing
features" and "one or two images would decide it"."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.labels import set_labels
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView

from gui_helpers import import_shapes

WAIT_MS = 30_000


def _recordings(project: Path, folder: Path, n: int = 24) -> list[int]:
    """``n`` CSV recordings (time, ax, ay at 10 Hz) imported as dataset 'moves', with a
    finished pretraining run on it (run 1); their item ids."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        rows = [
            f"{t / 10:.1f},{a:.3f},{b:.3f}" for t, (a, b) in enumerate(rng.normal(size=(30, 2)))
        ]
        (folder / f"rec_{i:02d}.csv").write_text("time,ax,ay\n" + "\n".join(rows) + "\n")
    import_data(ImportConfig(project=project, paths=[folder]))
    with Store.open(project, write=True) as store:
        dataset = store.dataset("moves")["id"]
        run = store.create_run(dataset, "pretrain", {"task": "ts2vec", "backbone": "ts-conv"})
        store.finish_run(run, "done", {"final_loss": 1.0})
    return [int(item["id"]) for item in DatasetView.open(project, "moves").items]


def _choose(combo, data: str) -> None:
    combo.setCurrentIndex(combo.findData(data))


def test_the_wizard_calls_series_recordings(qtbot, make_window, project, tmp_path, monkeypatch):
    ids = _recordings(project, tmp_path / "moves")
    set_labels(project, "moves", {i: "ab"[k % 2] for k, i in enumerate(ids[:10])}, name="few")
    set_labels(project, "moves", {i: "ab"[k % 2] for k, i in enumerate(ids)}, name="many")
    done = {"status": "done", "run_id": 2, "protocol": "linear", "test": {}}
    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", lambda cfg, **_: done)
    window = make_window(project)
    wizard = window.open_wizard(1)
    wizard.next()  # the run chosen: its dataset holds series
    labels = wizard.pages["labels"]
    _choose(labels.label_set, "few")  # 5 per class: cross-validation, no patient IDs
    said = labels.warnings.text()
    assert "(No patient IDs found: each recording counts alone.)" in said, said
    _choose(labels.label_set, "many")  # 12 per class: a test split
    wizard.next()
    protocol = wizard.pages["protocol"]
    said = protocol.testing.text()
    assert "no patient IDs were found, so each recording counts alone" in said, said
    said = protocol.operating.note.text()  # too few for a threshold: why
    assert "one or two recordings would decide it" in said, said
    wizard.next()  # the training starts
    said = wizard.pages["train"].status.text()
    assert said == "Preparing the labeled data (reading recordings, computing features)…"
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)


def test_the_wizard_still_calls_images_images(qtbot, make_window, project, tmp_path):
    import_shapes(project, tmp_path, n=10)
    ids = [int(item["id"]) for item in DatasetView.open(project, "shapes").items]
    set_labels(project, "shapes", {i: "ab"[k % 2] for k, i in enumerate(ids)}, name="few")
    with Store.open(project, write=True) as store:
        run = store.create_run(store.dataset("shapes")["id"], "pretrain", {"task": "simclr"})
        store.finish_run(run, "done", {"final_loss": 1.0})
    window = make_window(project)
    wizard = window.open_wizard(run)
    wizard.next()
    labels = wizard.pages["labels"]
    _choose(labels.label_set, "few")
    assert "each image counts alone" in labels.warnings.text()
