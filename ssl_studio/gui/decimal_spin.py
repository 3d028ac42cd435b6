"""The one spin box for real numbers: it shows 0.002 (a point, no trailing zeros, no
group separators, as the rest of the app and the command line write numbers) whatever
the system's language, and reads a decimal comma as well as a point.

Qt's own QDoubleSpinBox follows the system locale: under German settings it reads
"0.07" as 7 (the point taken for a thousands separator), so a temperature or mask
ratio typed as the README writes it became a hundred times larger without a word.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QLocale
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox

# a point for the decimal mark, and no group separators shown or accepted
NUMBERS = QLocale.c()
NUMBERS.setNumberOptions(
    QLocale.NumberOption.OmitGroupSeparator | QLocale.NumberOption.RejectGroupSeparator
)


# "1,000": a thousand in English, one in German; neither is guessed
AMBIGUOUS = re.compile(r"\s*[-+]?[1-9]\d{0,2},\d{3}\s*")


def with_point(text: str) -> str:
    """``text`` with a decimal comma written as a point ("0,07" -> "0.07")."""
    return text.replace(",", ".")


def is_ambiguous(text: str) -> bool:
    """Whether ``text`` is a number such as "1,000", whose comma may group thousands or
    mark the decimals (write 1000 or 1.0)."""
    return AMBIGUOUS.fullmatch(text) is not None


class DecimalSpin(QDoubleSpinBox):
    """A spin box for real numbers (see the module): ``decimals`` places at most."""

    def __init__(self, decimals: int = 6) -> None:
        super().__init__()
        self.setLocale(NUMBERS)
        self.setDecimals(decimals)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        text = NUMBERS.toString(value, "f", self.decimals())
        return text.rstrip("0").rstrip(".") if "." in text else text

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt's name)
        return super().valueFromText(with_point(text))

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        if is_ambiguous(text):  # (typing on: "1,0005" or "1,5" is fine)
            return QValidator.State.Intermediate, text, pos
        state, _, _ = super().validate(with_point(text), pos)
        return state, with_point(text), pos
