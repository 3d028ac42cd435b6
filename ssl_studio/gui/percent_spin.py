"""A share (0.2) shown and typed as a percentage (20%), as the texts beside it say it."""

from __future__ import annotations

from PySide6.QtGui import QValidator

from ssl_studio.gui.decimal_spin import DecimalSpin, with_point


def _number(text: str) -> str:
    return with_point(text.replace("%", "").strip())


def _share(percent: float) -> float:
    """The share a percentage shown to one decimal stands for (7.25 -> 0.072, as "7.2%")."""
    return round(round(percent, 1) / 100, 4)


def percent_text(share: float) -> str:
    """A share as the boxes show it: 0.2 -> "20%", 0.075 -> "7.5%" (one decimal at most)."""
    return f"{round(share * 100, 1):g}%"


class PercentSpin(DecimalSpin):
    """value() is the share (0.2); the box shows and reads percent ("20%", "20"), to one
    decimal, and keeps what it shows (typing 7.25 keeps 0.072, shown "7.2%", not 0.0725)."""

    def __init__(self) -> None:
        super().__init__(3)
        self.setSuffix("%")  # "20%", as the texts beside it write it

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt's name)
        return percent_text(value)[:-1]  # (the suffix adds the %)

    def setValue(self, value: float) -> None:  # noqa: N802 (Qt's name)
        super().setValue(_share(value * 100))

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt's name)
        try:
            return _share(float(_number(text)))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        body = _number(text)
        try:
            share = float(body) / 100
        except ValueError:
            empty = body in ("", ".")
            return (QValidator.State.Intermediate if empty else QValidator.State.Invalid), text, pos
        inside = self.minimum() - 1e-9 <= share <= self.maximum() + 1e-9
        return (QValidator.State.Acceptable if inside else QValidator.State.Intermediate), text, pos
