"""Pretrain: choose data, pretext task, backbone and preset (the form on the left);
start the run and watch it live (loss, learning rate, speed, health), with Pause/Stop."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSplitter, QWidget

from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Event
from ssl_studio.core.jobs import pretrain
from ssl_studio.core.project.store import Store
from ssl_studio.gui import dialogs
from ssl_studio.gui.background_read import BackgroundReader
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.focus_keeper import FocusKeeper
from ssl_studio.gui.panels.loss_curves import StoredHistory, read_stored_history
from ssl_studio.gui.panels.pretrain_form import PretrainForm
from ssl_studio.gui.panels.training_view import HISTORY, IDLE, IDLE_WITH_RUNS, TrainingView
from ssl_studio.gui.screen_fit import scrolling


class PretrainPanel(QWidget):
    """The setup form on the left, the live view of the running (or last) run on the right,
    with a splitter between them. Each scrolls up and down itself where the window is too
    low for it (the form, on a 1024 x 600 screen), so the window does not wrap the page in
    another vertical scroll area (``scrolls_itself``)."""

    scrolls_itself = True

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.active = False  # a run started from this panel is running
        self.last_summary: dict[str, Any] | None = None
        self.form = PretrainForm(context)

        self.start_button = QPushButton("Start pretraining")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Saves a checkpoint, then stops; the run can be resumed.")
        self.stop_button.clicked.connect(self.context.runner.stop)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        # Start pressed from the keyboard hands the focus to Pause, the run's end back
        self.focus_keeper = FocusKeeper(self.start_button, self.pause_button, self.stop_button)
        self.view = TrainingView()
        self.view.layout_top.insertLayout(0, buttons)
        # Tab: the form, Start, Pause, Stop, then the view's Log scale (made before the
        # buttons joined the view, it came first)
        QWidget.setTabOrder(self.stop_button, self.view.loss_log_y)
        # the stored curves of a run being resumed (off the GUI thread)
        self.history_reader = BackgroundReader(self)
        self.history_reader.arrived.connect(self._stored_read)

        view_area = scrolling(self.view, "Live view of the run")
        view_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = view_area.verticalScrollBar().sizeHint().width()  # (room for it: none cut)
        view_area.setMinimumWidth(self.view.minimumSizeHint().width() + bar)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.form)
        self.splitter.addWidget(view_area)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # (the form and the view have their own)
        layout.addWidget(self.splitter)
        context.changed.connect(self._changed)
        context.runner.reported.connect(self._event)
        context.runner.busy_changed.connect(self._busy)
        context.runner.paused_changed.connect(self._paused)
        context.runner.stopping.connect(lambda: self._busy(True))  # Stop pressed: once
        self.form.dataset_changed.connect(lambda: self._busy(self.context.runner.busy))
        self._busy(False)
        self.form.reload()

    def _changed(self, what: str) -> None:
        if what == "project" and not self.context.runner.busy:
            self.view.status.setText(
                "This project is read-only, and pretraining writes to it: point at “Read-only"
                " project” in the status bar for what to do."
                if self.context.read_only
                else self._idle_text()
            )
        if what == "project" and not self.active:  # the last run's curves belong to the
            self.history_reader.forget()  # other project
            self.view.clear()
        if what == "runs" and not self.active:
            self._forget_deleted_run()

    def _forget_deleted_run(self) -> None:
        """Runs were deleted (Runs → Delete…): the view forgets the run it showed when that
        run is gone, and the idle text says again whether earlier runs are listed."""
        shown = (self.last_summary or {}).get("run_id")
        idle = self.view.status.text() in (IDLE, IDLE_WITH_RUNS)
        if shown is None and not idle:
            return  # (a failure's message, or a run starting)
        if self.context.project is None:
            return
        earlier = False
        with self.context.reading(self), Store.open(self.context.project) as store:
            if shown is not None and not store.run_removed(shown):
                return
            earlier = any(r["kind"] == "pretrain" for r in store.runs())  # (one read)
        self.last_summary = None
        self.history_reader.forget()
        self.view.clear()
        self.view.status.setText(IDLE_WITH_RUNS if earlier else IDLE)

    def _idle_text(self) -> str:
        """What the live view says before a run of this session: where earlier runs are."""
        earlier = False
        if self.context.project is not None:
            with self.context.reading(self), Store.open(self.context.project) as store:
                earlier = any(r["kind"] == "pretrain" for r in store.runs())
        return IDLE_WITH_RUNS if earlier else IDLE

    # ---- running ---------------------------------------------------------------------------

    def start(self) -> bool:
        if self.form.modality() is None:
            dialogs.show_error(self, "Pretraining", self.form.no_dataset())
            return False
        try:
            cfg = self.form.config()
            cfg.validate()
        except SSLStudioError as exc:
            dialogs.show_error(self, "Pretraining", str(exc))
            return False
        # the run would learn from part of the data only (asked only when it can start)
        partial = None if self.context.runner.busy else self.form.unfinished_import()
        if partial is not None and not self.context.read_only:
            if not dialogs.confirm(
                self,
                "Pretrain on part of the dataset?",
                f"'{cfg.dataset}' is only partly imported. {partial}\n\nPretrain on what is "
                "imported so far anyway? Choose No to finish the import first (Data: "
                "import the folder again).",
                default_no=True,
            ):
                return False
            cfg.allow_partial_import = True
        return self.run(cfg, f"Pretraining {cfg.task or 'default'} on '{cfg.dataset}'")

    def resume(self, run_id: int, dataset: str) -> bool:
        """Continue run ``run_id`` from its newest checkpoint."""
        assert self.context.project is not None
        cfg = PretrainConfig(project=self.context.project, dataset=dataset, resume_run=run_id)
        return self.run(cfg, f"Resuming run {run_id}")

    def run(self, cfg: PretrainConfig, title: str) -> bool:
        def work(report: Any, stop: Any) -> dict[str, Any]:
            return pretrain(cfg, report=report, stop=stop)

        # active as the job starts (its events are queued to this thread: none is lost), so
        # Pause and Stop light up as Start goes off (the focus on Start goes to Pause)
        was_active, self.active = self.active, True
        # (cut off, a run is resumable: the window may offer to quit without waiting)
        if not self.context.run(self, title, work, self._done, self._failed, resumable=True):
            self.active = was_active  # refused: the running job (perhaps this panel's run)
            return False  # keeps its view
        self._busy(True)  # Pause and Stop light up for this panel's run
        self.view.clear()
        self.view.health_every = cfg.train.health_every_steps
        self.history_reader.forget()  # (a resumed run's, read for the run before)
        if cfg.resume_run is not None:  # the run's curves so far, before its new points
            self._read_stored(cfg.resume_run)
        self.view.status.setText("Preparing the data and the network…")
        return True

    def _read_stored(self, run_id: int) -> None:
        """Read what the live view needs of run ``run_id``, being resumed, off the GUI
        thread (see ``read_stored_history``); its new points may come first."""
        assert self.context.project is not None
        project, metrics = self.context.project, [metric for metric, *_ in HISTORY]
        self.history_reader.read(lambda: read_stored_history(project, run_id, metrics))

    def _stored_read(self, stored: StoredHistory | None) -> None:
        if stored is None:
            return  # (a failed read was logged)
        if stored.error:
            self.context.cannot_read(self, stored.error)
            return
        self.view.show_history(stored.history)
        self.view.health_every = stored.health_every

    def _event(self, event: Event) -> None:
        if self.active and event.job == "pretrain":
            self.view.show_event(event, self.context.runner.paused)

    def _done(self, summary: dict[str, Any]) -> None:
        self.active = False
        self.last_summary = summary
        self.view.show_done(summary)
        self.context.notify("runs")

    def _failed(self, message: str) -> None:
        self.active = False
        self.view.show_failed(message)
        self.context.notify("runs")

    def _busy(self, busy: bool) -> None:
        startable = not busy and self.form.modality() is not None
        controls = busy and self.active and not self.context.runner.stop_asked
        self.focus_keeper.set_enabled(
            (
                (self.start_button, startable and not self.context.read_only),
                (self.pause_button, controls),
                (self.stop_button, controls),
            )
        )
        self.context.enable_change(self.start_button, startable)  # (its tooltip)
        if self.form.partial_note and not self.context.read_only:
            self.start_button.setToolTip(
                "Only part of this dataset is imported: Start asks before it trains on that "
                "part. Import the folder again (Data) to finish it first."
            )
        if not busy:
            self.pause_button.setText("Pause")

    def _toggle_pause(self) -> None:
        if self.context.runner.paused:
            self.context.runner.resume()
        else:
            self.context.runner.pause()

    def _paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if self.active:  # the note comes and goes with the pause
            self.view.show_paused(paused)
