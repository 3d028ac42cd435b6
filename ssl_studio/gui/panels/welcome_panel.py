"""The welcome screen: new project, open project, the demo project, and recent projects."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.gui import markup
from ssl_studio.gui.recent_projects import UNAVAILABLE

# the lead a step larger than the text around it, at any app font (a fixed 12 pt was
# smaller than the body at large fonts)
INTRO = (
    "<h1>SSL Studio</h1>"
    "<p style='font-size:large'>Teach a network what your medical images or time series look "
    "like from <b>unlabeled</b> data, then fine-tune it on a few labels and see honestly "
    "whether it helped.</p>"
    "<p>Everything stays on this computer: nothing is sent anywhere, and patient "
    "identifiers are never stored.</p>"
)


class WelcomePanel(QWidget):
    """Buttons emit what the user wants; the main window does it."""

    new_requested = Signal()
    open_requested = Signal()
    demo_requested = Signal()
    recent_chosen = Signal(Path)

    def __init__(self) -> None:
        super().__init__()
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        buttons = QHBoxLayout()
        for text, signal, tip in (
            ("New project…", self.new_requested, "Choose an empty folder for a new project."),
            ("Open project…", self.open_requested, "Open a project folder made before."),
            (
                "Open the demo project",
                self.demo_requested,
                "A small chest X-ray and motion-sensor project to try everything in minutes.",
            ),
        ):
            button = QPushButton(text)
            button.setMinimumHeight(44)
            button.setToolTip(tip)
            button.clicked.connect(signal.emit)
            buttons.addWidget(button)
        self.recent = QListWidget()
        self.recent.setAccessibleName("Recent projects")
        self.recent.setMaximumHeight(220)
        self.recent.itemActivated.connect(
            lambda item: self.recent_chosen.emit(Path(item.data(Qt.ItemDataRole.UserRole)))
        )
        self.recent_title = QLabel("<b>Recent projects</b> (double-click or Enter to open)")
        column = QVBoxLayout()
        column.addWidget(intro)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(18)
        column.addWidget(self.recent_title)
        column.addWidget(self.recent)
        column.addStretch(1)
        frame = QWidget()
        frame.setLayout(column)
        frame.setMaximumWidth(760)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(frame, 4)
        outer.addStretch(1)

    def set_recent(self, projects: list[tuple[Path, str]]) -> None:
        """``projects``: (folder, why it cannot be opened now, or ""). One that cannot is
        greyed and in italics with the why as its tooltip, and may still be chosen (once
        the share is back it opens; until then opening it says why it cannot)."""
        self.recent.clear()
        for path, note in projects:
            item = QListWidgetItem(f"{path.name}    —    {path}{UNAVAILABLE if note else ''}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            if note:
                item.setToolTip(markup.tip(note))
                item.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            self.recent.addItem(item)
        self.recent_title.setVisible(bool(projects))
        self.recent.setVisible(bool(projects))
