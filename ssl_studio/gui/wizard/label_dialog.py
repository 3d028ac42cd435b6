"""Click-to-label: a thumbnail grid where a click gives the chosen class to an item, and
Enter or Space gives it to the items selected (Shift/Ctrl+click, arrow keys)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from ssl_studio.core.viewing import DatasetView
from ssl_studio.core.wording import counted
from ssl_studio.gui import dialogs
from ssl_studio.gui.markup import plain
from ssl_studio.gui.screen_fit import fit_to_screen
from ssl_studio.gui.thumbnails import ITEM_ID_ROLE, ThumbnailModel, thumbnail_view

UNLABELED = "(remove the label)"
GIVE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
SELECTING = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier


class LabelDialog(QDialog):
    """Collects changes (item id -> class, or None to remove); the caller saves them."""

    def __init__(self, view: DatasetView, labels: dict[int, str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Label items of '{view.name}'")
        self.given = dict(labels)  # as they were when the dialog opened
        self.labels = dict(labels)
        self.changes: dict[int, str | None] = {}
        self.model = ThumbnailModel()
        self.model.set_view(view, labels)
        self.grid = thumbnail_view(self.model)
        self.grid.setAccessibleName("Items to label")
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.grid.clicked.connect(self._clicked)
        self.grid.activated.connect(lambda _: self.label_selected())  # a double click
        self.grid.installEventFilter(self)  # Enter and Space label, and never close
        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.addItems(sorted(set(labels.values())) or ["normal", "abnormal"])
        self.label.addItem(UNLABELED)
        self.label.setToolTip("Type a new class name, or choose one; then click items.")
        self.counts = plain(QLabel())  # class names as written
        give = QPushButton("Give it to the selected items")
        give.setToolTip("Enter or Space does the same in the grid.")
        give.clicked.connect(self.label_selected)
        top = QHBoxLayout()
        class_title = QLabel("&Class to give:")  # Alt+C
        class_title.setBuddy(self.label)
        top.addWidget(class_title)
        top.addWidget(self.label, 1)
        top.addWidget(give)
        top.addWidget(self.counts)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        for button in buttons.buttons() + [give]:  # Enter labels; it never saves and closes
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(self)
        instructions = QLabel(
            "Choose a class, then click every item that belongs to it; or select several "
            "(Shift or Ctrl+click, arrow keys) and press Enter or Space. Save keeps a new "
            "version of the label set; earlier versions are never lost."
        )
        instructions.setWordWrap(True)  # unwrapped, it made the dialog 1250 px wide
        layout.addWidget(instructions)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(buttons)
        self._count()
        fit_to_screen(self, 900, 640)

    def unsaved(self) -> int:
        """How many items have a label other than the one they came in with."""
        return sum(self.given.get(i) != value for i, value in self.changes.items())

    def reject(self) -> None:
        """Cancel, Escape or the close button: labels given and not saved are never lost
        without asking (Save keeps them, Discard throws them away, Cancel goes on)."""
        n = self.unsaved()
        if n:
            save = dialogs.save_or_discard(
                self,
                "Save the labels?",
                f"{counted(n, 'item')} {'has' if n == 1 else 'have'} labels that are not saved. "
                "Save them, or discard them?",
            )
            if save is None:
                return
            if save:
                self.accept()
                return
        super().reject()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.save_button.setDefault(False)  # the button box makes Save the default on show

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if (
            watched is self.grid
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in GIVE_KEYS
            and not event.modifiers() & SELECTING
        ):
            self.label_selected()
            return True
        return super().eventFilter(watched, event)

    def _clicked(self, index: QModelIndex) -> None:
        """A plain click labels the item; Shift or Ctrl+click only selects."""
        if not QApplication.keyboardModifiers() & SELECTING:
            self.label_index(index)

    def label_selected(self) -> None:
        """Give the chosen class to every selected item (the current one if none is)."""
        chosen = self.grid.selectionModel().selectedIndexes()
        current = self.grid.currentIndex()
        self.label_indexes(chosen or ([current] if current.isValid() else []))

    def label_index(self, index: QModelIndex) -> None:
        self.label_indexes([index])

    def label_indexes(self, indexes: list[QModelIndex]) -> None:
        """Give the chosen class (or no class) to the items at ``indexes``."""
        text = self.label.currentText().strip()
        value = None if text in ("", UNLABELED) else text
        for index in indexes:
            item_id = int(self.model.data(index, ITEM_ID_ROLE))
            self.changes[item_id] = value
            if value is None:
                self.labels.pop(item_id, None)
            else:
                self.labels[item_id] = value
        self.model.set_labels(self.labels)
        self._count()

    def _count(self) -> None:
        counts: dict[str, int] = {}
        for value in self.labels.values():
            counts[value] = counts.get(value, 0) + 1
        self.counts.setText(", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "none")
