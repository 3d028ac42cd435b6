"""The main window's list of workflow steps (Data, Pretrain, ...): larger than the app's
text, and as large again when the app's font is (a larger system font, a high-DPI desktop),
wide enough for its longest step."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QListWidget

FONT_SCALE = 1.2  # the steps' text against the app's font
EXTRA_WIDTH = 48  # beyond the longest step: the items' padding, the border, some air
STYLE = (
    # Background and text both from the palette (light or dark theme alike); the selection
    # keeps its own pair (5.7:1); a focus ring replaces the one QSS hides. No font here:
    # a style sheet's font size would not follow the app's font.
    "QListWidget { border: 2px solid transparent;"
    " background: palette(alternate-base); color: palette(text); }"
    "QListWidget:focus { border: 2px solid palette(highlight); }"
    "QListWidget::item { padding: 12px 8px; }"
    "QListWidget::item:selected { background: #1565c0; color: white; }"
)


def step_font() -> QFont:
    """The application's font, FONT_SCALE times as large."""
    font = QFont(QApplication.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * FONT_SCALE)
    else:  # (a font sized in pixels)
        font.setPixelSize(round(font.pixelSize() * FONT_SCALE))
    return font


def step_list(steps: Sequence[str]) -> QListWidget:
    """A list of ``steps``, numbered from 1, named "Steps" for a screen reader."""
    listing = QListWidget()
    texts = [f"{i + 1}  {name}" for i, name in enumerate(steps)]
    listing.addItems(texts)
    listing.setFont(step_font())
    metrics = QFontMetrics(listing.font())
    listing.setFixedWidth(max(metrics.horizontalAdvance(t) for t in texts) + EXTRA_WIDTH)
    listing.setAccessibleName("Steps")
    listing.setStyleSheet(STYLE)
    return listing
