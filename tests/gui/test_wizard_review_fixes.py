"""The fine-tune wizard after a review: the demo's labels offered only on the demo's own
data, a job that ends during the Back question, an old job's events after a restart,
the threshold gate counted on the split the job will really make, and the user's
threshold choice back once the gate opens again."""

from __future__ import annotations

import re
import time

import numpy as np
from PIL import Image

from ssl_studio.core.events import Message, Step
from ssl_studio.gui.wizard.operating_point import EXPLAINED
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


def _point(window, per_class):
    """The operating point on a protocol page with the default shares (the window may
    reopen the wizard it had, choices and all)."""
    wizard = _on_protocol_page(window, per_class=per_class)
    wizard.pages["protocol"].test_fraction.setValue(0.2)
    point = wizard.pages["protocol"].operating
    point.method.setCurrentIndex(0)
    point.val_fraction.setValue(0.2)
    return wizard, point


def test_a_threshold_is_offered_by_the_validation_items_the_split_really_holds(
    make_window, project
):
    """The gate estimated round(smallest x share): 13 per class (round(4.55) = 5 at 35 %)
    was offered a threshold that the split (test share first, then the rest) picks on 4;
    23 per class at 20 % had no warning, and the split holds 4."""
    window = make_window(project)
    wizard, point = _point(window, 13)
    youden = point.method.model().item(point.method.findData("youden"))
    assert not youden.isEnabled()
    assert "at the largest share (35%) the split holds only 4 of the smallest class" in (
        youden.toolTip()
    )
    assert "at least 14 labeled items per class are needed" in youden.toolTip()

    wizard, point = _point(window, 14)  # 14: 3 tested, 11 left, 5 of them at 35 %
    assert point.method.model().item(point.method.findData("youden")).isEnabled()
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert point.held(0.35) == 5
    assert "Only 3 items of the smallest class" in point.note.text()
    assert "raise the validation share to 35%" in point.note.text()

    wizard, point = _point(window, 23)
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert point.val_fraction.value() == 0.2
    assert "Only 4 items of the smallest class would pick the threshold" in point.note.text()
    assert "raise the validation share to 25%" in point.note.text()
    point.val_fraction.setValue(0.25)
    assert "Only" not in point.note.text()


def test_the_advice_never_points_past_the_box_and_follows_the_test_share(make_window, project):
    """The advice said 40 % beside a box that stops at 35 %; and a larger test share,
    which leaves fewer items for validation, was not checked again."""
    window = make_window(project)
    wizard, point = _point(window, 14)
    protocol = wizard.pages["protocol"]
    point.method.setCurrentIndex(point.method.findData("youden"))
    point.val_fraction.setValue(0.3)
    shares = [int(w[:-1]) for w in re.findall(r"\d+%", point.note.text())]
    assert shares and max(shares) <= round(point.val_fraction.maximum() * 100)

    wizard, point = _point(window, 23)  # 20 %: 4 held; test 30 %: 5; test 50 %: 4
    protocol = wizard.pages["protocol"]
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert "Only 4 items" in point.note.text()
    protocol.test_fraction.setValue(0.3)
    assert "Only" not in point.note.text()
    protocol.test_fraction.setValue(0.5)
    assert "Only 4 items" in point.note.text()

    wizard, point = _point(window, 13)  # at 35 %: 4 held with a 20 % test share, 5 at 40 %
    protocol = wizard.pages["protocol"]
    youden = point.method.model().item(point.method.findData("youden"))
    assert not youden.isEnabled()
    protocol.test_fraction.setValue(0.4)
    assert youden.isEnabled()
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert point.threshold() == "youden"
    protocol.test_fraction.setValue(0.2)
    assert not youden.isEnabled() and point.threshold() == "default"


def test_a_threshold_refused_for_a_while_comes_back_as_the_user_chose_it(make_window, project):
    """A test share that left too few validation items switched the operating point to
    the default, and a smaller one again left it there: the user's choice was lost."""
    window = make_window(project)
    wizard, point = _point(window, 13)  # at 35 %: 5 held with a 10 % test share, 4 at 20 %
    protocol = wizard.pages["protocol"]
    protocol.test_fraction.setValue(0.1)
    youden = point.method.model().item(point.method.findData("youden"))
    point.method.setCurrentIndex(point.method.findData("youden"))
    protocol.test_fraction.setValue(0.2)
    assert not youden.isEnabled() and point.threshold() == "default"
    assert not point.val_fraction.isEnabled() and "Picking a threshold needs" in point.note.text()
    sent = []  # what the page re-plans with, each time it is told
    point.changed.connect(lambda: sent.append(point.threshold()))
    protocol.test_fraction.setValue(0.1)
    assert youden.isEnabled() and point.threshold() == "youden"
    assert sent and sent[-1] == "youden"
    assert point.val_fraction.isEnabled() and point.note.text().startswith(EXPLAINED["youden"])

    # the page: the restored choice is in the split it plans and in the fine-tuning
    point.method.setCurrentIndex(point.method.findData("sensitivity"))
    point.target.setValue(0.8)
    point.val_fraction.setValue(0.35)
    protocol.test_fraction.setValue(0.2)
    assert point.threshold() == "default" and "Another" not in protocol.testing.text()
    protocol.test_fraction.setValue(0.1)
    assert point.threshold() == "sensitivity:0.8" and point.target.isVisibleTo(protocol)
    assert "Another 35% is held out to pick the threshold" in protocol.testing.text()
    assert wizard.per_class == protocol._training_labels(protocol._choices())
    protocol.validatePage()
    cfg = wizard.finetune_config()
    assert (cfg.threshold, cfg.val_fraction) == ("sensitivity:0.8", 0.35)

    # three classes have no threshold; two again: the choice is back
    wizard.class_names = ["a", "b", "c"]
    protocol.initializePage()
    assert point.threshold() == "default" and not point.method.isEnabled()
    wizard.class_names = ["normal", "pneumonia"]
    protocol.initializePage()
    assert point.threshold() == "sensitivity:0.8"


def test_the_default_chosen_by_the_user_stays_the_default(make_window, project):
    """Only the user's own choice is remembered: picking the default (after a restored
    threshold) is what comes back, not the threshold chosen before it."""
    window = make_window(project)
    wizard, point = _point(window, 13)
    protocol = wizard.pages["protocol"]
    protocol.test_fraction.setValue(0.1)
    point.method.setCurrentIndex(point.method.findData("youden"))
    protocol.test_fraction.setValue(0.2)
    protocol.test_fraction.setValue(0.1)
    assert point.threshold() == "youden"
    point.method.setCurrentIndex(point.method.findData("default"))
    protocol.test_fraction.setValue(0.2)
    protocol.test_fraction.setValue(0.1)
    assert point.threshold() == "default" and not point.val_fraction.isEnabled()
    assert point.method.model().item(point.method.findData("youden")).isEnabled()
