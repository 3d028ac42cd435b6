"""The mouse wheel scrolls the page: over a combo or spin box without focus it changes
nothing (the page scrolls on); a field the user clicked or tabbed to still takes it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

from gui_helpers import import_shapes


def wheel(widget: QWidget, delta: int = -120) -> None:
    """One wheel tick (down for a negative ``delta``) over the middle of ``widget``,
    delivered as Qt delivers one from the mouse: to the widget, then to its parents until
    one accepts it (Qt propagates spontaneous wheel events only; a sent one is not)."""
    point = widget.rect().center()
    where = QPointF(widget.mapToGlobal(point))
    target: QWidget | None = widget
    while target is not None:
        local = QPointF(target.mapFromGlobal(where.toPoint()))
        event = QWheelEvent(
            local,
            where,
            QPoint(0, 0),
            QPoint(0, delta),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        event.ignore()
        QApplication.sendEvent(target, event)
        if event.isAccepted() or target.isWindow():
            return
        target = target.parentWidget()


def _pretrain_form(make_window, project, tmp_path):
    window = make_window(import_shapes(project, tmp_path))
    window.resize(1000, 640)
    window.show_step(1)
    form = window.pretrain.form
    return window, form


def test_a_wheel_over_unfocused_fields_scrolls_the_page_and_changes_nothing(
    qtbot, make_window, project, tmp_path
):
    window, form = _pretrain_form(make_window, project, tmp_path)
    window.nav.setFocus()
    fields = [form.dataset, form.backbone, form.preset, form.image_size, form.steps]
    assert form.backbone.count() > 1 and form.preset.count() > 1
    for field in fields:
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a wheel gives no focus
    before = [f.currentText() if hasattr(f, "currentText") else f.value() for f in fields]
    bar = form.verticalScrollBar()  # (the form scrolls within its page)
    assert isinstance(form, QAbstractScrollArea) and bar.maximum() > 0
    start = bar.value()
    for field in fields:
        for _ in range(3):
            wheel(field)
    after = [f.currentText() if hasattr(f, "currentText") else f.value() for f in fields]
    assert after == before
    assert not any(f.hasFocus() for f in fields)
    assert bar.value() > start  # the page scrolled instead


def test_a_focused_field_still_takes_the_wheel(qtbot, make_window, project, tmp_path):
    window, form = _pretrain_form(make_window, project, tmp_path)
    window.activateWindow()
    form.preset.setFocus()
    qtbot.waitUntil(form.preset.hasFocus)
    index = form.preset.currentIndex()
    wheel(form.preset)  # (down: the next preset)
    assert form.preset.currentIndex() != index
    form.steps.setFocus()
    qtbot.waitUntil(form.steps.hasFocus)
    steps = form.steps.value()
    wheel(form.steps, delta=120)
    assert form.steps.value() != steps
