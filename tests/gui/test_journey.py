"""The whole journey in the real window, offscreen: a new project, a real drop of a folder of
DICOM files, pretraining, the fine-tune wizard, the export, and the exported files loaded."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import torch
from PySide6.QtWidgets import QWizard
from safetensors.numpy import load_file

from ssl_studio.core.evaluation.metrics import SCALARS
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.project.store import Store

from gui_helpers import drop

JOB_S = 240_000  # ms a CPU job may take in these tests


def test_drop_pretrain_finetune_export(qtbot, make_window, dicom_folder, tmp_path, messages):
    window = make_window()
    assert window.pages.currentIndex() == 0  # the welcome screen
    project = tmp_path / "study"
    window.new_project(project)
    assert window.windowTitle() == "study — SSL Studio"
    assert window.recent_projects() == [project]

    drop(window, [dicom_folder])  # a real drop event on the window
    qtbot.waitUntil(lambda: window.data.last_import is not None, timeout=JOB_S)
    summary = window.data.last_import
    assert summary["dataset"] == "scans"
    assert window.data.model.rowCount() == summary["items"] >= 20  # rtdose has 15 frames
    report = window.data.report_table
    left_out = {report.text(r, 1): report.text(r, 2) for r in range(min(3, report.rowCount()))}
    assert left_out.keys() == {"notes.txt", "a/MR_truncated.dcm"}  # each with its reason
    assert window.data.tabs.currentIndex() == 1  # the report is shown when files were left out

    window.show_step(1)
    panel = window.pretrain
    assert panel.form.dataset.currentText() == "scans"
    assert panel.form.task_list.currentItem().text() == "simclr"  # the default for images
    assert panel.form.preview_labels[0].pixmap() is not None  # augmented views of a real item
    panel.form.steps.setValue(4)
    panel.form.train_form.set_value("batch_size", 8)
    panel.form.train_form.set_value("health_every_steps", 2)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.last_summary is not None, timeout=JOB_S)
    run_id = panel.last_summary["run_id"]
    assert panel.last_summary["status"] == "done" and panel.last_summary["steps"] == 4
    qtbot.waitUntil(lambda: not window.runner.busy)
    panel.view.loss_plot.redraw()
    steps, losses = panel.view.loss_plot.points("loss")
    assert len(steps) >= 1 and np.isfinite(losses).all()
    assert "Run" in panel.view.notice.text() and "finished" in panel.view.notice.text()
    assert window.runs.table.rowCount() == 1
    assert window.runs.table.item(0, 5).text() == "done"
    assert window.finetune.empty.text() == "None yet: start the wizard above."

    window.show_step(4)  # the embedding map of the run
    assert window.map.run_box.currentData() == (run_id, "scans")
    assert window.map.compute()
    qtbot.waitUntil(lambda: window.map.map is not None or bool(messages), timeout=JOB_S)
    assert messages == []
    qtbot.waitUntil(lambda: not window.runner.busy)
    dots = sum(len(s.data) for s in window.map.scatters)
    assert dots == summary["items"] and window.map.map.xy.shape == (dots, 2)
    neighbours = window.map.choose(0)
    assert len(neighbours) == 8 and window.map.map.item_ids[0] not in neighbours
    ringed = window.map.marks.getData()  # the chosen dot and its neighbours are ringed
    assert len(ringed[0]) == 9 and tuple(window.map.map.xy[0]) == (ringed[0][-1], ringed[1][-1])
    offered = [window.map.colour_by.itemText(i) for i in range(window.map.colour_by.count())]
    assert offered == ["label", "folder", "patient", "modality", "image size"]
    window.map.colour_by.setCurrentText("folder")  # the import's folders: a and b
    assert sorted(s.name() for s in window.map.scatters) == ["a (4)", "b (18)"]
    window.map.colour_by.setCurrentIndex(window.map.colour_by.count() - 1)  # redrawn
    assert window.map.marks.scene() is not None  # the rings stay
    window.map.open_button.click()  # opens the item in the viewer
    assert window.nav.currentRow() == 0 and window.data.tabs.currentIndex() == 0
    assert f"(item {window.map.map.item_ids[0]})<" in window.data.viewer.title.text()

    wizard = window.open_wizard()
    qtbot.addWidget(wizard)
    assert wizard.pages["run"].runs.currentData() == (run_id, "scans")
    wizard.next()
    labels = wizard.pages["labels"]
    assert not labels.isComplete()  # no labels yet
    labels.use_folders()  # one class per folder
    assert labels.classes == {"a": 4, "b": 18} and labels.isComplete()
    assert set(window.map.map.labels) == {"a", "b"}  # the map is coloured by the new labels
    wizard.next()
    protocol = wizard.pages["protocol"]
    assert protocol.protocol.currentData() == "linear"  # few labels: the frozen encoder
    assert "training steps below are those of the from-scratch baseline" in (
        protocol.explanation.text()
    )
    assert protocol.positive.currentData() == "b"  # guessed (neither says "normal")
    protocol.steps.setValue(5)
    wizard.next()
    train = wizard.pages["train"]
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=JOB_S)
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert wizard.result["status"] == "done" and train.isComplete()
    # linear trains nothing step by step: the curves are the baseline's, named so
    expected = ["from scratch"] if not wizard.folds else [
        *(f"from scratch, fold {i}" for i in range(1, wizard.folds + 1)), "from scratch"
    ]  # fmt: skip
    assert list(train.plot.curves) == expected
    assert wizard.button(QWizard.WizardButton.CommitButton).text() == "Results >"
    assert "Press Results" in train.status.text()  # the page and its button agree
    # the protocol page said how testing would be done, and the job did just that
    said = protocol.testing.text()
    if wizard.result["evaluation"].endswith("cross-validation"):
        assert wizard.result["evaluation"] == f"{wizard.folds}-fold cross-validation"
        assert f"{wizard.folds}-fold cross-validation" in said
        assert not protocol.test_fraction.isEnabled()
    else:
        assert wizard.folds == 0 and "held out" in said and protocol.test_fraction.isEnabled()
    # Back and Next again: the same choices keep their result, other choices train anew
    first = wizard.result["run_id"]
    wizard.back()
    wizard.next()
    assert wizard.result["run_id"] == first and not window.runner.busy
    wizard.back()
    protocol.steps.setValue(6)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=JOB_S)
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert wizard.result["status"] == "done" and wizard.result["run_id"] > first
    second = wizard.result["run_id"]
    wizard.back()  # the label set edited meanwhile (a new version of the same name)
    with Store.open(window.context.project, write=True) as store:  # one label corrected
        scans = store.dataset("scans")["id"]
        edited = store.latest_labels(scans, wizard.labels)
        first_item = min(edited)
        edited[first_item] = next(c for c in set(edited.values()) if c != edited[first_item])
        store.add_label_set(scans, wizard.labels, "app", edited)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.result is not None, timeout=JOB_S)
    qtbot.waitUntil(lambda: not window.runner.busy)
    assert wizard.result["run_id"] > second  # trained anew, not the old labels' result
    wizard.next()
    results = wizard.pages["results"]
    assert window.finetune.table.rowCount() >= 1 and not window.finetune.empty.isVisibleTo(
        window.finetune
    )
    assert window.finetune.table.item(0, 1).text() == "scans"  # which dataset it learned
    table = window.runs.table  # the runs list names what its quality column holds
    quality = [table.item(r, 8).text() for r in range(table.rowCount())]
    assert any(q.startswith("test AUC 0.") or q.startswith("test AUC 1.") for q in quality)
    rows = {results.metrics.item(r, 0).text(): r for r in range(results.metrics.rowCount())}
    assert "ROC AUC" in rows and "[" in results.metrics.item(rows["ROC AUC"], 1).text()
    assert {"F1 (of b, the positive class)", "Sensitivity (recall of b)"} <= set(rows)
    assert "Specificity (recall of a)" in rows
    assert "Positive class: <b>b</b>" in results.headline.text() and results.roc.isVisible()
    assert len(rows) == len(SCALARS) + 2  # every metric of the report, and PPV/NPV
    assert {"PPV (precision of b)", "NPV (precision of a)"} <= set(rows)
    assert results.per_class.rowCount() == 2  # each class's own figures
    assert results.metrics.item(rows["ROC AUC"], 2).text() != "—"  # the scratch baseline
    assert results.confusion.rowCount() == 2
    assert results.label_efficiency()  # the curve: k labels per class x 3 seeds, both models
    qtbot.waitUntil(lambda: wizard.efficiency is not None or bool(messages), timeout=JOB_S)
    assert messages == [] and results.curve.isVisible()
    assert results.tabs.currentWidget() is results.curve_tab  # its own tab: room for both
    note = results.curve_note.text()  # spread over the seeds, not the mean alone
    assert len(results.bands) == 2
    assert "Mean over 3 seeds (each draws the labels and sets the " in note
    assert "fits' other randomness), bars ± one standard" in note and "draws," not in note
    assert "The last point uses every label outside the test items" in results.curve_note.text()
    top = results.curve.getViewBox().viewRange()[1][1]
    assert top <= 1.02 and all(  # a score cannot pass 1: neither can the axis or a bar
        float(np.max(band.opts["y"] + band.opts["top"])) <= 1.0 for band in results.bands
    )
    ks, _ = results.curve.points("scratch")
    assert list(ks) == [p["labels_per_class"] for p in wizard.efficiency["curve"]] and len(ks) >= 2
    assert results.curve.getAxis("left").labelText == "ROC AUC"
    # a point without an AUC (one class in its test split) makes the whole chart
    # balanced accuracy rather than mixing the two (plain accuracy flatters a model that
    # calls the common class); a scratch-protocol curve is drawn once
    real = wizard.efficiency
    first = real["curve"][0]
    no_auc = {**first, "scratch": {**first["scratch"], "roc_auc": {"mean": None}}}
    results._curve({"curve": [no_auc, *real["curve"][1:]]})
    assert results.curve.getAxis("left").labelText == "Balanced accuracy"
    _, ys = results.curve.points("scratch")
    assert list(ys) == [p["scratch"]["balanced_accuracy"]["mean"] for p in real["curve"]]
    results._curve({"curve": [{**first, "protocol": "scratch", "labels_per_class": 1}]})
    assert len(results.curve.points("scratch")[0]) == 1
    results._curve(real)
    wizard.next()
    export = wizard.pages["export"]
    out = tmp_path / "model"
    export.folder.setText(str(out))
    assert export.export()
    qtbot.waitUntil(lambda: export.exported is not None, timeout=JOB_S)
    assert NOT_FOR_DIAGNOSIS[:40] in export.card.toPlainText()  # the card is shown
    assert wizard.currentPage() is export and wizard.button(QWizard.WizardButton.FinishButton)

    # The exported files load and agree with each other on the same input.
    card = json.loads((out / "model_card.json").read_text())
    size = card["spec"]["image_size"]
    x = np.random.default_rng(0).normal(size=(2, card["spec"]["in_channels"], size, size))
    x = x.astype(np.float32)
    scripted = torch.jit.load(str(out / "model.pt"))
    p_torch = scripted(torch.from_numpy(x)).detach().numpy()
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    p_onnx = session.run(None, {"x": x})[0]
    assert p_torch.shape == (2, 2) and np.allclose(p_torch, p_onnx, atol=1e-4)
    assert load_file(str(out / "model.safetensors"))
    with Store.open(project) as store:
        assert len(store.exports()) == 1
    window.show_step(5)
    assert window.export.table.rowCount() == 1
    assert messages == []  # no error dialog on the way

    # Predictions list the files' paths: never saved into the folder one shares.
    assert not window.export.predict_folder(dicom_folder, out / "predictions.csv")
    assert "save them outside it" in messages.pop()[1]
    assert window.export.predict_folder(dicom_folder, tmp_path / "predictions.csv")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=JOB_S)
    lines = (tmp_path / "predictions.csv").read_text(encoding="utf-8-sig").splitlines()
    assert window.export.predictions.rowCount() == len(lines) - 1  # a row per item or error
    assert len(lines) - 1 >= len(list(dicom_folder.rglob("*.dcm")))
    assert "Saved to" in window.export.status.text() and not list(out.glob("*.csv"))
