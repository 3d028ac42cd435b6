"""A spin box for a number that is either "the default" (0) or at least some smallest
value a run takes, such as the image size or the window of a series."""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QSpinBox


class DefaultOrSpinBox(QSpinBox):
    """0 shown as ``default_text``, or ``smallest`` to ``largest``. A step up from the
    default goes to ``smallest`` and a step down from below ``smallest + step`` back to
    the default; a typed value between 1 and ``smallest - 1`` is not taken (the box keeps
    its last value when editing ends), so the box never holds a value every run refuses."""

    def __init__(
        self, *, smallest: int, largest: int, step: int, suffix: str, default_text: str
    ) -> None:
        super().__init__()
        self.smallest = smallest
        self.setRange(0, largest)
        self.setSingleStep(step)
        self.setSuffix(suffix)
        self.setSpecialValueText(default_text)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt API
        value = self.value()
        if value < self.smallest and steps > 0:
            self.setValue(self.smallest)
        elif steps < 0 and value + steps * self.singleStep() < self.smallest:
            self.setValue(0)
        else:
            super().stepBy(steps)

    def validate(self, text: str, pos: int) -> object:
        state, text, pos = super().validate(text, pos)
        if state == QValidator.State.Acceptable and 0 < self.valueFromText(text) < self.smallest:
            state = QValidator.State.Intermediate  # (may become a valid value as one types)
        return state, text, pos
