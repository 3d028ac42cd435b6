"""The model card's "not for clinical diagnosis" statement, shown where the wizard gives a
verdict (results) and offers deployable files (export), not only inside the exported card."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.gui.markup import plain


def not_for_diagnosis_label() -> QLabel:
    """A wrapped, bold label holding the card's NOT_FOR_DIAGNOSIS text as written."""
    label = plain(QLabel(NOT_FOR_DIAGNOSIS))
    label.setWordWrap(True)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName("Not for clinical diagnosis")
    label.setAccessibleDescription(NOT_FOR_DIAGNOSIS)  # (the name alone hid the rest)
    return label
