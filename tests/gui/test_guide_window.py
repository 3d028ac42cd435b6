"""Help → Guide (F1) opens one guide window and raises it again; it is not made anew
(and kept, never freed) on each press."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog


def test_f1_again_raises_the_one_guide_window(qtbot, make_window):
    """Each F1 made another guide window, none ever freed: now one, raised again."""
    window = make_window()
    action = next(
        a
        for menu in window.menuBar().actions()
        for a in menu.menu().actions()
        if a.shortcut().toString() == "F1"
    )
    for _ in range(3):
        action.trigger()
    guides = [d for d in window.findChildren(QDialog) if d.windowTitle() == "Guide to the concepts"]
    assert len(guides) == 1 and guides[0].isVisible()
    guides[0].close()
    action.trigger()  # closed, then asked for again: the same window comes back
    assert window.show_guide() is guides[0] and guides[0].isVisible()
