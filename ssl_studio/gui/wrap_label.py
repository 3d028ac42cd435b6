"""A word-wrapped label that asks for the height its text takes at its real width.

Qt's QFormLayout (in a QWizard page) sizes a wrapped QLabel by its sizeHint, which Qt
computes for a narrow width (about 200 px): two lines of text at 850 px got the height of
eight, leaving wide gaps around the protocol page's explanations."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel


class WrapLabel(QLabel):
    """A QLabel with word wrap whose height hint follows its width (see the module)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().sizeHint()
        if self.width() > hint.width():  # laid out wider than Qt's guess: fewer lines
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = super().minimumSizeHint()
        if self.width() > 0:
            hint.setHeight(self.heightForWidth(self.width()))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()  # the height hint changed with the width

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        super().setText(text)
        self.updateGeometry()
