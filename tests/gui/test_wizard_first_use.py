"""What a first-time user of the fine-tune wizard met (a radiologist's audit): Back during
the fine-tuning, a threshold picked on a handful of items, runs described by their loss,
"patients" for data without patient IDs, stacked warnings, a page that looked frozen, the
demo's labels, and protocol names as code words."""

from __future__ import annotations

import time

from ssl_studio.core.events import Message, Step

WAIT_MS = 10_000


def finetune_until_stopped(cfg, *, report, stop):
    """A stand-in fine-tuning job that runs until it is asked to stop."""
    while not stop.stopped:
        time.sleep(0.01)
    return {"status": "stopped"}


def _on_protocol_page(window, per_class=6):
    """A wizard opened on its protocol page, as the labels page leaves it."""
    wizard = window.open_wizard()
    wizard.run_id, wizard.dataset, wizard.labels = 1, "shapes", "labels"
    wizard.class_names = ["normal", "pneumonia"]
    wizard.labeled = [(c, None, f"{c}{i}") for c in wizard.class_names for i in range(per_class)]
    wizard.smallest_patients, wizard.patient_ids = per_class, False  # (keys are None)
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

    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune_until_stopped)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    wizard.next()
    train = wizard.pages["train"]
    wizard.button(wizard.WizardButton.BackButton).click()
    assert wizard.currentPage() is train and train.running and not window.runner.stop_asked


def test_the_labels_page_names_the_wizard_s_own_fine_tune_when_it_holds_the_project(
    make_window, project, messages, monkeypatch
):
    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune_until_stopped)
    window = make_window(project)
    wizard = _on_protocol_page(window)
    wizard.next()
    wizard.pages["labels"].use_folders()
    assert "this wizard's fine-tuning is still running" in messages.pop()[1]


def test_the_training_page_is_busy_names_the_model_and_says_when_no_curve_is_drawn(
    make_window, project, monkeypatch
):
    monkeypatch.setattr("ssl_studio.gui.wizard.train_page.finetune", finetune_until_stopped)
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


def test_a_threshold_is_not_picked_on_a_handful_of_validation_items(make_window, project):
    """With 3 labels a class, "Picked to reach a target sensitivity" switched testing to
    one split and picked the threshold on about one positive image."""
    window = make_window(project)
    wizard = _on_protocol_page(window, per_class=3)
    point = wizard.pages["protocol"].operating
    for key in ("youden", "sensitivity"):
        item = point.method.model().item(point.method.findData(key))
        assert not item.isEnabled()
        assert "needs at least 5 items of each class in the validation share" in item.toolTip()
        assert "at least 14 labeled items per class are needed" in item.toolTip()
    assert "the smallest class has 3" in point.method.toolTip()
    assert point.threshold() == "default" and wizard.folds

    wizard = _on_protocol_page(window, per_class=20)  # enough at 35%, not at 20%
    point = wizard.pages["protocol"].operating
    point.method.setCurrentIndex(point.method.findData("youden"))
    assert point.threshold() == "youden"
    assert "Only 4 items of the smallest class would pick the threshold" in (point.note.text())
    assert "raise the validation share to 25%" in point.note.text()
    point.val_fraction.setValue(0.25)
    assert "Only about" not in point.note.text()


def test_protocols_have_readable_names_counts_their_plural_and_shares_are_percent(
    make_window, project
):
    window = make_window(project)
    wizard = _on_protocol_page(window, per_class=2)
    page = wizard.pages["protocol"]
    names = [page.protocol.itemText(i) for i in range(page.protocol.count())]
    assert "Linear probe (frozen encoder)" in names and "linear" not in names
    assert page.protocol.currentData() == "linear"  # the core's name stays the data
    assert f"Recommended</b> for {wizard.per_class} training label" in page.explanation.text()
    wizard.per_class = 1
    page._explain()
    assert "Recommended</b> for 1 training label in" in page.explanation.text()
    assert "random" in page.seed.toolTip()
    assert page.test_fraction.text() == "20%" and page.test_fraction.value() == 0.2


def test_data_without_patient_ids_is_counted_in_items(make_window, project):
    window = make_window(project)
    wizard = _on_protocol_page(window, per_class=3)
    wizard.patient_ids = False  # as the labels page finds it for PNGs
    page = wizard.pages["protocol"]
    page.initializePage()
    assert "fewer than 10 labeled items" in page.testing.text()
    wizard = _on_protocol_page(window, per_class=30)
    wizard.patient_ids = False
    page = wizard.pages["protocol"]
    page.initializePage()
    assert "no patient IDs were found, so each image counts alone" in page.testing.text()
    assert "whole patients" not in page.testing.text()


def test_the_labels_page_says_the_class_count_problem_once_and_alone(
    make_window, project, tmp_path
):
    from gui_helpers import import_shapes

    import_shapes(project, tmp_path, n=6)
    csv = tmp_path / "one.csv"
    csv.write_text("path,label\n" + "".join(f"{i}.png,normal\n" for i in range(6)))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "shapes"
    labels = wizard.pages["labels"]
    labels.import_csv(str(csv))
    text = labels.warnings.text()
    assert text.startswith("Only one class is labeled ('normal'): fine-tuning needs at least two")
    assert text.count("Only one class") == 1 and "cross-validation" not in text

    two = tmp_path / "two.csv"
    two.write_text("path,label\n" + "".join(f"{i}.png,{'ab'[i % 2]}\n" for i in range(6)))
    labels.import_csv(str(two))
    text = labels.warnings.text()
    assert "Fewer than 10 labeled items in a class" in text and "patients" not in text
    assert "No patient IDs found: each image counts alone" in text


