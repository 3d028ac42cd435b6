"""The fine-tune wizard's pages in the real window, with the core jobs faked where they
would train: one wizard at a time, a refused training start that can be retried, the
label-efficiency button while it measures, the operating point and where an export goes."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from PySide6.QtCore import SIGNAL, Qt
from PySide6.QtTest import QTest
from shiboken6 import isValid

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.events import Stopped
from ssl_studio.core.jobs import import_data
from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard
from ssl_studio.gui.wizard.results_page import ResultsPage

from gui_helpers import import_shapes

WAIT_MS = 10_000
CT_SMALL = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
OPTIONS = {"protocol": "linear", "baseline": True, "test_fraction": 0.2, "seed": 0, "steps": 5}


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


def test_the_recommended_protocol_is_what_auto_picks_after_the_test_split(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.run_id, wizard.class_names = 1, ["benign", "malignant"]
    wizard.smallest_patients, wizard.folds = 30, 0
    wizard.labeled = [(name, None, None) for name in ("benign", "malignant") for _ in range(30)]
    page = wizard.pages["protocol"]
    page.initializePage()
    # 30 labels per class, 6 of them held out: 24 train, so auto picks linear (not full)
    assert wizard.per_class == 24 and page.recommended == "linear"
    assert page.protocol.currentData() == "linear"
    assert "Recommended</b> for 24 training labels" in page.explanation.text()
    page.test_fraction.setValue(0.3)
    assert wizard.per_class == 21


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


def test_a_relative_export_folder_goes_into_the_projects_exports(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    written = []

    def fake_export(project, run_id, out, formats, **_):
        out.mkdir(parents=True)
        for name in ("model.onnx", "model_card.json"):
            (out / name).write_text("x")
        written.append(out)
        return {"files": {"onnx": "model.onnx"}}

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
    assert page.status.text() == f"Exported to {target}: model.onnx, model_card.json."
    assert wizard.export_folder == target and not messages


def _protocol_page(window, classes, smallest_patients, folds):
    """The protocol page as the labels page leaves it (classes, patients, folds)."""
    wizard = window.open_wizard()
    wizard.run_id, wizard.per_class, wizard.class_names = 1, 6, classes
    wizard.smallest_patients, wizard.folds = smallest_patients, folds
    wizard.labeled = [(c, None, f"{c}{i}") for c in classes for i in range(smallest_patients)]
    page = wizard.pages["protocol"]
    page.initializePage()
    return wizard, page


def test_the_operating_point_is_a_choice_with_a_validation_share(make_window, project):
    window = make_window(project)
    wizard, page = _protocol_page(window, ["normal", "pneumonia"], 4, 4)
    point = page.operating
    assert point.method.currentData() == "default" and not point.val_fraction.isEnabled()
    assert "0.5" in point.note.text() and "4-fold cross-validation" in page.testing.text()
    page.validatePage()
    cfg = wizard.finetune_config()
    assert (cfg.threshold, cfg.val_fraction) == ("default", 0.0)
    # 4 patients a class: too few to pick a threshold on (test_wizard_first_use.py)
    assert not point.method.model().item(2).isEnabled()

    wizard, page = _protocol_page(window, ["normal", "pneumonia"], 30, 0)
    point = page.operating
    point.method.setCurrentIndex(point.method.findData("sensitivity"))
    point.target.setValue(0.85)
    assert point.target.isVisibleTo(page) and point.val_fraction.isEnabled()
    assert "target sensitivity" in point.note.text()
    assert wizard.folds == 0 and "Another 20% is held out to pick the threshold" in (
        page.testing.text()
    )
    page.validatePage()
    cfg = wizard.finetune_config()
    assert (cfg.threshold, cfg.val_fraction) == ("sensitivity:0.85", 0.2)
    cfg.validate()  # a fine-tuning the core accepts

    point.method.setCurrentIndex(point.method.findData("youden"))
    point.val_fraction.setValue(0.3)
    page.validatePage()
    assert (wizard.finetune_config().threshold, wizard.finetune_config().val_fraction) == (
        "youden",
        0.3,
    )
    _, three = _protocol_page(window, ["a", "b", "c"], 12, 0)  # no threshold to choose
    assert not three.operating.method.isEnabled() and three.operating.threshold() == "default"


def test_the_protocol_page_plans_the_split_once_when_it_opens(make_window, project, monkeypatch):
    """Opening the page planned the split twice (through the operating point's signal, and
    once more directly); it still follows the labels each time it opens."""
    from ssl_studio.gui.wizard import protocol_page

    plans = []
    plan = protocol_page.training_labels_per_class
    monkeypatch.setattr(
        protocol_page,
        "training_labels_per_class",
        lambda keys, cfg: plans.append(len(keys)) or plan(keys, cfg),
    )
    window = make_window(project)
    wizard = window.open_wizard()
    page = wizard.pages["protocol"]
    for labels, classes in (
        (["normal"] * 40 + ["pneumonia"] * 40, ["normal", "pneumonia"]),
        (["a"] * 6 + ["b"] * 6 + ["c"] * 6, ["a", "b", "c"]),  # (the threshold goes)
    ):
        wizard.labeled = [(label, None, f"{i}") for i, label in enumerate(labels)]
        wizard.run_id, wizard.class_names = 1, classes
        wizard.smallest_patients, wizard.folds = labels.count(labels[-1]), 0
        page.operating.method.setCurrentIndex(page.operating.method.findData("youden"))
        plans.clear()
        page.initializePage()
        assert plans == [len(labels)]
        assert wizard.per_class == plan(wizard.labeled, page._choices())
        assert f"for {wizard.per_class} training labels" in page.explanation.text()


def test_the_results_say_which_threshold_the_figures_are_read_at():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 20), 0.01, 0.99)
    proba = np.stack([1 - p1, p1], axis=1)
    classes = ["normal", "pneumonia"]
    run = {"run_id": 4, "protocol": "linear"}

    plain = classification_report(y, proba, classes, n_boot=50)
    text = ResultsPage._headline(run, plain, {})
    assert "read at the threshold 0.5 (the default" in text

    picked = classification_report(y, proba, classes, threshold=0.431, n_boot=50)
    picked["threshold_choice"] = {"method": "sensitivity:0.85", "val_items": 12}
    base = classification_report(y, proba, classes, threshold=0.6, n_boot=50)
    text = ResultsPage._headline(run, picked, base)
    assert (
        "read at the threshold 0.431, chosen by the target sensitivity 0.85 on 12 "
        "validation items; the from-scratch model's own: 0.600."
    ) in text
    picked["threshold_choice"] = {"method": "youden", "val_items": 12}
    assert "chosen by Youden's J" in ResultsPage._headline(run, picked, {})


def test_without_an_auc_the_headline_reads_the_balanced_accuracy():
    """A test of three classes lacking one has no macro AUC: the headline fell back to
    plain accuracy, which flatters a model that calls every item the common class."""
    y = np.array([0] * 9 + [1])  # class c absent from the test items
    proba = np.tile([0.8, 0.1, 0.1], (10, 1))  # every item called "a"
    report = classification_report(y, proba, ["a", "b", "c"], n_boot=20)
    text = ResultsPage._headline({"run_id": 5, "protocol": "knn"}, report, report)
    assert "balanced accuracy 0.500" in text and "accuracy 0.900" not in text
    both = classification_report(
        np.array([0, 1, 2] * 3), np.tile([0.5, 0.3, 0.2], (9, 1)), ["a", "b", "c"], n_boot=20
    )
    assert "macro AUC" in ResultsPage._headline({"run_id": 6, "protocol": "knn"}, both, {})


def test_click_to_label_works_from_the_keyboard_and_on_a_selection(qtbot, project, tmp_path):
    from ssl_studio.core.viewing import DatasetView
    from ssl_studio.gui.wizard.label_dialog import LabelDialog

    import_shapes(project, tmp_path, n=6)
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    dialog = LabelDialog(view, {})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    grid, model = dialog.grid, dialog.model
    assert not dialog.save_button.isDefault() and not dialog.save_button.autoDefault()
    dialog.label.setCurrentText("effusion")
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    QTest.keyClick(grid, Qt.Key.Key_Space)
    grid.setCurrentIndex(model.index(1))
    QTest.keyClick(grid, Qt.Key.Key_Return)  # labels; it does not Save and close
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.changes == {ids[0]: "effusion", ids[1]: "effusion"}

    dialog.label.setCurrentText("normal")
    grid.clearSelection()
    for row in (3, 4, 5):  # Ctrl+click selects without labeling
        point = grid.visualRect(model.index(row)).center()
        QTest.mouseClick(
            grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, point
        )
    assert ids[3] not in dialog.changes
    QTest.keyClick(grid, Qt.Key.Key_Enter)  # gives the class to all three
    assert {dialog.changes[ids[r]] for r in (3, 4, 5)} == {"normal"}
    assert dialog.counts.text() == "effusion: 2, normal: 3" and dialog.isVisible()
    point = grid.visualRect(model.index(2)).center()
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=point)  # a plain click
    assert dialog.changes[ids[2]] == "normal"


def test_a_threshold_picked_in_the_wizard_is_used_and_reported(
    qtbot, make_window, project, tmp_path, messages
):
    from ssl_studio.core.config import PretrainConfig, TrainConfig
    from ssl_studio.core.jobs import pretrain

    rng = np.random.default_rng(0)
    for name in ("normal", "pneumonia"):
        folder = tmp_path / "scans" / name
        folder.mkdir(parents=True)
        for i in range(20):
            picture = rng.integers(0, 80, (32, 32)).astype(np.uint8)
            if name == "pneumonia":
                picture[8:24, 8:24] = 200
            Image.fromarray(picture).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=32))
    tiny = TrainConfig(steps=2, batch_size=8)
    pretrain(PretrainConfig(project=project, dataset="scans", image_size=32, train=tiny))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.next()
    wizard.pages["labels"].use_folders()
    wizard.next()
    protocol = wizard.pages["protocol"]
    point = protocol.operating
    point.method.setCurrentIndex(point.method.findData("youden"))
    protocol.steps.setValue(5)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.result is not None or bool(messages), timeout=300_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=300_000)
    assert not messages and wizard.result["threshold"] is not None
    choice = wizard.result["test"]["threshold_choice"]
    assert choice["method"] == "youden" and choice["val_items"] >= 2
    wizard.next()
    headline = wizard.pages["results"].headline.text()
    said = f"chosen by Youden's J (the best sensitivity + specificity) on {choice['val_items']}"
    assert said in headline


def test_a_wizard_asked_for_another_run_picks_it_until_a_run_was_chosen(
    make_window, project, tmp_path
):
    from ssl_studio.core.project.store import Store

    import_shapes(project, tmp_path)
    with Store.open(project, write=True) as store:
        dataset = store.datasets()[0]["id"]
        for _ in range(2):
            run = store.create_run(dataset, "pretrain", {"task": "simclr", "backbone": "cnn"})
            store.finish_run(run, "done", {"final_loss": 1.0})
    window = make_window(project)
    wizard = window.open_wizard(1)
    assert wizard.pages["run"].runs.currentData()[0] == 1
    assert window.open_wizard(2) is wizard  # still on its first page: run 2 is picked
    assert wizard.pages["run"].runs.currentData()[0] == 2
    wizard.next()  # run 2 chosen; the later pages work on it
    window.open_wizard(1)
    assert wizard.run_id == 2 and "already working on run 2" in window.statusBar().currentMessage()


def test_the_labels_page_counts_only_items_that_can_be_trained_on(make_window, project, tmp_path):
    """A labeled file that no longer reads keeps its label (it comes back when the file
    does), but the labels page neither counts it nor lets it pass for a usable example."""
    from ssl_studio.core.labels import set_labels
    from ssl_studio.core.viewing import DatasetView

    import_shapes(project, tmp_path, n=6)
    ids = [int(item["id"]) for item in DatasetView.open(project, "shapes").items]
    set_labels(project, "shapes", {i: "ab"[k % 2] for k, i in enumerate(ids)}, name="labels")
    (tmp_path / "shapes" / "0.png").write_bytes(b"not a PNG any more")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=16))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "shapes"
    page = wizard.pages["labels"]
    page.reload("labels")
    assert sorted(page.classes) == ["a", "b"] and sum(page.classes.values()) == 5
    assert "1 labeled item(s) are not counted" in page.warnings.text()


def test_folder_names_at_the_folder_level_asked_for(make_window, project, tmp_path, messages):
    for site in ("siteA", "siteB"):
        for shape in ("circle", "square"):
            (tmp_path / "sites" / site / shape).mkdir(parents=True)
            for i in range(2):
                picture = np.full((16, 16), 40 * i + (shape == "square") * 100, np.uint8)
                Image.fromarray(picture).save(tmp_path / "sites" / site / shape / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[tmp_path / "sites"], cache_size=16))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "sites"
    labels = wizard.pages["labels"]
    assert labels.folder_level.text() == "Folder level: auto"
    labels.use_folders()  # sites or shapes: the innermost, and the other one is said
    assert labels.classes == {"circle": 4, "square": 4}
    assert "level 1 ('siteA', 'siteB') could be classes too" in labels.warnings.text()
    labels.folder_level.setValue(1)
    labels.use_folders()
    assert labels.classes == {"siteA": 4, "siteB": 4} and not messages
    labels.folder_level.setValue(3)
    labels.use_folders()
    assert "No file of dataset 'sites' is in a folder at level 3" in messages.pop()[1]


def test_the_labels_page_names_one_patient_id_for_all_and_offers_a_split_by_item(
    make_window, project, tmp_path
):
    """Thirty scans anonymised with one PatientID: Next stays off with the cause named
    (not "too few examples"), until splitting by item is chosen, which the job is told."""
    from pydicom.uid import generate_uid

    from ssl_studio.core.labels import labels_from_folders

    source = pydicom.dcmread(CT_SMALL)
    for cls, offset in (("normal", 0), ("abnormal", 500)):
        (tmp_path / "scans" / cls).mkdir(parents=True)
        for i in range(15):
            ds = pydicom.dcmread(CT_SMALL)
            ds.PatientID, ds.SOPInstanceUID = "ANONYMOUS", generate_uid()
            pixels = source.pixel_array.astype(np.int32) + offset + 7 * i
            ds.PixelData = pixels.astype(source.pixel_array.dtype).tobytes()
            ds.save_as(tmp_path / "scans" / cls / f"{i}.dcm")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=16))
    labels_from_folders(project, "scans")
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "scans"
    page = wizard.pages["labels"]
    page.reload("folders")
    assert page.classes == {"abnormal": 15, "normal": 15} and not page.isComplete()
    said = page.warnings.text()
    assert "All 30 labeled items carry the same patient ID (the files were probably" in said
    assert "'Split by item'" in said and "cross-validation" not in said
    assert not page.by_item.isHidden()
    page.by_item.setChecked(True)
    assert page.isComplete() and "scores may be optimistic" in page.warnings.text()
    assert page.validatePage() and wizard.group_by_patient is False
    assert wizard.folds == 0  # 15 items per class: one test split, by item
    wizard.pages["protocol"].initializePage()
    assert "item by item: patients are not kept apart" in wizard.pages["protocol"].testing.text()
    wizard.options = dict(OPTIONS)
    assert wizard.finetune_config().group_by_patient is False


def test_the_results_show_each_class_and_say_which_classes_are_absent(make_window, project):
    def table(widget):
        return [
            [widget.item(r, c).text() for c in range(widget.columnCount())]
            for r in range(widget.rowCount())
        ]

    y = np.array([1] * 4 + [2] * 3)  # items of b and c only, every one called d
    proba = np.full((7, 5), 0.05)
    proba[:, 3] = 0.8
    test = classification_report(y, proba, ["a", "b", "c", "d", "e"], n_boot=50)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = {"run_id": 3, "protocol": "linear", "test": test}
    results = wizard.pages["results"]
    results.initializePage()
    rows = table(results.per_class)
    assert [r[:2] for r in rows] == [["a", "0"], ["b", "4"], ["c", "3"], ["d", "0"], ["e", "0"]]
    assert rows[1][2].startswith("0.000 [0.000,") and rows[0][2] == "—"
    assert not results.per_class.isHidden()
    text = results.headline.text()
    assert "No scored items of a, d, e (3 of the model's 5 classes)" in text
    assert "specificity (macro, mean one-vs-rest)" in text
    # two classes: PPV and NPV at the threshold; a report stored before per-class figures
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    p1 = np.clip(0.3 * y + rng.uniform(0, 0.7, 40), 0, 1)
    two = classification_report(y, np.c_[1 - p1, p1], ["normal", "pneumonia"], n_boot=50)
    wizard.result = {"run_id": 4, "protocol": "linear", "test": two}
    results.initializePage()
    names = [r[0] for r in table(results.metrics)]
    assert "PPV (precision of pneumonia)" in names and "NPV (precision of normal)" in names
    assert len(table(results.per_class)) == 2
    old = {k: v for k, v in two.items() if k not in ("per_class", "absent_classes", "ppv", "npv")}
    wizard.result = {"run_id": 4, "protocol": "linear", "test": old}
    results.initializePage()
    assert results.per_class.isHidden() and "No scored items" not in results.headline.text()
    assert not any(r[0].startswith("PPV") for r in table(results.metrics))
