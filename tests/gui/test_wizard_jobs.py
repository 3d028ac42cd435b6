"""The fine-tune wizard's jobs in the real window, with the core jobs faked where they
would train: one wizard at a time, deleted when closed, a refused training start that
can be retried, the label-efficiency curve and its button, and where an export goes."""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest
from PySide6.QtCore import SIGNAL, Qt
from PySide6.QtTest import QTest
from shiboken6 import isValid

from ssl_studio.core.events import Stopped
from ssl_studio.core.export.card_details import SHARING_FIELDS
from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard

from gui_helpers import OPTIONS

WAIT_MS = 10_000


def _until_stopped(report, stop):
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped"}


def test_a_double_click_on_start_the_wizard_opens_one_wizard(make_window, project):
    window = make_window(project)
    window.show_step(2)
    for _ in range(2):  # a double click: two clicks in quick succession
        QTest.mouseClick(window.finetune.button, Qt.MouseButton.LeftButton)
    assert window.wizard is not None
    shown = [w for w in window.findChildren(FinetuneWizard) if w.isVisible()]
    assert len(shown) == 1 and shown[0] is window.wizard


def test_a_closed_wizard_is_deleted_with_its_hold_on_the_runner(qtbot, make_window, project):
    """Every wizard opened and closed stayed alive for the session, each with its plots'
    10 Hz timers and its own connections to the runner's events."""
    window = make_window(project)
    runner = window.runner
    receivers = [runner.receivers(SIGNAL(s)) for s in ("event(PyObject)", "busy_changed(bool)")]
    gone = []
    for _ in range(3):
        wizard = window.open_wizard()
        qtbot.wait(10)
        wizard.reject()  # Cancel, Escape or the close button
        assert window.wizard is None
        qtbot.waitUntil(lambda w=wizard: not isValid(w), timeout=WAIT_MS)
        gone.append(weakref.ref(wizard))
    del wizard
    gc.collect()
    assert window.findChildren(FinetuneWizard) == [] and [w() for w in gone] == [None] * 3
    assert [runner.receivers(SIGNAL(s)) for s in ("event(PyObject)", "busy_changed(bool)")] == (
        receivers
    )
    assert window.open_wizard() is window.wizard  # a new one opens after all that


def test_a_wizard_closed_while_its_job_ends_hears_the_end_then_goes(
    qtbot, make_window, project, monkeypatch
):
    """Closed mid-fine-tune (Yes, stop it), the wizard is deleted once the job has told its
    pages how it ended, not before (their callbacks would meet deleted widgets)."""
    monkeypatch.setattr(
        "ssl_studio.gui.wizard.train_page.finetune", lambda cfg, **kw: _until_stopped(**kw)
    )
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    train = wizard.pages["train"]
    train.initializePage()
    assert train.running and window.runner.busy
    wizard.reject()  # the question is answered Yes: the job is asked to stop
    assert not wizard.isVisible() and window.wizard is None
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert not train.running  # its _done ran on a live page
    qtbot.waitUntil(lambda: not isValid(wizard), timeout=WAIT_MS)


def test_training_refused_by_another_job_says_why_and_can_be_retried(
    qtbot, make_window, project, messages, monkeypatch
):
    done = {"status": "done", "run_id": 7, "protocol": "linear", "test": {}}
    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", lambda cfg, **_: done)
    window = make_window(project)
    assert window.runner.start("Pretraining", _until_stopped)
    wizard = window.open_wizard()
    wizard.options = dict(OPTIONS)
    train = wizard.pages["train"]
    train.initializePage()  # Next from the protocol page
    assert "still running" in messages.pop()[1]
    assert "has not started: “Pretraining” is still running" in train.status.text()
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
    def measuring(cfg, *, report, stop, **_):  # stopped in a step that raises
        while not stop.stopped:
            time.sleep(0.01)
        raise Stopped

    monkeypatch.setattr("ssl_studio.gui.wizard.results_page.label_efficiency", measuring)
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


