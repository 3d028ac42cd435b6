"""The results page's label-efficiency tab: the curve of the fine-tuned model and the one
trained from scratch against the labels per class, each point's figures in a table beside
it (the curve's text, for a screen reader and for reading exact values), and a note on
how it was measured. The from-scratch curve is dashed: told apart by more than colour."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ssl_studio.core.evaluation.report_text import mean_std_text
from ssl_studio.core.finetune.efficiency import curve_measure, labels_text
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.tables import fill_table, make_table
from ssl_studio.gui.wizard.protocol_names import fine_tuned_header
from ssl_studio.gui.wizard.results_layout import compact, fit

SCRATCH = "scratch"  # the from-scratch model's name in a curve's points


class EfficiencyTab(QWidget):
    """``show(result)`` draws a label-efficiency job's result (its ``curve`` of points)."""

    def __init__(self) -> None:
        super().__init__()
        self.curve = LivePlot(  # rising curves: the legend bottom right, off their ends
            "Label efficiency", x_label="labels per class", y_label="AUC", legend_offset=(-10, -10)
        )
        self.table_title = QLabel()
        self.table = make_table(("Labels per class", "Fine-tuned", "From scratch"))
        self.table.setAccessibleName("Label-efficiency curve as a table")  # (+ its measure)
        compact(self.table)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.bands: list[Any] = []
        figures = QVBoxLayout()
        figures.addWidget(self.table_title)
        figures.addWidget(self.table)
        figures.addStretch(1)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.curve, 1)
        row.addLayout(figures)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row, 1)
        column.addWidget(self.note)
        self.table_title.hide()
        self.table.hide()

    def show_curve(self, result: dict[str, Any], validation: bool) -> None:
        """Draw ``result``'s points with ± one standard deviation over the seeds, and list
        them (``validation``: the fine-tuning held validation labels out)."""
        self.curve.clear_curves()
        for band in self.bands:
            self.curve.removeItem(band)
        self.bands = []
        curve = result["curve"]
        # one metric for the whole chart: AUC where every point has it, else balanced accuracy
        key, title = curve_measure(curve, result.get("classes"))
        self.curve.setLabel("left", title)
        names = list(dict.fromkeys(n for p in curve for n in (p["protocol"], SCRATCH)))
        for point in curve:
            for name in dict.fromkeys((point["protocol"], SCRATCH)):
                self.curve.append(name, point["labels_per_class"], point[name][key]["mean"])
        if SCRATCH in self.curve.curves and len(names) > 1:  # dashed, as on the ROC curve
            pen = pg.mkPen(self.curve.curves[SCRATCH].opts["pen"])
            pen.setStyle(Qt.PenStyle.DashLine)
            self.curve.curves[SCRATCH].setPen(pen)
        self.curve.redraw()
        lowest = 1.0
        for name in names:
            mine = [p for p in curve if name in p and p[name][key]["mean"] is not None]
            if mine:  # +- one std over the seeds, within the metric's 0..1
                mean = np.array([p[name][key]["mean"] for p in mine], float)
                std = np.array([p[name][key]["std"] or 0.0 for p in mine], float)
                band = pg.ErrorBarItem(
                    x=np.array([p["labels_per_class"] for p in mine], float),
                    y=mean,
                    top=np.minimum(mean + std, 1.0) - mean,
                    bottom=mean - np.maximum(mean - std, 0.0),
                    beam=0.3,
                    pen=pg.mkPen(self.curve.curves[name].opts["pen"].color(), width=2),
                )
                self.curve.addItem(band)
                self.bands.append(band)
                lowest = min(lowest, float(np.min(mean - std)))
        # a score cannot pass 1: the axis stops there (auto range would add a margin)
        self.curve.setYRange(max(0.0, lowest - 0.05), 1.0, padding=0.02)
        self._list(curve, key, title)
        self.note.setText(_note(result, validation))

    def _list(self, curve: list[dict[str, Any]], key: str, title: str) -> None:
        """Each point in words: its labels per class, then each model's mean ± SD."""
        protocol = curve[0]["protocol"] if curve else SCRATCH
        self.table.setHorizontalHeaderLabels(
            ["Labels per class", fine_tuned_header(protocol), "From scratch"]
        )
        rows = []
        for point in curve:
            every = point.get("every_label", point.get("k") is None)
            labels = labels_text(point) + (" (every label)" if every else "")
            figures = [
                mean_std_text(point[n][key]) if n in point else "—" for n in (protocol, SCRATCH)
            ]
            rows.append([labels, *figures])
        fill_table(self.table, rows)
        self.table.setColumnHidden(1, protocol == SCRATCH)  # (a curve of scratch alone)
        fit(self.table)
        self.table_title.setText(f"{title}, mean ± standard deviation over the seeds:")
        self.table.setAccessibleName(f"Label-efficiency curve as a table: {title}")
        self.table_title.setVisible(bool(rows))
        self.table.setVisible(bool(rows))


def _note(result: dict[str, Any], validation: bool) -> str:
    """How the curve was measured, what its last point is, and whether it was stopped."""
    curve = result["curve"]
    last = curve[-1] if curve else None
    stopped = result.get("status") == "stopped"
    return (
        f"Mean over {len(result.get('seeds') or [])} seeds (each draws the labels and sets "
        "the fits' other randomness), bars ± one standard deviation."
        + (
            f" The last point uses every label outside the test items "
            f"({last['labels_per_class']} per class on average"
            + (
                ", the validation labels included, so it may lie above the model trained here)."
                if validation
                else ")."
            )
            if last is not None and last.get("every_label", last.get("k") is None)
            else ""
        )
        + (" Stopped before the end: the points measured so far." if stopped else "")
        + (f" {result['note']}" if result.get("note") else "")  # by item; the test share
    )
