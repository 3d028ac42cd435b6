"""The wizard's training page (live curves) and results page (honest metrics)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ssl_studio.core.evaluation.metrics import metric_title, rounded_threshold
from ssl_studio.core.events import Event, Message, Step, Stopped
from ssl_studio.core.jobs import finetune, label_efficiency
from ssl_studio.core.project.store import Store
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.tables import fill_table, make_table

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard

# the order people read them in: ranking quality first, calibration last
METRICS = ("roc_auc", "balanced_accuracy", "accuracy", "sensitivity", "specificity", "f1", "ece")


def with_interval(entry: dict[str, Any] | None) -> str:
    if not entry or entry.get("value") is None:
        return "—"
    text = f"{entry['value']:.3f}"
    if entry.get("low") is not None:
        text += f"  [{entry['low']:.3f}, {entry['high']:.3f}]"
    return text


def verdict(tuned: dict[str, Any], scratch: dict[str, Any]) -> str:
    """A plain reading of two figures with intervals ({"value", "low", "high"}): one is
    better only when each interval leaves out the other's value (a perfect 1.000 has a
    zero-width interval, so its own alone proves nothing), and the same rule holds both
    ways; a gap of 0.05 or more inside the intervals is called a tendency."""
    gain = tuned["value"] - scratch["value"]

    def above(a: dict[str, Any], b: dict[str, Any]) -> bool:
        if a.get("low") is None or b.get("high") is None:
            return False
        return a["low"] > b["value"] and b["high"] < a["value"]

    if above(tuned, scratch):
        return "Pretraining helped"
    if above(scratch, tuned):
        return "The from-scratch model did better"
    if gain >= 0.05:
        return "Pretraining looks better, but the intervals overlap"
    if gain <= -0.05:
        return "The from-scratch model looks better, but the intervals overlap"
    return "The difference is within the uncertainty"


def threshold_text(test: dict[str, Any], base: dict[str, Any]) -> str:
    """Which threshold the sensitivity, specificity and confusion matrix of a binary
    report were read at, and how it was chosen."""
    read = "Sensitivity, specificity and the confusion matrix are read at the threshold"
    if test.get("threshold") is None:
        return f"{read} 0.5 (the default: no threshold was picked)."
    choice = test.get("threshold_choice") or {}
    method = str(choice.get("method") or "")
    if method == "youden":
        how = "Youden's J (the best sensitivity + specificity)"
    elif method.startswith("sensitivity:"):
        how = f"the target sensitivity {method.partition(':')[2]}"
    else:
        how = method or "the validation items"
    on = f" on {choice['val_items']} validation items" if choice.get("val_items") else ""
    own = (
        f"; the from-scratch model's own: {rounded_threshold(base['threshold'])}"
        if base.get("threshold") is not None
        else ""
    )
    return f"{read} {rounded_threshold(test['threshold'])}, chosen by {how}{on}{own}."


def fit_names(protocol: str, baseline: bool, folds: int) -> list[str]:
    """The names of the trained fits a fine-tuning job makes, in order: each fold's model,
    then the one on all training labels, for the protocol (knn and linear train nothing
    step by step) and then for the from-scratch baseline."""
    models = [protocol] + (["scratch"] if baseline and protocol != "scratch" else [])
    names = []
    for model in models:
        if model in ("knn", "linear"):
            continue
        label = "from scratch" if model == "scratch" else model
        names += [f"{label}, fold {i}" for i in range(1, folds + 1)] + [label]
    return names


class TrainPage(QWizardPage):
    """Runs the fine-tuning job (and the baseline) with a live loss curve."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Training")
        self.setSubTitle("The fine-tuned model, then the from-scratch baseline on the same split.")
        self.setCommitPage(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.plot = LivePlot("Training loss (one curve per trained model)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.wiz.context.runner.stop)
        self.retry_button = QPushButton("Retry")  # shown when another job held the runner
        self.retry_button.setToolTip("Start the fine-tuning now that the other job has ended.")
        self.retry_button.clicked.connect(self._start)
        self.retry_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button, 1)
        buttons.addWidget(self.retry_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addLayout(buttons)
        self.fit = 0
        self.last_step = 0
        self.fit_names: list[str] = []
        self.running = False
        self.trained_with: Any = None  # (FinetuneConfig, label-set version) of the last start
        wizard.context.runner.event.connect(self._event)
        wizard.context.runner.busy_changed.connect(self._runner_busy)

    def initializePage(self) -> None:  # noqa: N802
        cfg = self.wiz.finetune_config()
        chosen = (cfg, self._label_version(cfg.labels))  # labels edited since: train anew
        done = self.wiz.result is not None and self.wiz.result["status"] == "done"
        if self.running or (done and chosen == self.trained_with):
            return  # a result of these very choices is here (or on its way)
        self.wiz.result, self.trained_with = None, chosen  # stopped, failed or other choices
        self.completeChanged.emit()
        self._start()

    def _start(self) -> bool:
        """Start the fine-tuning of the choices made; when another job holds the runner,
        say so on the page and offer Retry."""
        cfg = self.trained_with[0]
        self.retry_button.hide()
        self.plot.clear_curves()
        self.progress.setValue(0)
        self.fit, self.last_step = 0, 0
        self.fit_names = fit_names(cfg.protocol, cfg.baseline, self.wiz.folds)
        self.status.setText("Preparing the labeled data…")

        def work(report: Any, stop: Any) -> dict[str, Any]:
            return finetune(cfg, report=report, stop=stop)

        runner = self.wiz.context.runner
        other = runner.title if runner.busy else None
        self.running = self.wiz.context.run(self, "Fine-tuning", work, self._done, self._failed)
        self.stop_button.setEnabled(self.running)
        if not self.running:
            self.retry_button.setVisible(other is not None)
            self.status.setText(
                f"Fine-tuning has not started: '{other}' is still running. Press Retry when "
                "it has ended (the status bar shows its progress and has its Stop button)."
                if other is not None
                else "Fine-tuning could not start (see the message)."
            )
        return self.running

    def _runner_busy(self, busy: bool) -> None:
        """The job this page waits for has ended: Retry will start the fine-tuning."""
        if not busy and not self.retry_button.isHidden():
            self.status.setText("The other job has ended: press Retry to start the fine-tuning.")

    def _label_version(self, name: str) -> int | None:
        with Store.open(self.wiz.project) as store:
            found = store.dataset(self.wiz.dataset)
            return store.label_version(found["id"], name) if found else None

    def _event(self, event: Event) -> None:
        if not self.running or event.job != "finetune":
            return
        if isinstance(event, Step):
            if event.step < self.last_step or self.fit == 0:
                self.fit += 1
            self.last_step = event.step
            names = self.fit_names
            name = names[self.fit - 1] if self.fit <= len(names) else f"fit {self.fit}"
            self.plot.append(name, event.step, event.loss)
            self.progress.setMaximum(event.total)
            self.progress.setValue(event.step)
        elif isinstance(event, Message):
            self.status.setText(event.text)

    def _done(self, result: dict[str, Any]) -> None:
        self.running = False
        self.stop_button.setEnabled(False)
        self.wiz.result = result
        self.status.setText(
            "Done. Press Results for the metrics against the baseline."
            if result["status"] == "done"
            else "Stopped before the end: there are no results to show. Go back and start again."
        )
        self.wiz.context.notify("runs")
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.running = False
        self.stop_button.setEnabled(False)
        self.status.setText(f"<b style='color:#b71c1c'>Fine-tuning failed.</b> {message}")

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.result is not None and self.wiz.result["status"] == "done"


class ResultsPage(QWizardPage):
    """Metrics with 95 % intervals next to the baseline, confusion matrix, ROC curve, and
    the label-efficiency curve on request."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Results on the held-out test items")
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.metrics = make_table(("Metric", "Fine-tuned [95 % CI]", "From scratch [95 % CI]"))
        self.confusion = make_table(("",), stretch_last=False)
        self.roc = pg.PlotWidget(title="ROC curve")
        self.roc.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.roc.setBackground("w")
        self.roc.setLabel("bottom", "1 − specificity")
        self.roc.setLabel("left", "sensitivity")
        self.roc.addLegend(offset=(-10, -10))
        self.curve_button = QPushButton("Label-efficiency curve (trains several times)")
        self.curve_button.clicked.connect(self.label_efficiency)
        self.curve = LivePlot("Label efficiency", x_label="labels per class", y_label="AUC")
        tables = QVBoxLayout()
        tables.addWidget(self.metrics, 2)
        tables.addWidget(QLabel("Confusion matrix (rows: truth, columns: prediction)"))
        tables.addWidget(self.confusion, 1)
        figures = QWidget()
        row = QHBoxLayout(figures)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(tables, 3)
        row.addWidget(self.roc, 2)
        self.curve_note = QLabel()
        self.curve_note.setWordWrap(True)
        self.curve_tab = QWidget()
        column = QVBoxLayout(self.curve_tab)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.curve, 1)
        column.addWidget(self.curve_note)
        self.tabs = QTabWidget()  # the curve has room of its own, the figures keep theirs
        self.tabs.addTab(figures, "Metrics")
        self.tabs.addTab(self.curve_tab, "Label efficiency")
        self.tabs.setTabEnabled(1, False)
        self.bands: list[Any] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.curve_button)

    def initializePage(self) -> None:  # noqa: N802
        result = self.wiz.result
        assert result is not None
        test = result["test"]
        base = (result.get("baseline") or {}).get("test") or {}
        fill_table(
            self.metrics,
            [
                [
                    metric_title(key, test["classes"]),
                    with_interval(test.get(key)),
                    with_interval(base.get(key)),
                ]
                for key in METRICS
                if key in test
            ],
        )
        evaluation = test.get("evaluation", "test split")
        self.setTitle(
            f"Results of {evaluation} (each item scored by a model that never trained on it)"
            if "cross-validation" in evaluation
            else "Results on the held-out test items"
        )
        self.headline.setText(self._headline(result, test, base))
        classes = test["classes"]
        self.confusion.setColumnCount(len(classes) + 1)
        self.confusion.setHorizontalHeaderLabels(["truth \\ predicted", *classes])
        fill_table(
            self.confusion,
            [[c, *row] for c, row in zip(classes, test["confusion"], strict=True)],
        )
        self.roc.clear()
        for name, report, colour in (("fine-tuned", test, "#1f77b4"), ("scratch", base, "#d62728")):
            if report.get("roc"):
                self.roc.plot(
                    report["roc"]["fpr"],
                    report["roc"]["tpr"],
                    pen=pg.mkPen(colour, width=2),
                    name=name,
                )
        self.roc.plot([0, 1], [0, 1], pen=pg.mkPen("#999", style=pg.QtCore.Qt.PenStyle.DashLine))
        self.roc.setVisible(bool(test.get("roc") or base.get("roc")))  # two classes only

    @staticmethod
    def _headline(result: dict[str, Any], test: dict[str, Any], base: dict[str, Any]) -> str:
        key = "roc_auc" if test.get("roc_auc", {}).get("value") is not None else "accuracy"
        name = "AUC" if key == "roc_auc" else "accuracy"
        text = (
            f"<b>Run {result['run_id']}</b> ({result['protocol']}), {test['n']} test items "
            f"({test.get('evaluation', 'test split')}): {name} {with_interval(test.get(key))}"
        )
        if base.get(key, {}).get("value") is not None:
            reading = verdict(test[key], base[key])
            text += f"; from scratch {with_interval(base.get(key))}.<br><b>{reading}.</b>"
        classes = test.get("classes") or []
        if len(classes) == 2:
            text += f" Positive class: <b>{classes[1]}</b>. {threshold_text(test, base)}"
        text += " Brackets: 95 % bootstrap intervals over the test " + (
            "patients." if test.get("resampled") == "patients" else "items."
        )
        return text + (f"<br><i>{test['note']}</i>" if test.get("note") else "")

    def label_efficiency(self) -> bool:
        result = self.wiz.result
        assert result is not None
        cfg = self.wiz.finetune_config()
        ks = tuple(k for k in (1, 2, 5, 10, 25) if k < self.wiz.per_class) + (None,)

        def work(report: Any, stop: Any) -> dict[str, Any]:
            try:
                return label_efficiency(cfg, ks=ks, seeds=(0, 1, 2), report=report, stop=stop)
            except Stopped:  # a result of its own, so the button comes back (see _curve)
                return {"status": "stopped", "curve": []}

        self.curve_button.setText("Measuring the label-efficiency curve…")
        self.curve_button.setEnabled(False)  # until it ends: one curve at a time
        started = self.wiz.context.run(
            self, "Label-efficiency curve", work, self._curve, lambda _: self._reset_button()
        )
        if not started:  # another job runs: nothing is being measured
            self._reset_button()
        return started

    def _reset_button(self) -> None:
        self.curve_button.setText("Label-efficiency curve (trains several times)")
        self.curve_button.setEnabled(True)

    def _curve(self, result: dict[str, Any]) -> None:
        self._reset_button()
        stopped = result.get("status") == "stopped"
        if not result["curve"]:  # stopped before its first point
            self.curve_note.setText("The curve was stopped before its first point.")
            return
        self.tabs.setTabEnabled(1, True)
        self.tabs.setCurrentWidget(self.curve_tab)
        self.curve.clear_curves()
        for band in self.bands:
            self.curve.removeItem(band)
        self.bands = []
        curve = result["curve"]
        # one metric for the whole chart: AUC where every point has it, else accuracy
        names = list(dict.fromkeys(n for p in curve for n in (p["protocol"], "scratch")))
        auc = all(p[n]["roc_auc"]["mean"] is not None for p in curve for n in names if n in p)
        key = "roc_auc" if auc else "accuracy"
        self.curve.setLabel("left", "AUC" if auc else "accuracy")
        for point in curve:
            for name in dict.fromkeys((point["protocol"], "scratch")):
                self.curve.append(name, point["labels_per_class"], point[name][key]["mean"])
        self.curve.redraw()
        for name in dict.fromkeys(n for p in curve for n in (p["protocol"], "scratch")):
            mine = [p for p in curve if name in p and p[name][key]["mean"] is not None]
            if mine:  # +- one std over the seeds (label draws)
                band = pg.ErrorBarItem(
                    x=np.array([p["labels_per_class"] for p in mine], float),
                    y=np.array([p[name][key]["mean"] for p in mine], float),
                    height=2 * np.array([p[name][key]["std"] or 0.0 for p in mine], float),
                    beam=0.3,
                    pen=self.curve.curves[name].opts["pen"],
                )
                self.curve.addItem(band)
                self.bands.append(band)
        last = curve[-1] if curve else None
        self.curve_note.setText(
            f"Mean of {len(result.get('seeds') or [])} label draws, bars ± one standard "
            "deviation."
            + (
                f" The last point uses every training label ({last['labels_per_class']} per "
                "class on average)."
                if last is not None and last.get("k") is None
                else ""
            )
            + (" Stopped before the end: the points measured so far." if stopped else "")
        )
        self.wiz.efficiency = result
