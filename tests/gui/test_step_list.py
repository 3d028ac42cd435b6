"""The step list follows the app's font: a larger system font (or a high-DPI desktop's)
makes its steps larger and the list wider, instead of a fixed 12 pt in a fixed 150 px."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication

from ssl_studio.gui.main_window import STEPS


def _step_list(make_window, point_size: float):
    """The step list (its font size, its width) of a window made under an app font of
    ``point_size`` (the app's font is put back afterwards)."""
    app = QApplication.instance()
    before = app.font()
    font = QFont(before)
    font.setPointSizeF(point_size)
    app.setFont(font)
    try:
        window = make_window()
        nav = window.nav
        return nav.font().pointSizeF(), nav.width(), QFontMetrics(nav.font()), nav
    finally:
        app.setFont(before)


def test_the_steps_grow_with_the_apps_font(make_window):
    small, small_width, _, _ = _step_list(make_window, 9)
    large, large_width, metrics, nav = _step_list(make_window, 18)
    assert large > small and large >= 18 * 1.2 - 0.01
    assert large_width > small_width
    for i, name in enumerate(STEPS):  # every step fits, its number and name
        assert metrics.horizontalAdvance(f"{i + 1}  {name}") + 16 < large_width
    assert nav.item(0).text() == "1  Data"
