"""Runs: every pretraining and fine-tuning run of the project, their loss curves overlaid,
and the actions on runs (resume, open the folder, delete)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from ssl_studio.core.project.info import runs_overview
from ssl_studio.core.project.label_changes import changed_advice
from ssl_studio.core.project.store import Store
from ssl_studio.gui.background_read import BackgroundReader
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.live_plot import LivePlot, log_toggle
from ssl_studio.gui.markup import esc, rich
from ssl_studio.gui.panels.loss_curves import Curve, CurvesRead, GrowingCurve, read_loss_curves
from ssl_studio.gui.removal import delete_runs
from ssl_studio.gui.tables import fill_table, make_table, refill_table, selected_rows

COLUMNS = (
    "Run",
    "Kind",
    "Task",
    "Backbone",
    "Dataset",
    "Status",
    "Duration",
    "Final loss",
    "Quality",
    "Device",
)
RESUMABLE = ("stopped", "interrupted", "failed")
DELETE_TIP = (
    "Delete the selected runs with their folders and checkpoints, and the runs fine-tuned "
    "from them (you are asked first; exported models are kept)"
)


def _curve_key(run: dict[str, Any]) -> tuple[Any, ...] | None:
    """What a run's cached loss curve is valid for: its id with its status, steps and
    duration (a resumed run changes them all); None for a running run (its curve grows)."""
    if run["status"] == "running":
        return None
    return (run["id"], run["status"], run["steps"], run["seconds"])


def _shown(chosen: list[dict[str, Any]], keys: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a drawing of the ``chosen`` runs' curves (their ``keys``) shows: running runs
    by their ids too (their keys are all None: two of them are not the same curves)."""
    return tuple((run["id"], key) for run, key in zip(chosen, keys, strict=True))


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


QUALITY_NAMES = {"knn_accuracy": "kNN accuracy", "test_roc_auc": "test AUC"}


def _quality(run: dict[str, Any]) -> str:
    """Pretraining: the last online kNN accuracy; fine-tuning: the test AUC (named)."""
    if run["quality"] is None:
        return ""
    name = run.get("quality_title") or QUALITY_NAMES.get(run["quality_name"], run["quality_name"])
    return f"{name} {run['quality']:.3f}"


