"""Windows fit small screens: the main window, the fine-tune wizard and the click-to-label
dialog open within the screen's available area (a 1366 x 768 laptop, a 1280 x 720 screen
or a 1920 x 1080 one scaled by 1.5, each less a 40 px taskbar), so that the status bar,
the import buttons, and Next and Cancel are never below the screen's edge."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QLabel,
    QSizePolicy,
    QSplitter,
    QSplitterHandle,
    QTabWidget,
    QWidget,
    QWizard,
)

from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.wizard.label_dialog import LabelDialog

from gui_helpers import drop, import_shapes

SMALL_SCREENS = [QRect(0, 0, 1366, 728), QRect(0, 0, 1280, 680)]


def _on(area: QRect, widget) -> bool:
    """Whether ``widget`` lies wholly within ``area`` (in screen coordinates)."""
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return area.contains(QRect(top_left, widget.size()))


def _until_stopped(report, stop):
    while not stop.stopped:
        stop.wait_while_paused(0.01)
    return {"status": "stopped"}


@pytest.mark.parametrize("area", SMALL_SCREENS, ids=["1366x768", "1280x720"])
def test_the_main_window_and_each_step_fit_a_small_screen(
    qtbot, make_window, project, tmp_path, area, monkeypatch
):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    import_shapes(project, tmp_path)
    window = make_window(project)  # no size remembered yet
    assert window.width() <= int(area.width() * 0.9) and _on(area, window)
    least = window.minimumSizeHint().height()  # what the layout needs: nothing squeezed
    assert least <= window.height() <= max(int(area.height() * 0.9), least)
    assert window.height() + 30 <= area.height()  # room for the title bar
    assert window.runner.start("Slow job", _until_stopped)  # the status bar shows Stop
    qtbot.waitUntil(window.stop_button.isVisible)
    for step in range(6):
        window.show_step(step)
        assert _on(area, window.statusBar()) and _on(area, window.stop_button), step
    window.show_step(0)
    for button in window.data.import_buttons:
        assert _on(area, button)


def test_the_wizard_and_the_guide_fit_a_small_screen(make_window, project, monkeypatch):
    area = SMALL_SCREENS[1]
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    window = make_window(project)
    wizard = window.open_wizard()
    assert wizard.width() <= 980 and wizard.height() <= int(area.height() * 0.9)
    assert wizard.height() >= wizard.minimumSizeHint().height()
    for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.CancelButton):
        button = wizard.button(which)
        assert wizard.rect().contains(QRect(button.mapTo(wizard, QPoint(0, 0)), button.size()))
    guide = window.show_guide()
    assert guide.height() <= int(area.height() * 0.9)
    guide.close()


def test_the_label_dialog_wraps_its_instructions_and_fits_the_screen(
    qtbot, project, tmp_path, monkeypatch
):
    """It asked for 900 px and opened 1253 px wide: its instructions were one line."""
    area = SMALL_SCREENS[1]
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    import_shapes(project, tmp_path)
    dialog = LabelDialog(DatasetView.open(project, "shapes"), {})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= 900 and dialog.height() <= int(area.height() * 0.9)
    assert dialog.minimumSizeHint().width() <= 900


def test_the_pretrain_form_scrolls_instead_of_squeezing_on_a_low_window(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """Too low to show the form whole, the column kept its first layout: the task list
    was squeezed and the task's explanation cut short, under a scroll bar."""
    area = SMALL_SCREENS[1]
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    import_shapes(project, tmp_path)
    window = make_window()  # the welcome screen, then the project: as a user opens it
    qtbot.wait(50)
    window.open_project(project)
    window.show_step(1)
    form = window.pretrain.form
    qtbot.waitUntil(lambda: form.verticalScrollBar().maximum() > 0)
    qtbot.wait(50)
    explanation = form.explanation
    assert form.task_list.height() == form.task_list.maximumHeight()
    assert explanation.height() >= explanation.heightForWidth(explanation.width())


