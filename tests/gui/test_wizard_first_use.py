"""What a first-time user of the fine-tune wizard met (a radiologist's audit): Back during
the fine-tuning, a threshold picked on a handful of items, runs described by their loss,
"patients" for data without patient IDs, stacked warnings, a page that looked frozen, the
demo's labels, and protocol names as code words."""

from __future__ import annotations

import time

from ssl_studio.core.events import Message, Step

WAIT_MS = 10_000


def _on_protocol_page(window, per_class=6):
    """A wizard opened on its protocol page, as the labels page leaves it."""
    wizard = window.open_wizard()
    wizard.run_id, wizard.dataset, wizard.labels = 1, "shapes", "labels"
    wizard.class_names = ["normal", "pneumonia"]
    wizard.labeled = [(c, None, f"{c}{i}") for c in wizard.class_names for i in range(per_class)]
    wizard.smallest_patients = per_class
    wizard.setStartId(wizard.pageIds()[2])
    wizard.restart()
    assert wizard.currentPage() is wizard.pages["protocol"]
    return wizard


def test_back_during_the_fine_tune_stops_it_and_never_shows_the_old_choices_result(
    qtbot, make_window, project, monkeypatch
):
    """Back left the job running; Next with other choices then showed the result of the
    old ones (initializePage returned early while a job ran)."""
    seeds = []

    def finetune(cfg, *, report, stop):
        seeds.append(cfg.seed)
        if len(seeds) == 1:  # the first job runs until asked to stop, then ends "done"
            while not stop.stopped:
                time.sleep(0.01)
        return {"status": "done", "run_id": len(seeds), "seed": cfg.seed}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    protocol, train = wizard.pages["protocol"], wizard.pages["train"]
    wizard.next()
    assert wizard.currentPage() is train and train.running
    wizard.button(wizard.WizardButton.BackButton).click()  # asked, and answered Yes
    assert wizard.currentPage() is protocol
    protocol.seed.setValue(7)  # another choice
    wizard.next()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=WAIT_MS)
    assert seeds == [0, 7] and wizard.result["seed"] == 7 and train.isComplete()


def test_back_answered_no_keeps_the_fine_tune_and_the_page(
    qtbot, make_window, project, monkeypatch
):
    monkeypatch.setattr(
        "ssl_studio.gui.dialogs.QMessageBox.question",
        lambda *_: __import__("PySide6.QtWidgets").QtWidgets.QMessageBox.StandardButton.No,
    )

    def finetune(cfg, *, report, stop):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped"}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    wizard.next()
    train = wizard.pages["train"]
    wizard.button(wizard.WizardButton.BackButton).click()
    assert wizard.currentPage() is train and train.running and not window.runner.stop_asked


def test_the_labels_page_names_the_wizard_s_own_fine_tune_when_it_holds_the_project(
    make_window, project, messages, monkeypatch
):
    def finetune(cfg, *, report, stop):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped"}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    wizard.next()
    wizard.pages["labels"].use_folders()
    assert "this wizard's fine-tuning is still running" in messages.pop()[1]


def test_the_training_page_is_busy_names_the_model_and_says_when_no_curve_is_drawn(
    make_window, project, monkeypatch
):
    def finetune(cfg, *, report, stop):
        while not stop.stopped:
            time.sleep(0.01)
        return {"status": "stopped"}

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    wizard.next()
    train = wizard.pages["train"]
    assert train.progress.maximum() == 0  # busy, not a bar stuck at 0 %
    assert train.no_curve.isVisibleTo(train)
    assert train.no_curve.text().startswith("Linear probe: fitted in one pass (no training curve)")
    train._event(Message("finetune", "Run 3: scratch on 4 labels (normal 2, pneumonia 2)."))
    train._event(Message("finetune", "Fold 2 of 3."))
    assert train.status.text() == "Fold 2 of 3 (from scratch)."
    train._event(Step("finetune", step=5, total=50, epoch=1, loss=0.7, lr=0.1, samples_per_s=9.0))
    assert (train.progress.maximum(), train.progress.value()) == (50, 5)
