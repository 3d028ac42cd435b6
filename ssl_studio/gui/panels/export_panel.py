"""Export: the models exported from this project with their cards, and predictions on a new
folder from an export (the same path a colleague would use, through ONNX Runtime)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.export.card_markdown import card_markdown
from ssl_studio.core.export.predict_job import check_predictions_place
from ssl_studio.core.export.series_windows import Span
from ssl_studio.core.jobs import predict
from ssl_studio.core.project.store import Store
from ssl_studio.core.spreadsheet_cells import SPREADSHEET_ENCODING, unquoted
from ssl_studio.core.wording import counted
from ssl_studio.gui import dialogs
from ssl_studio.gui.colours import shade, tone
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.decimal_spin import DecimalSpin
from ssl_studio.gui.markup import esc, rich
from ssl_studio.gui.row_table import RowTable
from ssl_studio.gui.tables import (
    ColumnCaps,
    ElideRight,
    fill_table,
    make_table,
    refill_table,
    selected_rows,
)

PREDICTIONS_SHOWN = 5000
HIDDEN_COLUMNS = ("model", "model_sha256")  # the model's name and digest, in the file
NOTE_SHADE = "orange"  # a prediction to read with its note (colours.shade)
ERROR_SHADE = "red"  # a file that could not be read


class ExportPanel(QWidget):
    """Exports (top left), the chosen export's model card (top right), predictions (bottom)."""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.exports: list[dict[str, Any]] = []
        self.table = make_table(("Export", "Run", "Formats", "Folder"))
        self.table.setAccessibleName("Exported models")
        self.table.itemSelectionChanged.connect(self._chosen)
        self.empty = QLabel(
            "Nothing exported yet. Models are exported at the end of the fine-tune wizard."
        )
        self.empty.setWordWrap(True)
        self.card = QTextBrowser()
        self.card.setAccessibleName("Model card of the chosen export")
        self.card_shown = ""  # the markdown it shows
        self.predict_button = QPushButton("Predict on a folder…")
        self.predict_button.clicked.connect(self.choose_folder)
        # series exports: one prediction per window of each recording (default off)
        self.in_windows = QCheckBox("Predict in windows of")
        self.in_windows.setToolTip(
            "One row per window of each recording (its start and end in seconds from the "
            "recording's start) instead of one for the whole; needs the files' sampling rate"
        )
        self.window_seconds = DecimalSpin(2)
        self.window_seconds.setRange(0.01, 86_400.0)
        self.window_seconds.setValue(10.0)
        self.window_seconds.setSuffix(" s")
        self.window_seconds.setAccessibleName("Window length in seconds")
        self.windows_row = QWidget()
        row = QHBoxLayout(self.windows_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.in_windows)
        row.addWidget(self.window_seconds)
        row.addStretch(1)
        self.status = rich(QLabel())  # folders, files and messages in it escaped
        self.status.setWordWrap(True)
        self.predictions = RowTable(("File",))  # (thousands of rows: a model over them)
        self.predictions.setAccessibleName("Predictions")
        self.predictions.setWordWrap(False)  # one line a row: long paths elided in the middle
        self.prediction_caps = ColumnCaps(self.predictions, {})
        self.sentences = ElideRight(self.predictions)
        top = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.empty)
        column.addWidget(self.table, 1)
        column.addWidget(self.windows_row)
        column.addWidget(self.predict_button)
        top.addWidget(left)
        top.addWidget(self.card)
        bottom = QWidget()
        column = QVBoxLayout(bottom)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.status)
        column.addWidget(self.predictions, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        context.changed.connect(self._changed)
        self.reload()

    def _changed(self, what: str) -> None:
        if what == "project":  # the last predictions were made in the other project
            self.predictions.set_rows([])
            self.status.setText("")
        if what in ("project", "exports"):
            self.reload(keep=what != "project")

    def reload(self, keep: bool = False) -> None:
        """Read the exports again, the newest chosen; ``keep``: an older one chosen
        stays chosen while it is there, with the table's scroll (the newest chosen
        follows: a new export, here or by another process, is chosen)."""
        chosen = self.selected() if keep else None
        if chosen is not None and chosen is self.exports[0]:
            chosen = None
        self.exports = []
        if self.context.project is not None:
            with self.context.reading(self), Store.open(self.context.project) as store:
                self.exports = list(reversed(store.exports()))
        rows = [
            [e["id"], e["run_id"] or "deleted", ", ".join(e["formats"]), e["folder"]]
            for e in self.exports
        ]
        (refill_table if keep else fill_table)(self.table, rows)
        self.empty.setVisible(not self.exports)
        ids = [e["id"] for e in self.exports]
        if self.exports:
            self.table.selectRow(ids.index(chosen["id"]) if chosen and chosen["id"] in ids else 0)
        self._chosen()

    def selected(self) -> dict[str, Any] | None:
        rows = selected_rows(self.table)
        return self.exports[rows[0]] if rows else None

    def _chosen(self) -> None:
        chosen = self.selected()
        self.predict_button.setEnabled(chosen is not None)
        self.windows_row.setVisible(self._series(chosen))
        card = card_markdown(chosen["card"]) if chosen else ""
        if card != self.card_shown:  # (the same card read again keeps its scroll)
            self.card.setMarkdown(card)
            self.card_shown = card

    @staticmethod
    def _series(chosen: dict[str, Any] | None) -> bool:
        """Whether the export ``chosen`` reads series (windows apply to them alone)."""
        spec = ((chosen or {}).get("card") or {}).get("spec") or {}
        return spec.get("modality") not in (None, "image")

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Predict on the files of a folder")
        if not folder:
            return
        suggested = suggested_csv(Path(folder))
        out, _ = QFileDialog.getSaveFileName(
            self, "Save the predictions as", str(suggested), "CSV files (*.csv)"
        )
        if out:
            self.predict_folder(Path(folder), Path(out))

    def predict_folder(self, folder: Path, out: Path) -> bool:
        """Predict on the files of ``folder`` with the chosen export, into the CSV ``out``
        (kept out of the export folder: it lists the files' paths, and that folder is
        what gets shared)."""
        chosen = self.selected()
        if chosen is None:
            return False
        export_dir = Path(chosen["folder"])
        try:
            check_predictions_place(export_dir, Path(out))
        except SSLStudioError as exc:
            dialogs.show_error(self, "Save the predictions elsewhere", str(exc))
            return False

        windows: bool | Span = False
        if self._series(chosen) and self.in_windows.isChecked():
            windows = Span(self.window_seconds.value(), seconds=True)

        def work(report: Any, stop: Any) -> dict[str, Any]:  # (the save dialog asked)
            return predict(
                export_dir, [folder], out, report=report, stop=stop, overwrite=True, windows=windows
            )

        self.status.setText(f"Predicting on {esc(folder)}…")
        started = self.context.run(self, "Prediction", work, self._predicted, self._failed)
        if not started:  # refused (it said why): nothing is being predicted
            self.status.setText("")
        return started

    def _failed(self, message: str) -> None:
        red = tone("red", self.palette())
        self.status.setText(
            f"<b style='color:{red}'>The prediction failed; nothing was saved.</b> {esc(message)}"
        )

    def _predicted(self, counts: dict[str, Any]) -> None:
        if counts["cancelled"]:
            self.status.setText(
                f"Stopped after {counted(counts['items'], 'item')}; nothing was saved."
            )
            return
        # (written with a byte-order mark for Excel: not part of the first column's name)
        with open(counts["out"], encoding=SPREADSHEET_ENCODING, newline="") as f:
            header, *body = csv.reader(f)
        shown = [[unquoted(cell) for cell in row] for row in [header, *body[:PREDICTIONS_SHOWN]]]
        self._show_rows(shown[0], shown[1:])  # (cells as written: '+ve shows +ve)
        more = f" (the first {PREDICTIONS_SHOWN} shown)" if len(body) > PREDICTIONS_SHOWN else ""
        status = header.index("status") if "status" in header else None
        noted = sum(1 for row in body if _status(row, status) == "note")  # answers with a note
        skipped = counts.get("skipped") or 0  # files not data (a DICOM SR): as import says
        left = f", {_files_skipped(skipped)}" if skipped else ""
        orange = tone("orange", self.palette())
        self.status.setText(
            f"{counted(counts['items'], 'item')} predicted, "
            f"{_files_unread(counts['errors'])}"
            f"{left}{more}. "
            f"Saved to {esc(counts['out'])}."
            + (
                f" <b style='color:{orange}'>{_with_notes(noted)}</b> (shaded): read it with "
                "the answer; a file unlike the training data may get an answer that means "
                "nothing."
                if noted
                else ""
            )
            + (f" <i>{esc(counts['disclaimer'])}</i>" if counts.get("disclaimer") else "")
        )

    def _show_rows(self, header: list[str], body: list[list[str]]) -> None:
        """The table of predictions: the path (elided in the middle) and the error get
        at most a share of the width each, the note the rest; rows with a note or an
        error are shaded (a prediction to read with care, a file not read)."""
        table = self.predictions
        palette = table.palette()  # a tint of Base: the palette's Text reads on it
        text = QBrush(palette.color(QPalette.ColorRole.Text))
        error = QBrush(shade(ERROR_SHADE, palette)), text
        note = QBrush(shade(NOTE_SHADE, palette)), text
        status = header.index("status") if "status" in header else None
        table.rows_model.shade = lambda values: (
            error if values[-2] else note if _status(values, status) == "note" else None
        )
        table.set_rows(body, header)
        for column in (len(header) - 2, len(header) - 1):  # the error and the note
            table.setItemDelegateForColumn(column, self.sentences)
        for column, name in enumerate(header):  # the same in every row: the file has them
            table.setColumnHidden(column, name in HIDDEN_COLUMNS)
        self.prediction_caps.set_shares({0: 0.25, len(header) - 2: 0.25})
        self.prediction_caps.fit()


def suggested_csv(folder: Path) -> Path:
    """Where the predictions on ``folder`` are offered to be saved: beside it, under a
    neutral name (a folder is often named after its patient, and a file name carries it
    further), numbered when that name is taken: predictions.csv, predictions-2.csv, ..."""
    place, number = folder.parent / "predictions.csv", 2
    while place.exists():
        place, number = folder.parent / f"predictions-{number}.csv", number + 1
    return place


def _with_notes(n: int) -> str:
    return "1 prediction has a note" if n == 1 else f"{n} predictions have a note"


def _status(row: list[str], column: int | None) -> str:
    """A row's status (ok, note, error, skipped); from its error and note where the
    table has no status column."""
    if column is not None and column < len(row):
        return row[column]
    return "error" if row[-2] else "note" if row[-1] else "ok"


def _files_skipped(n: int) -> str:
    return f"{counted(n, 'file')} skipped (not images or series)"


def _files_unread(n: int) -> str:
    return "1 file could not be read" if n == 1 else f"{n} files could not be read"
