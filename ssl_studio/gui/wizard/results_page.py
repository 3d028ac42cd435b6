"""The wizard's results page: honest metrics with 95 % intervals next to the from-scratch
baseline, each class's own figures, the confusion matrix, the ROC curve, and the
label-efficiency curve on request."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from ssl_studio.core.evaluation.calibration import PATIENTS_CAVEAT
from ssl_studio.core.evaluation.comparison import (
    difference_text,
    paired_how,
    too_few_patients,
    verdict_and_basis,
)
from ssl_studio.core.evaluation.metric_names import metric_explanation
from ssl_studio.core.evaluation.metrics import metric_title
from ssl_studio.core.evaluation.report_text import (
    PER_CLASS_COLUMNS,
    PER_CLASS_NOTE,
    PREDICTIVE,
    absent_sentence,
    per_class_rows,
    predictive_title,
    unchecked_note,
)
from ssl_studio.core.events import Stopped
from ssl_studio.core.finetune_config import LABEL_EFFICIENCY_KS
from ssl_studio.core.jobs import label_efficiency
from ssl_studio.gui.focus_keeper import FocusKeeper
from ssl_studio.gui.live_plot import (
    MIN_LINES,
    add_legend,
    curve_pen,
    lines_high,
    on_white,
    set_title,
)
from ssl_studio.gui.markup import esc, rich
from ssl_studio.gui.tables import fill_table, make_table
from ssl_studio.gui.wizard.efficiency_tab import EfficiencyTab
from ssl_studio.gui.wizard.not_for_diagnosis import not_for_diagnosis_label
from ssl_studio.gui.wizard.protocol_names import fine_tuned_header
from ssl_studio.gui.wizard.results_layout import (
    ColumnArea,
    ContentsTable,
    FittedArea,
    compact,
    fit,
    fit_scrolling,
)
from ssl_studio.gui.wizard.results_text import (
    METRICS,
    ece_reference,
    threshold_text,
    with_interval,
)

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard


class ResultsPage(QWizardPage):
    """Metrics with 95 % intervals next to the baseline, confusion matrix, ROC curve, and
    the label-efficiency curve on request."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Results on the held-out test items")
        self.headline = rich(QLabel())  # _headline: names escaped
        self.headline.setWordWrap(True)
        # each column as wide as its texts need, the last one (from scratch) stretching
        # into any width left (fit: the column scrolls when the page is narrower). The
        # models' columns shared the width alike: the fine-tuned one's long title made
        # the table 40 px wider, which the confusion matrix beside it needs
        self.metrics = make_table(("Metric", "Fine-tuned", "From scratch"))
        self.ece_note = QLabel()  # the ECE's reference, too long for its cell
        self.ece_note.setWordWrap(True)
        self.not_for_diagnosis = not_for_diagnosis_label()
        self.confusion = make_table(("",), stretch_last=False, kind=ContentsTable)
        self.per_class = make_table(("Class", *PER_CLASS_COLUMNS))
        self.per_class.setAccessibleName("Each class's figures, fine-tuned model")
        self.per_class.setToolTip(PER_CLASS_NOTE)
        self.per_class_title = QLabel("Per class, fine-tuned model [95 % CI]")
        self.per_class_title.setToolTip(PER_CLASS_NOTE)
        self.metrics.setAccessibleName("Metrics, fine-tuned and from scratch")
        self.confusion.setAccessibleName("Confusion matrix (rows: truth, columns: prediction)")
        self.roc = pg.PlotWidget()
        set_title(self.roc, "ROC curve")  # dark, as every plot's (pyqtgraph's grey: 3:1)
        # as high as a few lines of text at least (it collapsed at large fonts)
        self.roc.setMinimumHeight(lines_high(self.roc, MIN_LINES))
        self.roc.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.roc.setAccessibleName("ROC curve")
        self.roc.setAccessibleDescription(
            "Sensitivity against 1 - specificity, fine-tuned and trained from scratch."
        )
        on_white(self.roc)
        self.roc.setLabel("bottom", "1 − specificity")
        self.roc.setLabel("left", "sensitivity")
        add_legend(self.roc, offset=(-10, -10))  # dark text on a pale backing
        self.curve_button = QPushButton("Label-efficiency curve (trains several times)")
        self.curve_button.clicked.connect(self.label_efficiency)
        self.curve_stop = QPushButton("Stop the curve")  # (also the status bar's Stop)
        self.curve_stop.setToolTip("Stop measuring: the points measured so far are shown.")
        self.curve_stop.clicked.connect(self.wiz.context.runner.stop)
        self.curve_stop.setEnabled(False)
        # the button pressed from the keyboard hands the focus to Stop, the curve's end back
        self.focus_keeper = FocusKeeper(self.curve_button, self.curve_stop)
        self.curve_tab = EfficiencyTab()
        self.curve, self.curve_note = self.curve_tab.curve, self.curve_tab.note
        for table in (self.metrics, self.per_class, self.confusion):
            compact(table)
        column_widget = QWidget()
        tables = QVBoxLayout(column_widget)
        tables.setContentsMargins(0, 0, 0, 0)
        tables.addWidget(self.metrics)
        tables.addWidget(self.ece_note)
        tables.addWidget(self.per_class_title)
        tables.addWidget(self.per_class)
        tables.addStretch(1)
        # the tables keep the height and width their rows and headers need: on a small
        # screen or with large fonts the column scrolls, rather than rows sliding under
        # the note below them or figures cut to "1.00…"; it takes the width they need
        # (no stretch), the figures beside it the rest
        self.tables_area = FittedArea(column_widget, "Results tables")
        plots_widget = QWidget()  # the confusion matrix under the ROC curve: the metrics'
        plots = QVBoxLayout(plots_widget)  # room
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.roc, 1)
        title = self.confusion_title = QLabel("Confusion matrix (rows: truth, columns: prediction)")
        title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        plots.addWidget(title)
        # top left, as large as its rows and columns where there is room (fit_scrolling);
        # without the ROC curve (more than two classes) the room below stays empty
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        plots.addWidget(self.confusion, 0, top_left)
        figures = QWidget()
        row = QHBoxLayout(figures)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.tables_area)
        # the ROC curve keeps a few lines' height: with large fonts on a small screen the
        # column scrolls (it slid under the confusion matrix's title)
        self.plots_area = ColumnArea(plots_widget, "ROC curve and confusion matrix")
        row.addWidget(self.plots_area, 1)
        self.tabs = QTabWidget()  # the curve has room of its own, the figures keep theirs
        self.tabs.addTab(figures, "Metrics")
        self.tabs.addTab(self.curve_tab, "Label efficiency")
        self.tabs.setTabEnabled(1, False)
        self.measuring = False  # a label-efficiency curve is being measured
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.not_for_diagnosis)
        layout.addWidget(self.tabs, 1)
        curve_row = QHBoxLayout()
        curve_row.addWidget(self.curve_button, 1)
        curve_row.addWidget(self.curve_stop)
        layout.addLayout(curve_row)

    def initializePage(self) -> None:  # noqa: N802
        result = self.wiz.result
        assert result is not None
        test = result["test"]
        base = (result.get("baseline") or {}).get("test") or {}
        self._fill_metrics(result, test, base)
        rows = per_class_rows(test)  # none in reports made before per-class figures
        fill_table(self.per_class, [[n, str(k), *map(with_interval, e)] for n, k, e in rows])
        fit(self.per_class)
        self.per_class.setVisible(bool(rows))
        self.per_class_title.setVisible(bool(rows))
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
        fit_scrolling(self.confusion)
        self.tables_area.updateGeometry()  # (the width its tables need changed)
        self.plots_area.updateGeometry()  # (and the confusion matrix's)
        self.roc.clear()
        fine_tuned, scratch = curve_pen(0), curve_pen(1)
        scratch.setStyle(Qt.PenStyle.DashLine)  # told apart by more than colour
        for name, report, pen in (("fine-tuned", test, fine_tuned), ("scratch", base, scratch)):
            if report.get("roc"):
                self.roc.plot(report["roc"]["fpr"], report["roc"]["tpr"], pen=pen, name=name)
        self.roc.plot([0, 1], [0, 1], pen=pg.mkPen("#999", style=pg.QtCore.Qt.PenStyle.DashLine))
        self.roc.setVisible(bool(test.get("roc") or base.get("roc")))  # two classes only

    def _fill_metrics(
        self, result: dict[str, Any], test: dict[str, Any], base: dict[str, Any]
    ) -> None:
        """The metrics table: short cells, each metric explained in its row's tooltips,
        the ECE's reference in its cells' tooltips and in the note under the table."""
        classes = test["classes"]
        keys = [k for k in METRICS if k in test] + [k for k in PREDICTIVE if k in test]
        titles = [
            predictive_title(k, classes) if k in PREDICTIVE else metric_title(k, classes)
            for k in keys
        ]
        fill_table(
            self.metrics,
            [
                [t, with_interval(test.get(k)), with_interval(base.get(k))]
                for t, k in zip(titles, keys, strict=True)
            ],
        )
        self.metrics.setHorizontalHeaderLabels(
            ["Metric", fine_tuned_header(result.get("protocol")), "From scratch"]
        )
        for column in (1, 2):
            self.metrics.horizontalHeaderItem(column).setToolTip(
                "The figure and its 95 % bootstrap interval [low, high]; not estimable: "
                "every resample gave the same figure, so the interval cannot be estimated "
                "(it does not mean the figure is certain)."
            )
        notes = []
        for row, key in enumerate(keys):
            explained = metric_explanation(key)
            for column, report in enumerate((None, test, base)):
                said = explained
                reference = ece_reference(report.get(key)) if key == "ece" and report else None
                if reference:
                    said += f"\n\nThis figure: {reference}."
                    notes.append(
                        f"{'fine-tuned' if report is test else 'from scratch'}, {reference}"
                    )
                self.metrics.item(row, column).setToolTip(said)
        self.ece_note.setText(
            f"Calibration error on these items — {'; '.join(notes)}." if notes else ""
        )
        self.ece_note.setVisible(bool(notes))
        fit(self.metrics)

    @staticmethod
    def _headline(result: dict[str, Any], test: dict[str, Any], base: dict[str, Any]) -> str:
        # the AUC where the test defines it, else the balanced accuracy (plain accuracy
        # flatters a model that calls every item the common class)
        defined = test.get("roc_auc", {}).get("value") is not None
        key = "roc_auc" if defined else "balanced_accuracy"
        macro = "macro " if len(test.get("classes") or []) > 2 else ""
        name = f"{macro}AUC" if defined else "balanced accuracy"
        text = (
            f"<b>Run {result['run_id']}</b> ({esc(result['protocol'])}), {test['n']} test items "
            + (f"from {test['patients']} patients " if test.get("patients") is not None else "")
            + f"({esc(test.get('evaluation', 'test split'))}): {name} "
            + with_interval(test.get(key))
        )
        if base.get(key, {}).get("value") is not None:
            versus = test.get("versus_baseline") or {}
            paired = versus.get(key)
            few = too_few_patients(test)  # no winner named on a handful of patients
            said, basis = verdict_and_basis(test[key], base[key], paired, key, test, base)
            reading = f"<b>{esc(said)}</b>." + (f" {basis}" if basis else "")
            text += f"; from scratch {with_interval(base.get(key))}."
            if paired and paired.get("low") is not None:  # (few: without its interval)
                text += (
                    f" Fine-tuned minus from scratch: {difference_text(paired, few)} "
                    f"({paired_how(versus, few)})."
                )
            text += f"<br>{reading}"
        classes = test.get("classes") or []
        if len(classes) == 2:
            text += f" Positive class: <b>{esc(classes[1])}</b>. {esc(threshold_text(test, base))}"
        text += " Brackets: 95 % bootstrap intervals over the test " + (
            "patients." if test.get("resampled") == "patients" else "items."
        )
        if (absent := absent_sentence(test)) is not None:
            text += f"<br><i>{html.escape(absent, quote=False)}</i>"
        if test.get("patients") is not None and test["patients"] < test["n"]:  # ECE's reference
            text += f"<br><i>Calibration error: {PATIENTS_CAVEAT}.</i>"
        for said in (test.get("note"), unchecked_note(test)):
            text += f"<br><i>{html.escape(said, quote=False)}</i>" if said else ""
        return text

    def label_efficiency(self) -> bool:
        result = self.wiz.result
        assert result is not None
        cfg = self.wiz.finetune_config()

        def work(report: Any, stop: Any) -> dict[str, Any]:
            try:  # the command line's default ks (the job drops points that would repeat)
                ks, seeds = LABEL_EFFICIENCY_KS, (0, 1, 2)
                return label_efficiency(cfg, ks=ks, seeds=seeds, report=report, stop=stop)
            except Stopped:  # a result of its own, so the button comes back (see _curve)
                return {"status": "stopped", "curve": []}

        self.curve_button.setText("Measuring the label-efficiency curve…")
        self._measuring(True)  # the button off until it ends: one curve at a time
        started = self.wiz.context.run(
            self, "Label-efficiency curve", work, self._curve, lambda _: self._reset_button()
        )
        if not started:  # another job runs: nothing is being measured
            self._reset_button()
        return started

    def _measuring(self, measuring: bool) -> None:
        self.measuring = measuring  # (closing the wizard asks first)
        self.focus_keeper.set_enabled(
            ((self.curve_button, not measuring), (self.curve_stop, measuring))
        )

    @property
    def bands(self) -> list[Any]:
        """The curve's error bars (± one standard deviation over the seeds)."""
        return self.curve_tab.bands

    def _reset_button(self) -> None:
        self.curve_button.setText("Label-efficiency curve (trains several times)")
        self._measuring(False)

    def _curve(self, result: dict[str, Any]) -> None:
        self._reset_button()
        if not result["curve"]:  # stopped before its first point
            self.curve_note.setText("The curve was stopped before its first point.")
            return
        self.tabs.setTabEnabled(1, True)
        self.tabs.setCurrentWidget(self.curve_tab)
        self.curve_tab.show_curve(result, self.wiz.finetune_config().val_fraction > 0)
        self.wiz.efficiency = result