def _least(widget) -> QSize:
    """The size below which a layout never squeezes ``widget`` (Qt's qSmartMinSize):
    its minimum size where set, else its minimum size hint; none where it is Ignored."""
    policy, hint, fixed = widget.sizePolicy(), widget.minimumSizeHint(), widget.minimumSize()
    ignored = QSizePolicy.Policy.Ignored
    width = fixed.width() or (0 if policy.horizontalPolicy() == ignored else hint.width())
    height = fixed.height() or (0 if policy.verticalPolicy() == ignored else hint.height())
    return QSize(max(width, 0), max(height, 0))


def _squeezed(widget, where: str = "") -> list[str]:
    """What is wrong under ``widget``: laid-out children over one another, or smaller than
    their least size, or word-wrapped text lower than it needs (down to scroll areas,
    whose contents may scroll)."""
    where = f"{where}/{type(widget).__name__}"
    if (
        isinstance(widget, QAbstractScrollArea)
        or widget.layout() is None
        and not isinstance(widget, (QSplitter, QTabWidget))
    ):
        return []
    layout = widget.layout()
    children = [
        child
        for child in widget.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        if child.isVisible()
        and not child.isWindow()
        and (layout is None or layout.indexOf(child) >= 0)
        and not isinstance(child, QSplitterHandle)
    ]
    wrong = []
    for i, child in enumerate(children):
        name = f"{where}/{type(child).__name__}"
        least, size = _least(child), child.size()
        if size.width() < least.width() or size.height() < least.height():
            wrong.append(f"{name} {size.toTuple()} < {least.toTuple()}")
        wraps = isinstance(child, QLabel) and child.wordWrap()
        if wraps and size.height() < child.heightForWidth(size.width()):
            wrong.append(f"{name} cut: {size.height()} < {child.heightForWidth(size.width())}")
        for other in children[i + 1 :]:
            if child.geometry().intersects(other.geometry()):
                wrong.append(f"{name} over {type(other).__name__}")
        wrong += _squeezed(child, where)
    return wrong


@pytest.mark.parametrize(
    "area", [QRect(0, 0, 853, 533), QRect(0, 0, 960, 540)], ids=["1280x800@150%", "1920x1080@200%"]
)
def test_each_step_scrolls_instead_of_overlapping_on_a_scaled_screen(
    qtbot, make_window, project, tmp_path, area, monkeypatch
):
    """The window's layout needed 924 x 630, its minimum was capped at 90 % of the screen:
    the live view covered the pretrain options, the plots overlapped one another, the
    thumbnails were one cut column. Now each step scrolls where the window is too small."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    import_shapes(project, tmp_path)
    window = make_window(project)
    for step, panel in enumerate(window.panels):
        window.show_step(step)
        qtbot.wait(20)
        assert panel.width() >= _least(panel).width(), step
        assert panel.height() >= _least(panel).height(), step
        assert _squeezed(panel) == [], step
    grid = window.data.grid  # two whole columns of thumbnails beside the scroll bar
    assert grid.viewport().width() >= 2 * grid.gridSize().width()
    window.show_step(1)
    scroll = window.stack.currentWidget()  # the form scrolls itself: the page only sideways
    assert scroll.widget() is window.pretrain and not scroll.verticalScrollBar().isVisible()
    assert window.pretrain.form.verticalScrollBar().isVisible()
    view = window.pretrain.view  # each plot's title whole, the plots at their least width
    for plot in (view.loss_plot, view.lr_plot, view.speed_plot, view.health_plot):
        title = plot.getPlotItem().titleLabel
        assert title.item.boundingRect().width() <= plot.width(), title.text
    window.show_step(0)  # a folder dropped on a step's scroll area is still imported
    drop(window.stack.currentWidget().viewport(), [tmp_path / "shapes"])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def test_no_step_scrolls_where_the_screen_has_room(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """On a 1280 x 800 screen (unscaled, less a 40 px taskbar) every step shows whole,
    without a scroll bar."""
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(0, 0, 1280, 760))
    import_shapes(project, tmp_path)
    window = make_window(project)
    assert window.size().toTuple() == (1152, 684)
    for step in range(6):
        window.show_step(step)
        qtbot.wait(20)
        scroll = window.stack.currentWidget()
        bars = (scroll.horizontalScrollBar(), scroll.verticalScrollBar())
        assert not any(bar.isVisible() for bar in bars), step
        assert _squeezed(window.panels[step]) == [], step
