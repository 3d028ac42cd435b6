"""The main window: a project's datasets and, for the selected one, its import report.

This is the first, minimal window; the full workflow (data, pretrain, fine-tune, runs,
export) grows here. Widgets only read the project through core; they never write SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store

DATASET_COLUMNS = ("Dataset", "Kind", "Items", "Content", "Errors", "Skipped", "Cache")
REPORT_COLUMNS = ("Result", "File", "Code", "Why it was left out")


def _table(headers: tuple[str, ...], stretch_last: bool = True) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_last:  # long texts are elided; the tooltip shows them whole
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _fill_row(table: QTableWidget, row: int, values: list[Any]) -> None:
    for column, value in enumerate(values):
        item = QTableWidgetItem(str(value))
        item.setToolTip(str(value))
        if isinstance(value, int | float):
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, column, item)


class MainWindow(QMainWindow):
    """Datasets of the open project, and the import report of the selected dataset."""

    def __init__(self, project: Path | None = None) -> None:
        super().__init__()
        self.project: Path | None = None
        self.datasets: list[dict[str, Any]] = []
        self.resize(1100, 700)
        self._build()
        self.open_project(project)

    def _build(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, shortcut, slot in (
            ("&Open project...", QKeySequence.StandardKey.Open, self._choose_project),
            ("&Reload", QKeySequence.StandardKey.Refresh, self.reload),
            ("&Quit", QKeySequence.StandardKey.Quit, self.close),
        ):
            action = QAction(text, self)
            action.setShortcut(shortcut)
            action.triggered.connect(slot)
            file_menu.addAction(action)

        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.dataset_table = _table(DATASET_COLUMNS)
        self.dataset_table.itemSelectionChanged.connect(self._show_report)
        self.report_title = QLabel("Import report")
        self.report_title.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.report_table = _table(REPORT_COLUMNS)

        lower = QWidget()
        layout = QVBoxLayout(lower)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.report_title)
        layout.addWidget(self.report_table)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.dataset_table)
        self.splitter.addWidget(lower)
        self.splitter.setSizes([300, 400])

        central = QWidget()
        column = QVBoxLayout(central)
        column.addWidget(self.empty)
        column.addWidget(self.splitter)
        self.setCentralWidget(central)

    # ---- project ------------------------------------------------------------------------------

    def _choose_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an SSL Studio project")
        if folder:
            self.open_project(Path(folder))

    def open_project(self, project: Path | None) -> None:
        self.project = Path(project) if project else None
        self.reload()

    def reload(self) -> None:
        self.datasets = []
        if self.project is not None:
            try:
                self.datasets = project_info(self.project)["datasets"]
            except SSLStudioError as exc:
                QMessageBox.warning(self, "Cannot open the project", str(exc))
                self.project = None
        name = f" — {self.project.name}" if self.project else ""
        self.setWindowTitle(f"SSL Studio{name}")
        self.statusBar().showMessage(str(self.project) if self.project else "No project open")
        self._show_datasets()

    def _show_datasets(self) -> None:
        if self.project is None:
            self.empty.setText("No project is open. Use File → Open project... (Ctrl+O).")
        else:
            self.empty.setText(
                "This project has no datasets yet. Import a folder with\n"
                f'ssl-studio import "{self.project}" FOLDER'
            )
        self.empty.setVisible(not self.datasets)
        self.splitter.setVisible(bool(self.datasets))
        self.dataset_table.setRowCount(len(self.datasets))
        for row, d in enumerate(self.datasets):
            content = ", ".join(f"{k} {n}" for k, n in d["items_by_modality"].items())
            cache = f"{d['cache_bytes'] / 1e6:.1f} MB"
            if d["modality"] == "image":
                cache += f" at {d['cache_size']} px"
            _fill_row(
                self.dataset_table,
                row,
                [
                    d["name"],
                    d["modality"],
                    d["items"],
                    content,
                    d["errors"],
                    d["skipped"],
                    cache,
                ],
            )
        if self.datasets:
            self.dataset_table.selectRow(0)

    def _show_report(self) -> None:
        rows = self.dataset_table.selectionModel().selectedRows()
        if not rows or self.project is None:
            self.report_table.setRowCount(0)
            return
        dataset = self.datasets[rows[0].row()]
        with Store.open(self.project) as store:
            found = store.dataset(dataset["name"])
            errors = store.import_errors(found["id"]) if found else []
        self.report_title.setText(
            f"Import report of '{dataset['name']}': {len(errors)} files left out"
            if errors
            else f"Import report of '{dataset['name']}': every file was imported"
        )
        self.report_table.setVisible(bool(errors))
        self.report_table.setRowCount(len(errors))
        for row, error in enumerate(errors):
            _fill_row(
                self.report_table,
                row,
                [
                    error["severity"],
                    error["path"],
                    error["code"],
                    error["message"],
                ],
            )