class RunsPanel(QWidget):
    """A table of runs; the loss curves of the selected ones; Resume, Open folder and
    Delete (also the Delete key)."""

    resume_requested = Signal(int, str)  # run id, dataset name

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.runs: list[dict[str, Any]] = []
        self.table = make_table(COLUMNS, multi=True)
        self.table.setAccessibleName("Runs")
        self.table.itemSelectionChanged.connect(self._selected)
        self.empty = QLabel(
            "No runs yet. Start one under <b>Pretrain</b>; it will be listed here with its "
            "curves, and an interrupted run can be resumed from here."
        )
        self.empty.setWordWrap(True)
        self.resume_button = QPushButton("Resume run")
        self.resume_button.clicked.connect(self._resume)
        self.folder_button = QPushButton("Open its folder")
        self.folder_button.clicked.connect(self._open_folder)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_selected)
        delete_key = QShortcut(QKeySequence.StandardKey.Delete, self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete_key.activated.connect(self.delete_selected)
        self.error = rich(QLabel())  # the run's error escaped
        self.error.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        self.plot = LivePlot(
            "Loss: select one or more runs in the table", y_label="loss", smooth=True
        )
        self.log_y = log_toggle(self.plot)
        # finished runs' loss curves, read once (a resumed or deleted run's key goes stale;
        # a run without a loss curve is asked again, which costs little)
        self.curve_cache: dict[tuple[Any, ...], Curve] = {}
        # running runs' curves as read so far (run id ->): a reload reads only what is new
        self.growing: dict[int, GrowingCurve] = {}
        self._plotted: tuple[Any, ...] | None = None  # the curves drawn (_shown)
        self._title = ""  # and the plot's title over them
        self._stale = False  # a running run's curve grew while the page was hidden
        self.reader = BackgroundReader(self)  # (off the GUI thread; see loss_curves.py)
        self.reader.arrived.connect(self._curves_read)
        self.reader.late.connect(self._keep_curves)
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.empty)
        column.addWidget(self.table, 1)
        column.addLayout(buttons)
        column.addWidget(self.error)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        bottom = QWidget()
        plot_column = QVBoxLayout(bottom)
        plot_column.setContentsMargins(0, 0, 0, 0)
        plot_column.addWidget(self.plot, 1)
        plot_column.addWidget(self.log_y, 0, Qt.AlignmentFlag.AlignRight)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        context.changed.connect(self._changed)
        # a job's start or end changes what the buttons may do, not the curves
        context.runner.busy_changed.connect(lambda _busy: self._update_buttons())
        self.reload()

    def _changed(self, what: str) -> None:
        if what == "project":  # (another project's runs may have the same ids)
            self.curve_cache.clear()
            self.growing.clear()
            self._plotted = None
        if what == "curves":  # (a running run's curve grew, in another process)
            self._grown()
        elif what in ("project", "runs", "datasets"):
            self.reload(keep_selection=what != "project")

    def _grown(self) -> None:
        """A running run's curve grew in another process (every few seconds while it
        trains): only the running runs' rows, and the curves of the selected running runs,
        are read again, not every run; while the page is hidden, nothing until it is shown
        (then the runs are read again once)."""
        if not self.isVisible():
            self._stale = True
            return
        running = [run for run in self.runs if run["status"] == "running"]
        if self.context.project is None or not running:
            return
        grown: dict[int, tuple[Any, int | None]] = {}
        with self.context.reading(self) as read, Store.open(self.context.project) as store:
            newest = store.newest_checkpoint_steps()
            for run in running:
                points = store.metrics(run["id"], run["quality_name"])
                grown[run["id"]] = (points[-1][1] if points else None, newest.get(run["id"]))
        if read.error:
            return
        for run in running:
            quality, steps = grown[run["id"]]
            run["quality"] = quality if quality is not None else run["quality"]
            known = [s for s in (run["steps"], steps) if s is not None]
            run["steps"] = max(known) if known else None
        self.table.blockSignals(True)
        try:
            refill_table(self.table, self._rows())  # (the same runs: the cells changed)
        finally:
            self.table.blockSignals(False)
        self._selected()  # (a selected running run's curve: from where its last read ended)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:  # (a running run's curve grew while the page was hidden)
            self.reload()

    def _rows(self) -> list[list[Any]]:
        return [
            [
                run["id"],
                run["kind"],
                run["task"],
                run["backbone"],
                run["dataset"],
                run.get("status_text") or run["status"],  # (read-only: may be cut off)
                _duration(run["seconds"]),
                f"{run['final_loss']:.4f}" if run["final_loss"] is not None else "",
                _quality(run),
                run["device"],
            ]
            for run in self.runs
        ]

    def reload(self, keep_selection: bool = True) -> None:
        """Read the runs again; the runs selected stay selected (when still there), and
        the table scrolled where it was, unless ``keep_selection`` is off (another
        project: its run 2 is not this one's)."""
        chosen = {run["id"] for run in self.selected()} if keep_selection else set()
        self._stale = False
        self.runs = []
        if self.context.project is not None:
            with self.context.reading(self), Store.open(self.context.project) as store:
                self.runs = runs_overview(store)
        rows = self._rows()
        self.table.blockSignals(True)  # one redraw below, not one per row emptied/selected
        try:
            if keep_selection:  # (the same runs: only the cells that changed are set)
                refill_table(self.table, rows)
            else:
                fill_table(self.table, rows)
            self._select_ids(chosen)
        finally:
            self.table.blockSignals(False)
        self.empty.setVisible(not self.runs)
        self.table.setVisible(bool(self.runs))
        keys = {_curve_key(run) for run in self.runs}
        self.curve_cache = {k: v for k, v in self.curve_cache.items() if k in keys}
        running = {run["id"] for run in self.runs if run["status"] == "running"}
        self.growing = {i: c for i, c in self.growing.items() if i in running}
        self._selected()

    def _select_ids(self, run_ids: set[int]) -> None:
        """Select the rows of ``run_ids`` (and only those), in one selection change."""
        model = self.table.selectionModel()
        selection = QItemSelection()
        last = self.table.columnCount() - 1
        for row, run in enumerate(self.runs):
            if run["id"] in run_ids:
                top = self.table.model().index(row, 0)
                selection.select(top, self.table.model().index(row, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        model.select(selection, flags | QItemSelectionModel.SelectionFlag.Rows)

    def selected(self) -> list[dict[str, Any]]:
        return [self.runs[r] for r in selected_rows(self.table)]

    def select_run(self, run_id: int) -> None:
        for row, run in enumerate(self.runs):
            if run["id"] == run_id:
                self.table.selectRow(row)

    def _selected(self) -> None:
        chosen = self.selected()
        self._plot_losses(chosen)
        self._update_buttons(chosen)

    def _update_buttons(self, chosen: list[dict[str, Any]] | None = None) -> None:
        """Enable the actions the selected runs allow (none while a job runs but Open)."""
        chosen = self.selected() if chosen is None else chosen
        one = chosen[0] if len(chosen) == 1 else None
        resumable = bool(one and one["kind"] == "pretrain" and one["status"] in RESUMABLE)
        self.context.enable_change(self.resume_button, resumable and not self.context.runner.busy)
        self.folder_button.setEnabled(one is not None)
        idle = not self.context.runner.busy
        self.context.enable_change(self.delete_button, bool(chosen) and idle, DELETE_TIP)
        said = [f"<b>Why it failed:</b> {esc(one['error'])}"] if one and one.get("error") else []
        if one and one.get("labels_changed"):
            said.append(esc(changed_advice(one["labels_changed"])))
        self.error.setText("<br>".join(said))

    def _plot_losses(self, chosen: list[dict[str, Any]]) -> None:
        """The loss curves of the chosen runs, or a title saying why there is none. A
        finished run's curve is read once (``curve_cache``), a running one's from where
        its last read ended (``growing``), off the GUI thread (see loss_curves.py); the
        same curves are not drawn again."""
        if self.context.project is None or not chosen:
            self.reader.forget()  # (a read under way is for another selection)
            self._plotted = None
            self.plot.reset_view("Loss: select one or more runs in the table")
            return
        keys = tuple(_curve_key(run) for run in chosen)
        shown = _shown(chosen, keys)
        missing = {
            run["id"]: key
            for run, key in zip(chosen, keys, strict=True)
            if key not in self.curve_cache
        }
        if not missing:
            self.reader.forget()
            if shown != self._plotted:  # (else a reload that changed nothing of these runs)
                self._draw(chosen, keys)
            return
        since = {i: self.growing[i].next_from for i in missing if i in self.growing}
        if shown != self._plotted:
            self._plotted = None
            self.plot.reset_view("Loss of the selected runs: reading…")
        project = self.context.project
        self.reader.read(lambda: read_loss_curves(project, missing, since))

    def reading(self) -> bool:
        """Whether loss curves are being read (for the selection, or no longer wanted)."""
        return self.reader.reading()

    def _keep_curves(self, read: CurvesRead | None) -> None:
        """Keep the finished runs' curves ``read`` brought when they are still the
        project's (also those of a read for an earlier selection; None: the read
        raised, so nothing to keep)."""
        if read is None or read.project != self.context.project or read.error:
            return  # another project was opened meanwhile (or nothing was read)
        listed = {_curve_key(run) for run in self.runs}  # (not a run deleted meanwhile)
        for run_id, curve in read.curves.items():
            key = read.keys[run_id]  # what the run was when read (it may have changed)
            if key is not None and key in listed and curve is not None:  # (no loss yet:
                self.curve_cache[key] = curve  # asked again)

    def _curves_read(self, read: CurvesRead | None) -> None:
        """The curves the read for the selection brought: kept, and drawn."""
        if read is None or read.project != self.context.project:
            return  # (a failed read was logged) another project was opened meanwhile
        if read.error:
            self.plot.reset_view("Loss: the project could not be read")
            self.context.cannot_read(self, read.error)
            return
        self._keep_curves(read)
        running = {run["id"] for run in self.runs if run["status"] == "running"}
        for run_id, key in read.keys.items():
            if key is None and run_id in running:
                since, tail = read.since.get(run_id), read.curves[run_id]
                checkpoint = read.checkpoints.get(run_id)
                growing = self.growing.get(run_id)
                if since is None or growing is None:
                    self.growing[run_id] = GrowingCurve.read(tail, since, checkpoint)
                else:
                    self.growing[run_id] = growing.extended(tail, since, checkpoint)
        chosen = self.selected()
        self._draw(chosen, tuple(_curve_key(run) for run in chosen))

    def _draw(self, chosen: list[dict[str, Any]], keys: tuple[Any, ...]) -> None:
        """Draw the curves of ``chosen`` (with their ``keys``) from the cache, or from
        ``growing`` for running runs. The same runs drawn again (a running run's curve
        grew) keep the view the user zoomed or moved to."""
        curves: dict[int, Curve] = {}
        for run, key in zip(chosen, keys, strict=True):
            growing = self.growing.get(run["id"]) if key is None else None
            curves[run["id"]] = growing.curve() if growing else self.curve_cache.get(key)
        silent = [str(run["id"]) for run in chosen if curves.get(run["id"]) is None]
        title = "Loss of the selected runs"
        if silent:
            which = "run " + silent[0] if len(silent) == 1 else "runs " + ", ".join(silent)
            title += f" ({which}: no loss recorded)"
        shown = _shown(chosen, keys)
        if shown != self._plotted or title != self._title:
            self.plot.reset_view(title)
            self._title = title
        for run in chosen:
            curve = curves.get(run["id"])
            if curve is not None:
                self.plot.set_curve(f"run {run['id']}", *curve)
        self._plotted = shown

    def _resume(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.resume_requested.emit(chosen[0]["id"], chosen[0]["dataset"])

    def _open_folder(self) -> None:
        chosen = self.selected()
        if chosen and self.context.project is not None:
            folder = self.context.project / chosen[0]["folder"]
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def delete_selected(self) -> bool:
        """Ask, then delete the selected runs (and the runs made from them) in a job."""
        chosen = self.selected()
        if not chosen or not self.delete_button.isEnabled():
            return False
        return delete_runs(self, self.context, [run["id"] for run in chosen])
