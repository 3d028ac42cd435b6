"""The mouse wheel scrolls a form; it changes a choice or a number only once that field has
the keyboard focus (clicked or tabbed to).

Qt's combo and spin boxes take every wheel tick over them, focused or not: scrolling the
Pretrain page with the pointer resting on its fields changed the dataset, the task, the
backbone and the preset (and the scrolling stuck on the first field that came under the
pointer). One filter on the application ignores a wheel over such a field without focus,
so the page around it scrolls instead, and gives each of them StrongFocus, so a wheel does
not hand it the focus either.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox

GUARDED = (QComboBox, QAbstractSpinBox)  # (DecimalSpin is a QAbstractSpinBox)
_WATCHED = (QEvent.Type.Wheel, QEvent.Type.Polish)


class WheelGuard(QObject):
    """The application's event filter (see the module): install with ``install()``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind not in _WATCHED or not isinstance(watched, GUARDED):
            return False
        if kind == QEvent.Type.Polish:  # once, before it is first shown
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if watched.hasFocus():  # (the field itself or its line edit)
            return False
        event.ignore()  # Qt hands an ignored wheel to the parent: the page scrolls
        return True


_guard: WheelGuard | None = None


def install(app: QApplication | None = None) -> WheelGuard:
    """Install the guard on ``app`` (the running application) once; returns it."""
    global _guard
    app = app or QApplication.instance()  # type: ignore[assignment]
    if _guard is None:
        _guard = WheelGuard()
        app.installEventFilter(_guard)
    return _guard
