"""The fine-tune wizard after a review: the demo's labels offered only on the demo's own
data, a job that ends during the Back question, an old job's events after a restart,
and the threshold gate counted on the split the job will really make."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from ssl_studio.core.events import Message, Step
from tests.gui.test_wizard_first_use import WAIT_MS, _on_protocol_page


def test_the_demo_s_labels_are_offered_only_on_the_demo_s_own_folder(
    make_window, project, tmp_path
):
    """A user's own dataset named 'chest-xray' was offered the demo's labels (by its name
    alone), and the click failed with a confusing error."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.demo_labels import demo_labels_csv
    from ssl_studio.core.jobs import import_data

    source = tmp_path / "chest-xray"
    for c in ("NORMAL", "PNEUMONIA"):
        (source / c).mkdir(parents=True)
        for i in range(4):
            pixels = (np.random.default_rng(i).random((32, 32)) * 255).astype("uint8")
            Image.fromarray(pixels).save(source / c / f"IM-{i}.png")
    import_data(ImportConfig(project=project, paths=[source], name="chest-xray", cache_size=28))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "chest-xray"
    labels = wizard.pages["labels"]
    labels.initializePage()
    assert not labels.demo_button.isVisibleTo(labels)
    assert demo_labels_csv(project, "chest-xray") is None
    assert demo_labels_csv(project, "no such dataset") is None


def test_a_fine_tune_that_ends_during_the_back_question_keeps_done(
    qtbot, make_window, project, monkeypatch
):
    """The job ended while "Stop the running fine-tune and go back?" was open: Yes then
    wrote "Stopping the fine-tuning…" over "Done", and Next (same choices) showed it."""
    from PySide6.QtWidgets import QMessageBox

    release = []

    def finetune(cfg, *, report, stop):
        while not release:
            time.sleep(0.01)
        return {"status": "done", "run_id": 1, "seed": cfg.seed}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    train = wizard.pages["train"]
    wizard.next()

    def question(*_):
        release.append(1)
        qtbot.waitUntil(lambda: not train.running, timeout=WAIT_MS)  # it ends meanwhile
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", question)
    wizard.button(wizard.WizardButton.BackButton).click()
    assert wizard.currentPage() is wizard.pages["protocol"]
    wizard.next()  # the same choices: their result is here
    assert train.status.text().startswith("Done.") and train.isComplete()
    assert not window.runner.stop_asked


def test_the_stopped_job_s_messages_and_steps_do_not_reach_the_page(
    qtbot, make_window, project, monkeypatch
):
    """While the page waited for the stopped job (of the old choices) to end, that job's
    messages and steps still wrote the status line and drew curves."""
    release = []

    def finetune(cfg, *, report, stop):
        while not release:
            time.sleep(0.01)
        return {"status": "stopped"}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    protocol, train = wizard.pages["protocol"], wizard.pages["train"]
    wizard.next()
    wizard.button(wizard.WizardButton.BackButton).click()  # asked, and answered Yes
    protocol.seed.setValue(7)
    wizard.next()  # waiting for the stopped job
    try:
        waiting = train.status.text()
        assert waiting.startswith("Waiting for the stopped fine-tuning") and train.running
        train._event(Message("finetune", "Run 1: scratch on 4 labels (normal 2, pneumonia 2)."))
        step = Step("finetune", step=5, total=50, epoch=1, loss=0.7, lr=0.1, samples_per_s=9.0)
        train._event(step)
        assert train.status.text() == waiting and not train.plot.curves
        assert train.progress.maximum() == 0  # still busy, not the old job's 5 of 50
    finally:
        release.append(1)
        qtbot.waitUntil(lambda: not window.runner.busy, timeout=WAIT_MS)
