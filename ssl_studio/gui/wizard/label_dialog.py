"""Click-to-label: a thumbnail grid where a click gives the chosen class to an item."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
)

from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.thumbnails import ITEM_ID_ROLE, ThumbnailModel, thumbnail_view

UNLABELED = "(remove the label)"


class LabelDialog(QDialog):
    """Collects changes (item id -> class, or None to remove); the caller saves them."""

    def __init__(self, view: DatasetView, labels: dict[int, str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Label items of '{view.name}'")
        self.resize(900, 640)
        self.labels = dict(labels)
        self.changes: dict[int, str | None] = {}
        self.model = ThumbnailModel()
        self.model.set_view(view, labels)
        self.grid = thumbnail_view(self.model)
        self.grid.clicked.connect(self.label_index)
        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.addItems(sorted(set(labels.values())) or ["normal", "abnormal"])
        self.label.addItem(UNLABELED)
        self.label.setToolTip("Type a new class name, or choose one; then click items.")
        self.counts = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Class to give:"))
        top.addWidget(self.label, 1)
        top.addWidget(self.counts)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Choose a class, then click every item that belongs to it. Save keeps a new "
                "version of the label set; earlier versions are never lost."
            )
        )
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        layout.addWidget(buttons)
        self._count()

    def label_index(self, index: QModelIndex) -> None:
        item_id = int(self.model.data(index, ITEM_ID_ROLE))
        text = self.label.currentText().strip()
        value = None if text in ("", UNLABELED) else text
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
