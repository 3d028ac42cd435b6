"""What a first-time reader of the wizard's results and export pages and the fine-tune
panel sees: every figure and both models' columns at the wizard's size, no interval of
no width, metrics explained, the model's limits stated where a verdict and files are
offered, and how many test items a figure rests on."""

from __future__ import annotations

import numpy as np
from PySide6.QtTest import QTest

from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.finetune.job import _summary
from ssl_studio.core.project.store import Store


def _six_items() -> dict:
    """6 test items, 3-fold cross-validation: fine-tuned perfect, from scratch weaker
    (the audit's case: the F1 of every resample is 1.000)."""
    y = np.array([0, 0, 0, 1, 1, 1])
    fine = np.array([0.2, 0.3, 0.4, 0.6, 0.7, 0.9])
    scratch = np.array([0.4, 0.6, 0.3, 0.5, 0.45, 0.7])
    classes = ["normal", "pneumonia"]
    test = classification_report(y, np.c_[1 - fine, fine], classes, n_boot=200)
    base = classification_report(y, np.c_[1 - scratch, scratch], classes, n_boot=200)
    test["evaluation"] = base["evaluation"] = "3-fold cross-validation"
    return {"run_id": 2, "protocol": "linear", "status": "done", "test": test,
            "baseline": {"test": base}}  # fmt: skip


def _cells(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def test_the_metrics_table_shows_both_models_and_every_row_at_the_wizards_size(
    make_window, project
):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = _six_items()
    wizard.resize(980, 720)
    results = wizard.pages["results"]
    results.initializePage()
    results.resize(940, 540)  # the page's share of a 980 x 720 wizard
    results.show()
    QTest.qWait(50)
    table = results.metrics
    headers = [table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Metric", "Fine-tuned (linear probe)", "From scratch"]
    assert table.horizontalScrollBar().maximum() == 0  # nothing hidden to the right
    assert table.verticalScrollBar().maximum() == 0  # every row shows
    assert all(table.columnWidth(c) > 0 for c in range(3))
    rows = _cells(table)
    [ece] = [r for r in rows if r[0].startswith("Calibration error")]
    assert "perfectly" not in ece[1] and len(ece[1]) < 30  # the reference: not in the cell
    ece_row = rows.index(ece)
    reference = f"{wizard.result['test']['ece']['calibrated']:.3f}"
    assert f"a perfectly calibrated model: ~{reference}" in table.item(ece_row, 1).toolTip()
    assert reference in results.ece_note.text() and not results.ece_note.isHidden()


def test_an_interval_of_no_width_reads_too_few_items_in_the_wizard(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = _six_items()
    test = wizard.result["test"]  # a perfect F1 has its Wilson interval (3 items a class)
    assert test["f1"]["low"] < test["f1"]["high"] == 1.0
    test["ece"] = {**test["ece"], "value": 0.0, "low": 0.0, "high": 0.0}  # one of no width
    results = wizard.pages["results"]
    results.initializePage()
    [f1] = [r for r in _cells(results.metrics) if r[0].startswith("F1")]
    assert f1[1] == "1.000 [0.439, 1.000]"
    [ece] = [r for r in _cells(results.metrics) if r[0].startswith("Calibration error")]
    assert ece[1].startswith("0.000 [not estimable]")
    shown = " ".join(" ".join(r) for r in _cells(results.metrics))
    assert "[1.000, 1.000]" not in shown and "[0.000, 0.000]" not in shown


def test_each_metric_row_explains_its_metric_in_plain_words(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = _six_items()
    results = wizard.pages["results"]
    results.initializePage()
    tips = {
        results.metrics.item(r, 0).text(): results.metrics.item(r, 0).toolTip()
        for r in range(results.metrics.rowCount())
    }
    assert "randomly picked positive item" in tips["ROC AUC"]
    assert "rare class counts as much" in tips["Balanced accuracy"]
    assert "missed cases" in tips["Sensitivity (recall of pneumonia)"]
    assert "false alarms" in tips["Specificity (recall of normal)"]
    assert "harmonic mean" in tips["F1 (of pneumonia, the positive class)"]
    assert "stated probabilities" in tips["Calibration error (ECE, lower is better)"]
    assert "calls positive" in tips["PPV (precision of pneumonia)"]
    assert "calls negative" in tips["NPV (precision of normal)"]


def test_results_and_export_say_the_model_is_not_for_clinical_diagnosis(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = _six_items()
    for name in ("results", "export"):
        page = wizard.pages[name]
        page.initializePage()
        assert page.not_for_diagnosis.text() == NOT_FOR_DIAGNOSIS
        assert not page.not_for_diagnosis.isHidden()


def test_the_export_page_explains_its_formats_and_points_to_the_results_page(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = _six_items()
    export = wizard.pages["export"]
    export.initializePage()
    said = export.format_help.text()
    assert "runs in PyTorch without SSL Studio's code" in said
    assert "runs in onnxruntime" in said and "the weights only" in said
    assert "runs in onnxruntime" in export.formats["onnx"].toolTip()
    card = export.card.toPlainText()
    assert "metrics above" not in card and "previous page (Results)" in card


def test_the_fine_tune_panel_shows_test_items_and_intervals(make_window, project):
    result = _six_items()
    result["baseline"]["run_id"] = 1
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        run = store.create_run(dataset, "finetune", {"task": "linear"})
        store.finish_run(run, "done", _summary(result))
    window = make_window(project)
    table = window.finetune.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    row = dict(zip(headers, _cells(table)[0], strict=True))
    assert row["Test items"] == "6"
    assert row["Test AUC [95 % CI]"] == "1.000 [0.439, 1.000]"
    assert row["Scratch AUC [95 % CI]"].startswith("0.778 [")