def test_the_wizard_s_curve_measures_the_command_line_s_ks(
    qtbot, make_window, project, monkeypatch
):
    """Not capped by the smallest class: 59 and 2 labels still get 1, 5, 10, ... (a class
    with fewer labels gives what it has; the job drops points that would repeat)."""
    from ssl_studio.core.finetune_config import LABEL_EFFICIENCY_KS

    asked = []

    def measured(cfg, *, report, stop, ks=LABEL_EFFICIENCY_KS, seeds=(0, 1, 2)):
        asked.append((ks, seeds))
        return {"status": "done", "curve": []}

    monkeypatch.setattr("ssl_studio.gui.wizard.results_page.label_efficiency", measured)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result, wizard.options, wizard.per_class = {"run_id": 1}, dict(OPTIONS), 2
    assert wizard.pages["results"].label_efficiency()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    assert asked == [(LABEL_EFFICIENCY_KS, (0, 1, 2))]


def test_the_label_efficiency_chart_keeps_scores_and_their_bars_within_1(make_window, project):
    def point(k, mean, std):
        scores = {"roc_auc": {"mean": mean, "std": std}, "accuracy": {"mean": mean, "std": std}}
        return {"k": k, "labels_per_class": k or 16, "protocol": "linear",
                "linear": scores, "scratch": scores}  # fmt: skip

    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result, wizard.options, wizard.per_class = {"run_id": 1}, dict(OPTIONS), 16
    results = wizard.pages["results"]
    results._curve({"curve": [point(1, 0.7, 0.1), point(5, 0.97, 0.06), point(None, 1.0, 0.0)],
                    "seeds": [0, 1, 2], "note": "Patients not kept apart."})  # fmt: skip
    tops = [float(np.max(band.opts["y"] + band.opts["top"])) for band in results.bands]
    bottoms = [float(np.min(band.opts["y"] - band.opts["bottom"])) for band in results.bands]
    assert len(tops) == 2 and max(tops) == 1.0  # 0.97 + 0.06 stops at 1
    assert abs(min(bottoms) - 0.6) < 1e-9
    low, high = results.curve.getViewBox().viewRange()[1]
    assert 1.0 <= high <= 1.01 and low < 0.6  # the axis ends at 1, the lowest bar shows
    assert results.curve._legend.opts["offset"] == (-10, -10)  # off the curves' rising ends
    assert "(16 per class on average)." in results.curve_note.text()  # no validation labels
    assert results.curve_note.text().startswith(  # it said "Mean of 3 label draws"
        "Mean over 3 seeds (each draws the labels and sets the fits' other randomness), "
        "bars ± one standard deviation."
    )
    assert results.curve_note.text().endswith(" Patients not kept apart.")  # the job's note


@pytest.mark.parametrize("given", [SHARING_FIELDS, ("contact", "model_name")])
def test_a_relative_export_folder_goes_into_the_projects_exports(
    qtbot, make_window, project, tmp_path, messages, monkeypatch, given
):
    written = []
    details = {key: "x" for key in given}

    def fake_export(project, run_id, out, formats, **_):
        out.mkdir(parents=True)
        for name in ("model.onnx", "model_card.json"):
            (out / name).write_text("x")
        written.append(out)
        return {"files": {"onnx": "model.onnx"}, "details": details}

    monkeypatch.setattr("ssl_studio.gui.wizard.export_page.export", fake_export)
    monkeypatch.setattr("ssl_studio.gui.wizard.export_page.card_markdown", lambda card: "card")
    elsewhere = tmp_path / "started-here"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the app's working directory
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = {"run_id": 3}
    page = wizard.pages["export"]
    page.folder.setText("mymodel")
    assert page.export()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
    target = (project / "exports" / "mymodel").resolve()
    assert written == [target] and not (elsewhere / "mymodel").exists()
    assert page.folder.text() == str(target)
    said = f"Exported to {target}: model.onnx, model_card.json."
    if given != SHARING_FIELDS:  # the card lacks what a colleague looks for: said, and where
        said += (
            "<br>Not on the card: Developed by, Data source, Data licence, Intended use. "
            "Whoever receives the folder will look for them: add them with Card details… "
            "and export again."
        )
    assert page.status.text() == said
    assert wizard.export_folder == target and not messages
