"""What a screen reader (Orca, NVDA) can say: a name for every control Tab reaches, and
for each item of the thumbnail grid."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QTabBar,
    QWidget,
)

from ssl_studio.core.export.card_details import CardDetails
from ssl_studio.core.viewing import DatasetView
from ssl_studio.gui.thumbnails import ThumbnailModel, thumbnail_view
from ssl_studio.gui.wizard.card_details_dialog import CardDetailsDialog
from ssl_studio.gui.wizard.label_dialog import LabelDialog

from gui_helpers import import_shapes


def test_a_thumbnail_is_announced_by_its_place_its_id_and_its_class(qtbot, project, tmp_path):
    view = DatasetView.open(import_shapes(project, tmp_path), "shapes")
    model = ThumbnailModel()
    model.set_view(view, {int(view.items[0]["id"]): "normal"})
    said = [model.data(model.index(row), Qt.ItemDataRole.AccessibleTextRole) for row in (0, 1)]
    assert said == ["Image 1 of 4 (item 1): normal", "Image 2 of 4 (item 2): unlabeled"]
    described = model.data(model.index(0), Qt.ItemDataRole.AccessibleDescriptionRole)
    assert described == view.items[0]["modality"] and described
    grid = thumbnail_view(model)
    qtbot.addWidget(grid)
    grid.show()
    cell = QAccessible.queryAccessibleInterface(grid).child(0)  # what the reader is given
    assert cell.text(QAccessible.Text.Name) == "Image 1 of 4 (item 1): normal"
    assert cell.text(QAccessible.Text.Description) == described


def _inside_an_editor(widget: QWidget) -> bool:
    """A combo box's or spin box's own parts (its list, its line edit) take its name."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox | QAbstractSpinBox):
            return True
        parent = parent.parentWidget()
    return False


def _named(widget: QWidget, labels: list[QLabel], forms: list[QFormLayout]) -> bool:
    """Whether a screen reader has a name for ``widget``: its own text, an accessible name,
    a label that is its buddy, or the label of its form row."""
    if widget.accessibleName():
        return True
    if isinstance(widget, QAbstractButton) and widget.text().replace("&", ""):
        return True
    if isinstance(widget, QGroupBox) and widget.title():
        return True
    if isinstance(widget, QTabBar):
        return all(widget.tabText(i) for i in range(widget.count()))
    if any(label.buddy() is widget for label in labels):
        return True
    return any(form.labelForField(widget) is not None for form in forms)


def unnamed(root: QWidget, only: list[QWidget] | None = None) -> list[str]:
    """The widgets under ``root`` (``only`` these, if given) that Tab reaches and a screen
    reader cannot name."""
    labels, forms = root.findChildren(QLabel), root.findChildren(QFormLayout)
    found = []
    for widget in root.findChildren(QWidget) if only is None else only:
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget.focusProxy():
            continue
        parent = widget.parentWidget()
        if isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget:
            continue
        if _inside_an_editor(widget) or _named(widget, labels, forms):
            continue
        where = parent.metaObject().className() if parent else ""
        found.append(f"{widget.metaObject().className()} in {where} ({widget.toolTip()[:40]})")
    return found


def test_every_control_of_the_window_and_the_wizard_has_a_name(make_window, project, tmp_path):
    """Tab reaches nothing that Orca or NVDA could only call "combo box" or "table": on
    each step, around the steps (list of steps, log), in the wizard and the label dialog."""
    window = make_window(import_shapes(project, tmp_path))
    missing = []
    for step, panel in enumerate(window.panels):
        window.show_step(step)
        missing += [f"step {step + 1}: {w}" for w in unnamed(panel)]
    around = [w for w in window.findChildren(QWidget) if w.window() is window]
    outside = [w for w in around if not any(p is w or p.isAncestorOf(w) for p in window.panels)]
    missing += [f"window: {w}" for w in unnamed(window, only=outside)]
    wizard = window.open_wizard()
    missing += [f"wizard: {w}" for w in unnamed(wizard)]
    view = DatasetView.open(project, "shapes")
    missing += [f"label dialog: {w}" for w in unnamed(LabelDialog(view, {}, window))]
    details = CardDetailsDialog(project, CardDetails(), window)
    missing += [f"card details dialog: {w}" for w in unnamed(details)]
    assert not missing, "\n".join(missing)


def _alt_keys(root: QWidget) -> list[tuple[str, str]]:
    """(letter, text) of every Alt+letter under ``root``: labels with a buddy, buttons."""
    texts = [label.text() for label in root.findChildren(QLabel) if label.buddy()]
    texts += [button.text() for button in root.findChildren(QAbstractButton)]
    keys = [(re.search(r"&([^&])", t.replace("&&", "")), t) for t in texts]
    return [(found.group(1).lower(), text) for found, text in keys if found]


def _shared(keys: list[tuple[str, str]]) -> list[str]:
    """Which of ``keys`` (letter, text) take a letter taken before them."""
    seen: dict[str, str] = {}
    shared = []
    for key, text in keys:
        if key in seen:
            shared.append(f"{text} and {seen[key]} share Alt+{key}")
        seen.setdefault(key, text)
    return shared


def test_no_two_alt_keys_of_a_step_or_dialog_collide(make_window, project, tmp_path):
    """A label's Alt+letter reaches its control: one a step shares with the menu bar (Alt+R
    for "Run" beside the Run menu) or another control does nothing."""
    window = make_window(import_shapes(project, tmp_path))
    menus = [(a.text().split("&")[1][0].lower(), a.text()) for a in window.menuBar().actions()]
    shared = []
    for step, panel in enumerate(window.panels):
        shared += [f"step {step + 1}: {s}" for s in _shared(menus + _alt_keys(panel))]
    shared += [f"wizard: {s}" for s in _shared(_alt_keys(window.open_wizard()))]
    details = CardDetailsDialog(project, CardDetails(), window)
    shared += [f"card details: {s}" for s in _shared(_alt_keys(details))]
    assert ("c", "&Colour by") in _alt_keys(window.map) and ("w", "&Window") in _alt_keys(
        window.data
    )
    assert not shared, "\n".join(shared)
