"""Window sizes that fit the screen: a window asks for the size it would like and gets at
most a share of the screen's available area (without the taskbar), so its status bar and
its buttons are never below the screen's edge on a 1366 x 768 laptop or a scaled display."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

SHARE = 0.9  # of the available width and height, leaving room for the title bar


def available_area(widget: QWidget) -> QRect:
    """The available geometry of the screen ``widget`` is (or will be) shown on."""
    parent = widget.parentWidget()
    screen = (parent.window() if parent is not None else widget).screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted_size(widget: QWidget, width: int, height: int) -> QSize:
    """``width`` x ``height``, each at most ``SHARE`` of the available area, yet as large
    as the widget's layout needs where the screen has room for it (a window squeezed
    below that overlaps or cuts its contents)."""
    area = available_area(widget)
    least = widget.minimumSizeHint()
    return QSize(
        min(width, max(int(area.width() * SHARE), least.width()), area.width()),
        min(height, max(int(area.height() * SHARE), least.height()), area.height()),
    )


def cap_minimum(widget: QWidget, width: int, height: int) -> None:
    """A minimum size of ``width`` x ``height`` where the screen has room for it, else
    ``SHARE`` of the available area (a minimum larger than the screen puts controls off
    it)."""
    area = available_area(widget)
    widget.setMinimumSize(
        min(width, int(area.width() * SHARE)), min(height, int(area.height() * SHARE))
    )


def fit_to_screen(widget: QWidget, width: int, height: int, *, centre: bool = False) -> None:
    """Resize ``widget`` to ``width`` x ``height`` or what the screen has room for.
    ``centre``: also move it to the middle of the available area (for a main window; a
    dialog is placed over its parent, within the screen, by Qt when shown)."""
    size = fitted_size(widget, width, height)
    widget.resize(size)
    if centre:
        area = available_area(widget)
        widget.move(
            area.x() + (area.width() - size.width()) // 2,
            area.y() + (area.height() - size.height()) // 2,
        )


def scrolling(page: QWidget, name: str, *, vertical: bool = True) -> QScrollArea:
    """``page`` in a frameless scroll area that gives it at least its minimum size: on a
    screen too small for it (1280 x 800 at 150 %, 1920 x 1080 at 200 %) scroll bars come
    instead of widgets squeezed below their minimum, over one another or cut; where the
    window has room for it, no scroll bar shows and the page fills the area as before.
    The area takes no Tab stop of its own (Tab goes to the page's controls, and the area
    scrolls to the one with focus); ``name`` is the page's, for screen readers.
    ``vertical=False``: for a page whose parts scroll up and down themselves (a scroll area
    in another showed two vertical scroll bars, and cut the page's right edge off behind a
    horizontal one): the area scrolls only sideways, and only where the page is wider than
    the window; the page is as high as the area."""
    area = QScrollArea()
    if not vertical:
        area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setAccessibleName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area
