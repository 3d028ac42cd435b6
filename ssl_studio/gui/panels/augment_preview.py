"""The Pretrain panel's preview: eight augmented views of one real item, exactly as the
pretraining will make them, redrawn when the augmentation options change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QPushButton

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.pretrain_setup import preview_augmentations
from ssl_studio.core.project.store import Store
from ssl_studio.gui.markup import no_shortcut
from ssl_studio.gui.pictures import to_pixmap, unit_to_uint8

PREVIEWS = 8
TITLE = "What the network sees: augmented views of one item"


class AugmentPreview(QGroupBox):
    """A grid of ``PREVIEWS`` views; ``another`` asks for another item."""

    def __init__(self) -> None:
        super().__init__(TITLE)
        grid = QGridLayout(self)
        self.labels: list[QLabel] = []
        for i in range(PREVIEWS):
            label = QLabel()
            label.setFixedSize(76, 76)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: #111;")
            grid.addWidget(label, i // 4, i % 4)
            self.labels.append(label)
        self.another = QPushButton("Another item")
        grid.addWidget(self.another, 2, 0, 1, 4)
        self.item: int | None = None  # the item shown (None: pick one next time)

    def draw(
        self, project: Path, dataset: str, augment: dict[str, Any] | None, new_item: bool
    ) -> None:
        """Views of the item shown (of a random one when ``new_item``) with the options
        ``augment`` (changes to the dataset's defaults); the title says what is wrong when
        they are impossible."""
        try:
            if self.item is None or new_item:
                with Store.open(project) as store:  # one id, not every item
                    found = store.dataset(dataset)
                    picked = store.pick_item_id(found["id"], at_random=new_item) if found else None
                if picked is None:
                    return
                self.item = picked
            views = preview_augmentations(
                project, dataset, self.item, PREVIEWS, image_size=64, augment=augment
            )
        except SSLStudioError as exc:
            self.setTitle(no_shortcut(f"No preview: {exc}"))
            return
        self.setTitle(f"What the network sees: views of item {self.item}")
        for label, view in zip(self.labels, views, strict=True):
            label.setPixmap(to_pixmap(unit_to_uint8(view), 72))
