"""The main window: the welcome screen, then the workflow Data → Pretrain → Fine-tune →
Runs → Map → Export, with the device, the running job and its progress in the status bar.

Widgets never call torch or write SQL: panels build configs and hand them to the one
JobRunner, and read the project through core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ssl_studio import __version__
from ssl_studio.core.data.studio_folders import studio_folder
from ssl_studio.core.errors import ProjectReadOnlyError, SSLStudioError
from ssl_studio.core.jobs import create_demo, create_project, hardware, recover_interrupted
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.upgrade import take_upgrades
from ssl_studio.core.wording import counted
from ssl_studio.gui import dialogs, wheel_guard
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.job_status import JobStatus
from ssl_studio.gui.jobs import JobRunner, default_cpu_threads
from ssl_studio.gui.log_panel import LogPanel
from ssl_studio.gui.main_menus import build_menus
from ssl_studio.gui.markup import no_shortcut, tip
from ssl_studio.gui.panels.data_panel import DataPanel
from ssl_studio.gui.panels.export_panel import ExportPanel
from ssl_studio.gui.panels.finetune_panel import FinetunePanel
from ssl_studio.gui.panels.map_panel import MapPanel
from ssl_studio.gui.panels.pretrain_panel import PretrainPanel
from ssl_studio.gui.panels.runs_panel import RunsPanel
from ssl_studio.gui.panels.welcome_panel import WelcomePanel
from ssl_studio.gui.project_watch import ProjectWatch
from ssl_studio.gui.recent_projects import (
    UNAVAILABLE,
    forget_all,
    is_missing,
    missing_message,
    notes_within,
    remember,
    remembered,
)
from ssl_studio.gui.screen_fit import cap_minimum, fit_to_screen, scrolling
from ssl_studio.gui.step_list import step_list
from ssl_studio.gui.window_closing import WindowClosing
from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard
from ssl_studio.resources import guide_text

STEPS = ("Data", "Pretrain", "Fine-tune", "Runs", "Map", "Export")
DEMO_DIR = Path.home() / "SSL Studio" / "demo"
NOT_LOCAL = (  # what dropping a web link or an unmounted share (https://, smb://) says
    "Only files and folders on this computer can be dropped: mount the share (or copy "
    "the files to this computer), then drop the mounted folder."
)


class MainWindow(QMainWindow):
    """One window for the whole journey; ``open_project`` switches from welcome to work."""

    recent_menu: QMenu  # (made by build_menus, with the rest of the menu bar)
    import_action: QAction
    wizard_actions: list[QAction]  # Ctrl+P, Ctrl+. and F1 work in the wizard too
    guide: QDialog | None = None  # Help → Guide's window, once opened

    def __init__(self, project: Path | None = None, *, settings: QSettings | None = None) -> None:
        super().__init__()
        wheel_guard.install()  # the wheel scrolls a page; it changes a field with focus only
        self.settings = settings or QSettings()
        self.runner = JobRunner(self, cpu_threads=default_cpu_threads())
        self.context = AppContext(self.runner)
        self.wizard: FinetuneWizard | None = None
        self.unattended = False  # closing without questions (a signal; see app.py)
        self.window_closing = WindowClosing(self)
        self.setAcceptDrops(True)
        cap_minimum(self, 1000, 640)
        self._build()
        self.watch = ProjectWatch(self.context, self)  # another process's changes, shown
        build_menus(self)
        self.fill_recent()
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:  # at most 90 % of a small screen, centred: the status bar stays on it
            fit_to_screen(self, 1280, 800, centre=True)
        self.runner.busy_changed.connect(self._busy)
        for done in (self.runner.finished, self.runner.failed, self.context.changed):
            done.connect(lambda *_: self.show_upgrades())  # a job or a change that wrote
        self.context.show_item.connect(lambda *_: self.show_step(0))
        self.setWindowTitle("SSL Studio")
        self.open_project(project)
        QTimer.singleShot(0, self._detect_hardware)

    # ---- building --------------------------------------------------------------------------

    def _build(self) -> None:
        self.welcome = WelcomePanel()
        self.welcome.new_requested.connect(self.new_project)
        self.welcome.open_requested.connect(self.choose_project)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.recent_chosen.connect(self.open_project)
        self.data = DataPanel(self.context)
        self.data.open_project_requested.connect(self.open_project)
        self.pretrain = PretrainPanel(self.context)
        self.finetune = FinetunePanel(self.context, self.open_wizard)
        self.runs = RunsPanel(self.context)
        self.runs.resume_requested.connect(self._resume)
        self.map = MapPanel(self.context)
        self.export = ExportPanel(self.context)
        self.panels = [self.data, self.pretrain, self.finetune, self.runs, self.map, self.export]
        self.nav = step_list(STEPS)  # (its font follows the app's)
        self.stack = QStackedWidget()
        for panel, step in zip(self.panels, STEPS, strict=True):  # each step scrolls on a
            # screen too small for it; one whose parts scroll themselves only sideways
            vertical = not getattr(panel, "scrolls_itself", False)
            self.stack.addWidget(scrolling(panel, f"{step} page", vertical=vertical))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        work = QWidget()
        row = QHBoxLayout(work)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.pages = QStackedWidget()
        self.pages.addWidget(scrolling(self.welcome, "Welcome page"))
        self.pages.addWidget(work)
        self.setCentralWidget(self.pages)

        self.log = LogPanel()
        self.log_dock = QDockWidget("Log", self)
        self.log_dock.setObjectName("log")
        self.log_dock.setWidget(self.log)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.log_dock)
        self.log_dock.hide()

        self.device_label = QLabel("Device: detecting…")
        self.read_only_label = QLabel("<b>Read-only project</b>")
        self.job_status = JobStatus(self.runner, self.log, self)
        self.job_label = self.job_status.label
        self.progress = self.job_status.progress
        self.stop_button = self.job_status.stop_button
        status = self.statusBar()
        self.job_status.add_to(status)
        status.addPermanentWidget(self.read_only_label)
        status.addPermanentWidget(self.device_label)
        self.read_only_label.hide()

    # ---- projects --------------------------------------------------------------------------

    def recent_projects(self) -> list[Path]:
        """Every project remembered, reachable now or not (see recent_projects.py)."""
        return remembered(self.settings)

    def _remember(self, project: Path) -> None:
        remember(self.settings, project)  # (listed again when the menu or Welcome shows)

    def fill_recent(self) -> None:
        """List the recent projects in the menu and on the welcome screen; one that cannot
        be opened now is shown in italics with why, and opening it says so."""
        paths = self.recent_projects()
        recent = list(zip(paths, notes_within(paths), strict=True))
        self.welcome.set_recent(recent)
        self.recent_menu.clear()
        for path, note in recent:
            action = self.recent_menu.addAction(
                f"{no_shortcut(str(path))}{UNAVAILABLE if note else ''}"
            )
            if note:
                font = action.font()
                font.setItalic(True)
                action.setFont(font)
                action.setToolTip(tip(note))
            action.triggered.connect(lambda _=False, p=path: self.open_project(p))
        if recent:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction("Clear list")
            clear.setToolTip("Forget these folders here; the projects stay as they are.")
            clear.triggered.connect(self._forget_recent)
        self.recent_menu.setEnabled(bool(recent))

    def _forget_recent(self) -> None:
        forget_all(self.settings)
        self.fill_recent()

    def open_project(self, project: Path | None) -> None:
        if project is not None and is_missing(Path(project)):  # an offline share, say
            dialogs.show_error(self, "Cannot open the project", missing_message(Path(project)))
            return
        notice = None  # a project on a network drive: said in the status bar and the log
        if project is not None:
            try:  # opening the store checks it is a project of a version we can read
                with Store.open(Path(project)) as store:
                    notice = store.network_notice
            except SSLStudioError as exc:  # the open project stays open
                dialogs.show_error(self, "Cannot open the project", str(exc))
                return
        if self.runner.busy and project != self.context.project:
            dialogs.show_error(self, "A job is running", "Stop the running job first.")
            return
        if self.wizard is not None and project != self.context.project:
            self.wizard.close()  # it would go on working on the other project
            if self.wizard is not None and self.wizard.isVisible():  # asked, and told No:
                self.statusBar().showMessage(  # it goes on, on this project
                    "The project stays open: the fine-tune wizard is still working on it.",
                    10000,
                )
                return
            self.wizard = None  # (closed, it is deleted: see _wizard_closed)
        if project != self.context.project:  # "Importing …: failed." was in the other one
            self.job_status.clear_outcome()
        self.context.project = Path(project) if project else None
        if self.context.project is not None:
            self.context.read_only = ""
            try:
                interrupted = recover_interrupted(self.context.project)
            except ProjectReadOnlyError as exc:
                interrupted, self.context.read_only = 0, str(exc)
                self.log.add(str(exc))
                dialogs.show_notice(self, "The project is read-only", str(exc))
            self.show_upgrades()  # (marking them upgrades an older project)
            if interrupted:
                self.log.add(
                    f"{counted(interrupted, 'run')} had been interrupted; resume "
                    f"{'it' if interrupted == 1 else 'them'} in Runs."
                )
            if notice:
                self.log.add(notice)
                self.statusBar().showMessage(notice, 30000)
            self._remember(self.context.project)
            marker = " (read-only)" if self.context.read_only else ""
            self.setWindowTitle(f"{self.context.project.name}{marker} — SSL Studio")
            self.pages.setCurrentIndex(1)
            self.show_step(0)
        else:
            self.context.read_only = ""
            self.setWindowTitle("SSL Studio")
            self.fill_recent()  # a share may be back, or gone, since it was listed
            self.pages.setCurrentIndex(0)
        self.context.enable_change(self.import_action, self.context.project is not None)
        self.read_only_label.setVisible(bool(self.context.read_only))
        self.read_only_label.setToolTip(tip(self.context.read_only))  # why, and what to do
        self.context.notify("project")

    def show_upgrades(self) -> None:
        """Tell, in the status bar and the log, of each older project database a write
        upgraded since the last call (core keeps them: project/upgrade.py)."""
        for done in take_upgrades():
            self.log.add(done.text())
            self.statusBar().showMessage(done.text(), 30000)

    def choose_project(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open an SSL Studio project")
        if folder:
            self.open_project(Path(folder))

    def new_project(self, folder: Path | None = None) -> None:
        if folder is None:
            chosen = QFileDialog.getExistingDirectory(
                self, "Choose an empty folder for the new project"
            )
            if not chosen:
                return
            folder = Path(chosen)
        try:
            create_project(folder)
        except SSLStudioError as exc:
            dialogs.show_error(self, "Cannot create the project", str(exc))
            return
        self.open_project(folder)

    def open_demo(self, folder: Path | None = None) -> bool:
        target = folder or DEMO_DIR

        def work(report: Any, stop: Any) -> dict[str, Any]:
            return create_demo(target, report=report, stop=stop)

        started = self.runner.start(
            "Preparing the demo project",
            work,
            lambda _: self.open_project(target),
        )  # a failure is told by the job status, once
        if not started:
            dialogs.show_error(self, "The demo project", self.context.still_running())
        return started

    # ---- steps and actions -----------------------------------------------------------------

    def show_step(self, index: int) -> None:
        if self.context.project is not None:
            self.nav.setCurrentRow(index)

    def start_pretraining(self) -> None:
        self.show_step(1)
        self.pretrain.start()

    def _resume(self, run_id: int, dataset: str) -> None:
        self.show_step(1)
        self.pretrain.resume(run_id, dataset)

    def open_wizard(self, run_id: int | None = None) -> FinetuneWizard | None:
        if self.context.project is None:
            dialogs.show_error(self, "Fine-tuning", "Open or create a project first.")
            return None
        if self.wizard is not None and self.wizard.isVisible():  # one wizard: bring it up
            self.wizard.raise_()
            self.wizard.activateWindow()
            if run_id is not None and run_id != self.wizard.run_id:
                if not self.wizard.choose_run(run_id):
                    self.statusBar().showMessage(
                        f"The fine-tune wizard is already working on run {self.wizard.run_id}:"
                        f" finish or close it to fine-tune run {run_id}.",
                        10000,
                    )
            return self.wizard
        wizard = self.wizard = FinetuneWizard(self.context, self, run_id)
        wizard.addActions(self.wizard_actions)  # (a window of its own: the menu's keys)
        wizard.finished.connect(lambda _result: self._wizard_closed(wizard))
        wizard.show()
        return wizard

    def _wizard_closed(self, wizard: FinetuneWizard) -> None:
        """A closed wizard is deleted, with its plots and its connections to the runner
        (each one opened stayed alive for the session). While a job it started runs (it
        will call its pages back: a fine-tuning asked to stop, an export) it is deleted
        once that job has ended: deleteLater, called as the runner says so, runs after
        the job's callbacks. Another panel's job does not keep it."""
        self.context.notify("runs")
        if self.wizard is wizard:
            self.wizard = None
        if self.runner.busy and self.runner.calls_back(wizard):  # (next: the job's end)
            self.runner.busy_changed.connect(
                wizard.deleteLater, Qt.ConnectionType.SingleShotConnection
            )
        else:
            wizard.deleteLater()

    def toggle_pause(self) -> None:
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()

    def show_guide(self) -> QDialog | None:
        if self.guide is not None:  # one guide window: F1 again raises it
            self.guide.show()
            self.guide.raise_()
            self.guide.activateWindow()
            return self.guide
        try:
            guide = guide_text()
        except SSLStudioError as exc:  # installed without resources/: say where it looked
            dialogs.show_error(self, "Guide to the concepts", str(exc))
            return None
        self.guide = dialog = QDialog(self)
        dialog.setWindowTitle("Guide to the concepts")
        fit_to_screen(dialog, 720, 640)
        text = QTextBrowser()
        text.setMarkdown(guide)
        QVBoxLayout(dialog).addWidget(text)
        dialog.show()
        return dialog

    def about(self) -> None:
        dialogs.show_notice(
            self,
            "About SSL Studio",
            f"SSL Studio {__version__}\nSelf-supervised pretraining and few-label fine-tuning "
            "for medical images and time series.\nWorks offline; not for diagnosis.",
        )

    def _detect_hardware(self) -> None:
        self.context.hardware = hardware()
        self.device_label.setText(f"Device: {self.context.hardware['device']}")
        self.context.notify("hardware")

    # ---- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt API
        """Local files and folders (a mounted share too) may be dropped; links are not."""
        urls = event.mimeData().urls()
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        elif urls:
            self.statusBar().showMessage(NOT_LOCAL, 15000)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        if not paths:
            if urls:  # (refused on entering; a drop that arrives anyway is told, not lost)
                dialogs.show_error(self, "Import", NOT_LOCAL)
            return
        event.acceptProposedAction()
        if len(paths) < len(urls):  # (links dropped beside local folders: said, not lost)
            self.statusBar().showMessage(f"Links were left out. {NOT_LOCAL}", 15000)
        if self.context.project is None:  # the welcome screen: a project dropped opens
            try:
                project = next(
                    (p for p in paths if p.is_dir() and studio_folder(p) == "project"), None
                )
            except SSLStudioError as exc:  # a folder that may not be read
                dialogs.show_error(self, "Cannot open the project", str(exc))
                return
            if project is not None:
                self.open_project(project)
                return
            first = "Open or create a project first (File menu), then drop the folder again."
            dialogs.show_error(self, "Import", first)
            return
        self.show_step(0)
        self.data.import_paths(paths)

    # ---- the running job -------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        if not busy and self.job_status.closing:  # after the job's outcome was told
            QTimer.singleShot(0, self.close)

    def quit_unattended(self) -> None:
        """Close as the close button does, without asking (a logout, ``kill``, Ctrl+C in
        the terminal): a training run stops at its next step and writes a checkpoint."""
        self.unattended = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.window_closing.may_close():  # a job runs: it is stopped first, and
            event.ignore()  # the window closes when it has ended (see _busy); a QThread
            return  # destroyed while it runs would abort the app
        self.save_settings()
        self.log.detach()
        super().closeEvent(event)

    def save_settings(self) -> None:
        """What the window keeps of itself for the next start: its size and place."""
        self.settings.setValue("geometry", self.saveGeometry())
