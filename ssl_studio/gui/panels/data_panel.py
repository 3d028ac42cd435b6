"""Data: the project's datasets, a thumbnail grid of the chosen one, the item viewer and the
import report. Folders dropped anywhere on the window are imported from here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.studio_folders import studio_folder
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.jobs import import_data, import_target_name
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui import dialogs
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.erasure_dialog import erase_from_dataset
from ssl_studio.gui.import_options import ImportOptionsDialog, describe
from ssl_studio.gui.label_export import export_labels_dialog
from ssl_studio.gui.markup import esc, rich
from ssl_studio.gui.panels.data_summary import note_count, report_title, summary_text
from ssl_studio.gui.panels.import_questions import choose_target
from ssl_studio.gui.removal import remove_dataset
from ssl_studio.gui.row_table import RowTable
from ssl_studio.gui.tables import ColumnCaps
from ssl_studio.gui.thumbnails import (
    ThumbnailModel,
    columns_width,
    go_back,
    grid_place,
    thumbnail_view,
)
from ssl_studio.gui.viewer import ItemViewer

REPORT_COLUMNS = ("Result", "File", "Code", "Reason or note")
REMOVE_TIP = (
    "Remove the chosen dataset from the project with its labels, cache and runs (you are "
    "asked first; your original files and exported models are kept)"
)
ERASE_TIP = (
    "For a patient who withdrew consent: erase their items, labels and cached data from "
    "the chosen dataset, by their ID or their files (you are asked first)"
)
REPORT_SHARE = 0.6  # of the panel's width the import report takes while shown
EMPTY = (
    "<h3>No data yet</h3><p>Drop a folder of DICOM files, PNG/TIFF images or CSV/NPY "
    "time series anywhere on this window, or use <b>Import folder…</b>.</p>"
    "<p>Files are read once into the project's cache; your originals are never changed.</p>"
)


class DataPanel(QWidget):
    """Datasets (left), thumbnails (middle), viewer and import report (right).

    ``open_project_requested(path)``: a project folder given to import was to be opened
    instead (the main window opens it, as File → Open project does)."""

    open_project_requested = Signal(Path)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.datasets: list[dict[str, Any]] = []
        self.view: DatasetView | None = None
        self.last_import: dict[str, Any] | None = None
        self.report_notes = 0  # notes on imported files in the shown dataset's report

        self.dataset_list = QListWidget()
        self.dataset_list.currentRowChanged.connect(self._dataset_chosen)
        import_button = QPushButton("Import folder…")
        import_button.clicked.connect(self.choose_folder)
        import_files = QPushButton("Import files…")
        import_files.clicked.connect(self.choose_files)
        options_button = QPushButton("Import options…")
        options_button.setToolTip("Kind of files, cache size, CSV layout, sampling rate")
        options_button.clicked.connect(self.edit_import_options)
        self.import_options: dict[str, Any] = {}  # changes from ImportConfig's defaults
        self.options_note = rich(QLabel())  # (options typed by the user: escaped)
        self.options_note.setWordWrap(True)
        self.options_note.hide()
        self.import_buttons = (import_button, import_files)
        self.labels_button = QPushButton("Export labels…")
        self.labels_button.setToolTip(
            "Write one of the chosen dataset's label sets to a CSV file (item_id, label, "
            "the item's file and index): for another tool, a colleague or a backup"
        )
        self.labels_button.clicked.connect(self.export_labels)
        self.remove_button = QPushButton("Remove dataset…")
        self.remove_button.clicked.connect(self.remove_dataset)
        self.erase_button = QPushButton("Erase a patient…")
        self.erase_button.clicked.connect(self.erase_patient)
        context.runner.busy_changed.connect(lambda _busy: self._dataset_buttons())
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        title = QLabel("&Datasets")  # Alt+D: the list (a label of rich text has no key)
        bold = title.font()
        bold.setBold(True)
        title.setFont(bold)
        title.setBuddy(self.dataset_list)
        column.addWidget(title)
        column.addWidget(self.dataset_list, 1)
        column.addWidget(import_button)
        column.addWidget(import_files)
        column.addWidget(options_button)
        column.addWidget(self.options_note)
        column.addWidget(self.labels_button)
        column.addSpacing(12)  # (apart from the imports: it deletes)
        column.addWidget(self.remove_button)
        column.addWidget(self.erase_button)

        self.summary = rich(QLabel())  # summary_text: names escaped
        self.summary.setWordWrap(True)
        self.model = ThumbnailModel()
        self.grid = thumbnail_view(self.model)
        self.grid.setAccessibleName("Items of the dataset")
        self.grid.selectionModel().selectionChanged.connect(self._item_chosen)
        self.grid.setMinimumWidth(columns_width(self.grid, 2))  # not one cut column
        self.empty = QLabel(EMPTY)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        middle = QWidget()
        column = QVBoxLayout(middle)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.summary)
        column.addWidget(self.grid, 1)
        column.addWidget(self.empty, 1)

        self.viewer = ItemViewer()
        self.report_title = rich(QLabel())  # report_title: the name escaped
        self.report_title.setWordWrap(True)
        self.report_table = RowTable(REPORT_COLUMNS)  # (any number of rows, at once)
        self.report_table.setAccessibleName("Import report: files not imported")
        # the file and the code leave the reason room; a path is elided in its middle
        self.report_caps = ColumnCaps(self.report_table, {1: 0.25, 2: 0.16}, wrap_rows=500)
        report = self.report_page = QWidget()
        column = QVBoxLayout(report)
        column.addWidget(self.report_title)
        column.addWidget(self.report_table, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.viewer, "Viewer")
        self.tabs.addTab(report, "Import report")

        splitter = self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left, middle, self.tabs):
            splitter.addWidget(widget)
        splitter.setStretchFactor(1, 2)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([200, 520, 480])
        self._viewer_sizes: list[int] | None = None  # the splitter's, before the report widened
        self.tabs.currentChanged.connect(self._room_for_tab)
        layout = QHBoxLayout(self)
        layout.addWidget(splitter)
        context.changed.connect(self._changed)
        context.show_item.connect(self.show_item)
        context.releasing.connect(self._release)
        self.reload()

    def _room_for_tab(self, index: int) -> None:
        """The import report's file, code and reason need more width than the viewer: its
        tab takes at least 60 % of the panel while shown (the thumbnails give it up), and
        the sizes from before come back with the viewer."""
        sizes = self.splitter.sizes()
        if self.tabs.widget(index) is self.report_page:
            total = sum(sizes)
            if total and sizes[2] < REPORT_SHARE * total:
                self._viewer_sizes = sizes
                right = int(REPORT_SHARE * total)
                self.splitter.setSizes([sizes[0], max(total - right - sizes[0], 0), right])
        elif self._viewer_sizes is not None:  # in proportion: the window may have resized
            before, total = sum(self._viewer_sizes), sum(sizes)
            self.splitter.setSizes([round(n * total / before) for n in self._viewer_sizes])
            self._viewer_sizes = None

    # ---- reading the project ---------------------------------------------------------------

    def _changed(self, what: str) -> None:
        if what == "labels" and self.view is not None:
            self._labels_changed()
        elif what in ("project", "datasets", "labels"):
            self.reload(keep=what != "project")

    def _labels_changed(self) -> None:
        """Labels were saved: read the shown dataset's labels again, not its items (the
        items and the dataset list stay as they are)."""
        row = self.dataset_list.currentRow()
        if self.view is None or self.context.project is None or not 0 <= row < len(self.datasets):
            return
        d = self.datasets[row]
        labels: dict[int, str] | None = None
        with self.context.reading(self), Store.open(self.context.project) as store:
            found = store.dataset(d["name"])
            labels = store.latest_label_set(found["id"]) if found else {}
        if labels is None:  # the project cannot be read (told): keep what is shown
            return
        self.model.set_labels(labels)
        self._summarize(d, labels)

    def reload(self, keep: bool = False) -> None:
        """Read the datasets again. ``keep`` (the same project: a change of its datasets,
        here or by another process): the dataset shown is read again only when it
        changed, and then its chosen item and the grid's scroll stay."""
        for button in self.import_buttons:  # a read-only project cannot take new data
            self.context.enable_change(button)
        current = self.current_dataset()
        before = {d["name"]: d for d in self.datasets} if keep else {}
        place = grid_place(self.grid, self.model) if keep else None
        self.datasets = []
        if self.context.project is not None:
            with self.context.reading(self):
                self.datasets = project_info(self.context.project)["datasets"]
        self.dataset_list.blockSignals(True)
        self.dataset_list.clear()
        for d in self.datasets:
            self.dataset_list.addItem(f"{d['name']}  ({d['items']} {d['modality']})")
        self.dataset_list.blockSignals(False)
        names = [d["name"] for d in self.datasets]
        has_data = bool(self.datasets)
        self.grid.setVisible(has_data)
        self.empty.setVisible(not has_data)
        self.summary.setVisible(has_data)
        self._dataset_buttons()
        if has_data:
            name = current if current in names else names[0]
            row = names.index(name)
            shown = self.view is not None and self.view.name == name
            if shown and before.get(name) == self.datasets[row]:
                self.dataset_list.blockSignals(True)  # unchanged: it stays as it is shown
                self.dataset_list.setCurrentRow(row)
                self.dataset_list.blockSignals(False)
            else:
                self.select_dataset(name)
                go_back(self.grid, self.model, place)
        else:
            self._let_go()
            self.report_table.set_rows([])
            self.report_title.setText("Nothing imported yet.")

    def _release(self, dataset: str) -> None:
        """``dataset`` is about to be removed: close its cache files if it is shown."""
        if self.view is not None and self.view.name == dataset:
            self._let_go()

    def _let_go(self) -> None:
        """Show no dataset (its cache files are closed)."""
        self.view = None
        self.viewer.clear("Nothing to view yet: the items you import are shown here.")
        self.model.set_view(None)

    def _dataset_buttons(self) -> None:
        """Export labels… and Remove dataset… on (the latter not during a job)."""
        idle = not self.context.runner.busy
        self.context.enable_change(self.remove_button, bool(self.datasets) and idle, REMOVE_TIP)
        self.context.enable_change(self.erase_button, bool(self.datasets) and idle, ERASE_TIP)
        self.labels_button.setEnabled(bool(self.datasets))  # (it only reads the project)

    def export_labels(self) -> bool:
        """Data → Export labels…: a label set of the chosen dataset to a CSV file."""
        name = self.current_dataset()
        if name is None or self.context.project is None:
            return False
        return export_labels_dialog(self, self.context.project, name)

    def remove_dataset(self) -> bool:
        """Ask, then remove the chosen dataset (with its runs) in a job."""
        name = self.current_dataset()
        if name is None or not self.remove_button.isEnabled():
            return False
        return remove_dataset(self, self.context, name)

    def erase_patient(self) -> bool:
        """Ask whom to erase from the chosen dataset (a patient, or files), then erase."""
        name = self.current_dataset()
        if name is None or not self.erase_button.isEnabled():
            return False
        return erase_from_dataset(self, self.context, name)

    def current_dataset(self) -> str | None:
        row = self.dataset_list.currentRow()
        return self.datasets[row]["name"] if 0 <= row < len(self.datasets) else None

    def select_dataset(self, name: str) -> None:
        names = [d["name"] for d in self.datasets]
        if name in names:
            if self.dataset_list.currentRow() == names.index(name):
                self._dataset_chosen(names.index(name))
            else:
                self.dataset_list.setCurrentRow(names.index(name))

    def _dataset_chosen(self, row: int) -> None:
        if not 0 <= row < len(self.datasets) or self.context.project is None:
            return
        d = self.datasets[row]
        project = self.context.project
        self.viewer.clear()
        try:
            self.view = DatasetView.open(project, d["name"], lean=True)
            with Store.open(project) as store:
                found = store.dataset(d["name"])
                labels = store.latest_label_set(found["id"]) if found else {}
                errors = store.import_errors(found["id"]) if found else []
        except SSLStudioError as exc:  # e.g. its cache deleted outside the app
            self.view = None
            self.model.set_view(None)
            self.summary.setText(f"<b>{esc(d['name'])}</b> cannot be shown: see the message.")
            dialogs.show_error(self, "Cannot read the dataset", str(exc))
            return
        self.model.set_view(self.view, labels)
        self.report_notes = note_count(errors)
        stopped = self._summarize(d, labels)
        self._show_report(d["name"], errors, stopped)
        if self.view.items:
            self.grid.setCurrentIndex(self.model.index(0))

    def _summarize(self, d: dict[str, Any], labels: dict[int, str]) -> str:
        """Say what dataset ``d`` holds above the thumbnails; returns what its imports
        left undone (as markup), or ""."""
        text, stopped = summary_text(d, len(labels), self.report_notes)
        self.summary.setText(text)
        return stopped

    def _show_report(self, name: str, errors: list[dict[str, Any]], stopped: str = "") -> None:
        """``stopped``: what the dataset's imports left undone (unfinished_note, as markup).
        ``errors``: the files left out, and notes on imported ones (their columns)."""
        self.report_title.setText(report_title(name, errors, stopped))
        rows = [(e["severity"], e["path"], e["code"], e["message"]) for e in errors]
        self.report_table.set_rows(rows)
        self.report_caps.fit()
        if len(errors) <= self.report_caps.wrap_rows:  # the reason wraps instead of being cut
            self.report_table.resizeRowsToContents()

    def _item_chosen(self, selected: QItemSelection, _: QItemSelection) -> None:
        indexes = selected.indexes()
        if indexes and self.view is not None:
            self.viewer.show_item(self.view, indexes[0].row())

    def show_item(self, dataset: str, item_id: int) -> None:
        """Open item ``item_id`` of ``dataset`` in the viewer (from the embedding map)."""
        if self.view is None or self.view.name != dataset or self.current_dataset() != dataset:
            self.select_dataset(dataset)  # (a dataset already shown is not read again)
        if self.view is None or self.view.name != dataset:
            return
        row = self.view.row_of(item_id)
        if row is not None and row < self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(row))
            self.grid.scrollTo(self.model.index(row))
            self.tabs.setCurrentWidget(self.viewer)

    # ---- importing -------------------------------------------------------------------------

    def edit_import_options(self) -> None:
        dialog = ImportOptionsDialog(self, self.import_options)
        if dialog.exec():
            self.set_import_options(dialog.options())

    def set_import_options(self, options: dict[str, Any]) -> None:
        """Use ``options`` (changes from the defaults) for the next imports, and say so
        under the buttons while any is set."""
        self.import_options = dict(options)
        text = describe(self.import_options)
        self.options_note.setText(f"<i>Next imports: {esc(text)}</i>" if text else "")
        self.options_note.setVisible(bool(text))

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a folder")
        if folder:
            self.import_paths([Path(folder)])

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import files")
        if files:
            self.import_paths([Path(f) for f in files])

    def import_paths(self, paths: list[Path]) -> bool:
        """Import ``paths`` into a dataset named after the first folder (a re-import of
        the same folder goes into the same dataset and only reads what changed). A folder
        that is an SSL Studio project is offered to be opened instead; one that cannot be
        read is said so in a dialog."""
        if self.context.project is None or not paths:
            return False
        cfg = ImportConfig(project=self.context.project, paths=list(paths), **self.import_options)
        try:
            if self._offered_project(paths):
                return False
        except SSLStudioError as exc:
            dialogs.show_error(self, "Cannot import", str(exc))
            return False
        if not choose_target(self, cfg, own=self.context.project):
            return False
        try:  # named as stored: a new dataset's name is known once its files were read
            into = import_target_name(cfg)
        except SSLStudioError as exc:
            dialogs.show_error(self, "Cannot import", str(exc))
            return False
        title = f"Importing into '{into}'" if into else "Importing into a new dataset"

        def work(report: Any, stop: Any) -> dict[str, Any]:
            return import_data(cfg, report=report, stop=stop)

        return self.context.run(self, title, work, self._imported)

    def _offered_project(self, paths: list[Path]) -> bool:
        """When a folder given is an SSL Studio project: say so, and offer to open it
        (unless it is the open one). True when it was one (nothing is imported)."""
        project = next((p for p in paths if p.is_dir() and studio_folder(p) == "project"), None)
        if project is None:
            return False
        assert self.context.project is not None
        if project.resolve() == self.context.project.resolve():
            own = f"{project} is this project's own folder: it holds no data to import."
            dialogs.show_error(self, "Cannot import", own)
        elif dialogs.confirm(
            self,
            "Open this project?",
            f"{project} is an SSL Studio project, not a folder of data. Open it instead of "
            "importing it?",
        ):
            self.open_project_requested.emit(project)
        return True

    def _imported(self, summary: dict[str, Any]) -> None:
        self.last_import = summary
        self.context.notify("datasets")
        self.context.notify("labels")  # (the files' label columns: a label set of its own)
        self.select_dataset(summary["dataset"])
        # what it said of imported files (a channel out of place) is read in the report
        noted = (self.context.runner.warnings or summary.get("noted")) and self.report_notes
        if summary.get("failed") or summary.get("skipped") or summary.get("cancelled") or noted:
            self.tabs.setCurrentIndex(1)
