"""Colours that read on the current palette, light or dark.

A hard-coded dark red reads on a white window and vanishes on a dark one; ``tone`` picks the
variant of a named colour that keeps at least a 4.5:1 contrast (WCAG AA) with the window.
``shade`` tints the Base colour so a shaded table row keeps the palette's own text readable.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# name -> (on a light window, on a dark window); each >= 4.5:1 against white / #2b2b2b.
TONES = {
    "red": ("#b71c1c", "#ff8a80"),
    "blue": ("#1565c0", "#90caf9"),
    "orange": ("#a84300", "#ffb74d"),
}
# name -> the tint a shaded row blends into Base.
TINTS = {"red": QColor("#e53935"), "orange": QColor("#fb8c00")}
SHADE_AMOUNT = 0.14


def current_palette(palette: QPalette | None = None) -> QPalette:
    """``palette``, or the application's when none is given."""
    return palette if palette is not None else QGuiApplication.palette()


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the palette's window is dark (light text is expected on it)."""
    return current_palette(palette).color(QPalette.ColorRole.Window).lightness() < 128


def tone(name: str, palette: QPalette | None = None) -> str:
    """The hex of colour ``name`` (see TONES) that reads on ``palette``'s window."""
    light, dark = TONES[name]
    return dark if is_dark(palette) else light


def shade(name: str, palette: QPalette | None = None) -> QColor:
    """Base blended with a little of tint ``name``: a row background the Text colour reads on."""
    base = current_palette(palette).color(QPalette.ColorRole.Base)
    tint = TINTS[name]
    mix = [
        round(b + (t - b) * SHADE_AMOUNT)
        for b, t in zip(base.getRgb()[:3], tint.getRgb()[:3], strict=True)
    ]
    return QColor(*mix)


def luminance(colour: QColor) -> float:
    """WCAG relative luminance of ``colour``."""

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * linear(colour.redF())
        + 0.7152 * linear(colour.greenF())
        + 0.0722 * linear(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
