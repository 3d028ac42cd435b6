"""The main window's menu bar: File, Run, View and Help, each command with its shortcut
and access key; the Recent projects submenu is filled by the window when it opens."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from ssl_studio.gui.main_window import MainWindow

# the View menu's access keys (Alt+V, then the letter): each step's first letter
STEP_MENU_TEXT = ("&Data", "&Pretrain", "&Fine-tune", "&Runs", "&Map", "&Export")


def build_menus(window: MainWindow) -> None:
    """Fill ``window``'s menu bar; sets ``window.recent_menu``, ``window.import_action``
    (enabled only while a writable project is open) and ``window.wizard_actions`` (those
    the fine-tune wizard, a window of its own, takes too: pause, stop, the guide)."""
    bar = window.menuBar()

    def add(menu: QMenu, text: str, slot: Callable[[], Any], shortcut: Any = None) -> QAction:
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())  # not as an argument
        menu.addAction(action)
        return action

    file_menu = bar.addMenu("&File")
    add(file_menu, "&New project…", window.new_project, QKeySequence.StandardKey.New)
    add(file_menu, "&Open project…", window.choose_project, QKeySequence.StandardKey.Open)
    add(file_menu, "Open the &demo project", window.open_demo)
    window.recent_menu = file_menu.addMenu("&Recent projects")
    window.recent_menu.setToolTipsVisible(True)
    window.recent_menu.aboutToShow.connect(window.fill_recent)  # a share back meanwhile
    file_menu.addSeparator()
    window.import_action = add(
        file_menu, "&Import folder…", window.data.choose_folder, QKeySequence("Ctrl+I")
    )
    add(file_menu, "&Close project", lambda: window.open_project(None))
    file_menu.addSeparator()
    add(file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    run_menu = bar.addMenu("&Run")
    add(run_menu, "Start &pretraining", window.start_pretraining, QKeySequence("Ctrl+R"))
    add(run_menu, "&Fine-tune wizard…", window.open_wizard, QKeySequence("Ctrl+F"))
    pause = add(run_menu, "Pause / &resume the job", window.toggle_pause, QKeySequence("Ctrl+P"))
    stop = add(run_menu, "&Stop the job", window.runner.stop, QKeySequence("Ctrl+."))
    view_menu = bar.addMenu("&View")
    for i, name in enumerate(STEP_MENU_TEXT):
        add(
            view_menu,
            name,
            lambda i=i: window.show_step(i),
            QKeySequence(f"Ctrl+{i + 1}"),
        )
    view_menu.addSeparator()
    toggle = window.log_dock.toggleViewAction()
    toggle.setShortcut(QKeySequence("Ctrl+L"))
    toggle.setText("&Log")
    view_menu.addAction(toggle)
    # another process's changes are shown within seconds (project_watch.py); F5 at once
    add(view_menu, "Refres&h", window.watch.refresh, QKeySequence("F5"))
    help_menu = bar.addMenu("&Help")
    guide = add(
        help_menu,
        "&Guide to the concepts",
        window.show_guide,
        QKeySequence.StandardKey.HelpContents,
    )
    # the same actions (one shortcut each: never ambiguous), added to the wizard's window
    window.wizard_actions = [pause, stop, guide]
    add(help_menu, "&About SSL Studio", window.about)