def test_the_run_picker_says_steps_trained_and_warns_of_short_or_stopped_runs(make_window, project):
    """It said "(done, loss 3.411)" for a 4-step run of a 300-step preset."""
    from ssl_studio.core.project.store import Store

    runs = []
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("chest", "image", 64)
        for status, steps, planned in (("done", 4, 4), ("stopped", 120, 300), ("done", 300, 300)):
            config = {"preset": "quick", "train": {"steps": planned}}
            run = store.create_run(dataset, "pretrain", {"task": "simclr", "backbone": "cnn-small",
                                                         "config": config})  # fmt: skip
            store.finish_run(run, status, {"steps": steps, "final_loss": 3.411})
            runs.append(run)
    window = make_window(project)
    wizard = window.open_wizard()
    page = wizard.pages["run"]
    page.initializePage()
    texts = {page.runs.itemData(i)[0]: page.runs.itemText(i) for i in range(page.runs.count())}
    index = {page.runs.itemData(i)[0]: i for i in range(page.runs.count())}
    short, stopped, full = (texts[r] for r in runs)
    assert short.endswith("on 'chest', 4 steps (a short run: the quick preset trains 300)")
    assert stopped.endswith("120 steps of 300 (stopped)")
    assert full.endswith("300 steps (done)") and "loss" not in short + stopped + full
    page.runs.setCurrentIndex(index[runs[0]])
    assert page.warning.isVisibleTo(page) and "trained only 4 steps" in page.warning.text()
    page.runs.setCurrentIndex(index[runs[1]])
    assert "stopped early: it trained 120 of its 300 planned steps" in page.warning.text()
    page.runs.setCurrentIndex(index[runs[2]])
    assert not page.warning.isVisibleTo(page)


def test_a_demo_dataset_offers_a_few_of_the_demo_s_labels(make_window, project, tmp_path):
    """The demo's label file labels all 400 X-rays (as the folder names do); the labels page
    offers the first 10 of each class as their own label set."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data
    from ssl_studio.resources import demo_dir

    import_data(ImportConfig(project=project, paths=[demo_dir() / "chest-xray"],
                             name="chest-xray", cache_size=28))  # fmt: skip
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "chest-xray"
    labels = wizard.pages["labels"]
    labels.initializePage()
    button = labels.demo_button
    assert button.isVisibleTo(labels) and button.text() == "Use the demo's labels (10 per class)"
    assert "labels all 400 items (normal 200, pneumonia 200)" in button.toolTip()
    button.click()
    assert labels.label_set.currentData() == "demo, 10 per class"
    assert labels.classes == {"normal": 10, "pneumonia": 10}

    wizard.dataset = "shapes"  # not a demo dataset: nothing offered
    labels._offer_demo_labels()
    assert not button.isVisibleTo(labels)


def test_the_protocol_page_s_explanations_take_the_height_of_their_text(
    qtbot, make_window, project
):
    """They had the height of Qt's narrow-width guess: wide gaps around two-line texts."""
    window = make_window(project)
    wizard = _on_protocol_page(window, per_class=3)
    wizard.resize(980, 720)
    page = wizard.pages["protocol"]
    qtbot.wait(100)
    for label in (page.explanation, page.testing, page.operating.note):
        assert label.width() > 500
        assert label.height() <= label.heightForWidth(label.width()) + 2


def test_the_class_counts_are_not_stretched_across_the_table(make_window, project):
    from PySide6.QtWidgets import QHeaderView

    window = make_window(project)
    counts = window.open_wizard().pages["labels"].counts
    assert counts.horizontalHeader().sectionResizeMode(1) != QHeaderView.ResizeMode.Stretch


def test_a_changed_seed_plans_the_split_once_not_three_times(make_window, project, monkeypatch):
    """A grouped split of thousands of items takes seconds: one Up-arrow on the seed ran
    training_labels_per_class twice (the page's own signal, then the operating point's)
    and again per key typed; now once per set of choices, and not again for the same."""
    from ssl_studio.gui.wizard import protocol_page

    calls = []
    real = protocol_page.training_labels_per_class

    def counting(labeled, cfg):
        calls.append(cfg.seed)
        return real(labeled, cfg)

    monkeypatch.setattr(protocol_page, "training_labels_per_class", counting)
    wizard = _on_protocol_page(make_window(project))
    page = wizard.pages["protocol"]
    assert not page.seed.keyboardTracking() and not page.test_fraction.keyboardTracking()
    calls.clear()
    page.seed.setValue(page.seed.value() + 1)
    assert calls == [page.seed.value()]
    page.seed.setValue(page.seed.value() - 1)  # back to choices already planned
    assert calls == [page.seed.value() + 1]
