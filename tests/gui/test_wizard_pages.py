"""The fine-tune wizard's pages in the real window, with the core jobs faked where they
would train: one wizard at a time, a refused training start that can be retried, the
label-efficiency button while it measures, the operating point and where an export goes."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.events import Stopped
from ssl_studio.core.jobs import import_data

WAIT_MS = 10_000
OPTIONS = {"protocol": "linear", "baseline": True, "test_fraction": 0.2, "seed": 0, "steps": 5}


def _images(project, tmp_path, n: int = 4):
    folder = tmp_path / "shapes"
    folder.mkdir()
    for i in range(n):
        Image.fromarray(np.full((16, 16), 40 * i, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    return project


def _until_stopped(report, stop):
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped"}


def test_training_refused_by_another_job_says_why_and_can_be_retried(
    qtbot, make_window, project, messages, monkeypatch
):
    done = {"status": "done", "run_id": 7, "protocol": "linear", "test": {}}
    monkeypatch.setattr("ssl_studio.gui.wizard.result_pages.finetune", lambda cfg, **_: done)
    window = make_window(project)
    assert window.runner.start("Pretraining", _until_stopped)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    train = wizard.pages["train"]
    train.initializePage()  # Next from the protocol page
    assert "still running" in messages.pop()[1]
    assert "has not started: 'Pretraining' is still running" in train.status.text()
    assert not train.retry_button.isHidden() and not train.stop_button.isEnabled()

    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert "press Retry" in train.status.text()
    train.retry_button.click()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=WAIT_MS)
    assert wizard.result["run_id"] == 7 and train.isComplete()
    assert train.retry_button.isHidden() and "Press Results" in train.status.text()
    assert not messages


def test_the_label_efficiency_button_is_off_while_its_curve_is_measured(
    qtbot, make_window, project, messages, monkeypatch
):
    def measuring(cfg, *, ks, seeds, report, stop):  # stopped in a step that raises
        while not stop.stopped:
            time.sleep(0.01)
        raise Stopped

    monkeypatch.setattr("ssl_studio.gui.wizard.result_pages.label_efficiency", measuring)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result, wizard.options, wizard.per_class = {"run_id": 1}, dict(OPTIONS), 6
    results = wizard.pages["results"]
    assert results.label_efficiency()
    button = results.curve_button
    assert not button.isEnabled() and button.text().startswith("Measuring")
    button.click()  # a second click does nothing (no "still running", the text stays)
    assert not messages and button.text().startswith("Measuring")
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert button.isEnabled() and button.text().startswith("Label-efficiency curve")
    assert "stopped before its first point" in results.curve_note.text()
