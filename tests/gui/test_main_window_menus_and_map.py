"""The main window's menus, guide and demo when resources are missing, and the map's and
curves' colours, symbols and dashes."""

from __future__ import annotations

import numpy as np


def test_menus_have_shortcuts_and_the_guide_opens(make_window, project):
    window = make_window(project)
    texts = {
        a.text(): a.shortcut().toString()
        for menu in window.menuBar().actions()
        for a in menu.menu().actions()
    }
    assert texts["&Open project…"] == "Ctrl+O" and texts["&Import folder…"] == "Ctrl+I"
    assert texts["Start &pretraining"] == "Ctrl+R" and texts["&Data"] == "Ctrl+1"
    guide = window.show_guide()
    assert "pretext task" in guide.findChild(type(window.export.card)).toPlainText().lower()
    guide.close()


def test_without_the_resources_folder_the_guide_and_demo_say_where_they_looked(
    qtbot, make_window, tmp_path, monkeypatch, messages
):
    """An install that lacks its resources: F1 and the demo say so, not nothing."""
    nowhere = tmp_path / "site-packages" / "resources"
    monkeypatch.setattr("ssl_studio.resources.resources_dir", lambda: nowhere)
    window = make_window()
    actions = [a for m in window.menuBar().actions() for a in m.menu().actions()]
    [f1] = [a for a in actions if "Guide" in a.text()]
    f1.trigger()
    [(title, text)] = messages
    assert title == "Guide to the concepts" and str(nowhere / "guide.md") in text
    assert "README" in text and "SSL Studio is incomplete" in text
    messages.clear()
    assert window.open_demo(tmp_path / "demo")
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    [(title, text)] = messages  # once, not twice
    assert title == "Preparing the demo project failed" and str(nowhere / "demo") in text
    assert "SSL Studio is incomplete" in text and "Traceback" not in text
    assert window.context.project is None and not (tmp_path / "demo").exists()


def test_every_named_group_on_the_map_has_a_colour_of_its_own(make_window, project):
    """With eight named groups (or "no patient ID" sorted before "other"), the eighth took
    the first one's colour: two patients looked like one cluster."""
    from types import SimpleNamespace

    from ssl_studio.core.map_colours import MAX_GROUPS, groups

    window = make_window(project)
    panel = window.map
    folders = ["a", "b", "c", "d", "x", "y", "z", "t1", "t2", "t3", "t4", "t5"]
    items = [{"rel_path": f"{f}/{i}.png"} for n, f in enumerate(folders) for i in range(12 - n)]
    names = groups(items, "folder")  # seven folders and "other (5 more)" sorted among them
    assert len(set(names)) == MAX_GROUPS + 1
    panel.map = SimpleNamespace(xy=np.zeros((len(names), 2)))
    panel.marked = None
    panel.categories = lambda: names
    panel._draw()
    colours = {s.name(): s.opts["brush"].color().name() for s in panel.scatters}
    named = [c for name, c in colours.items() if not name.startswith("other (")]
    assert len(named) == MAX_GROUPS == len(set(named))
    assert colours["other (5 more) (15)"] == "#bbbbbb"


def test_every_named_group_on_the_map_has_a_symbol_of_its_own(make_window, project):
    """The groups were all 8 px circles told apart by colour alone (blue, red, green: red
    and green look alike to many readers), and the legend's text was pale grey (2.96:1)."""
    from types import SimpleNamespace

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor

    from ssl_studio.gui.colours import contrast
    from ssl_studio.gui.live_plot import COLOURS

    window = make_window(project)
    panel = window.map
    names = [f"patient {n}" for n in range(7) for _ in range(3)] + ["unlabeled"] * 2
    panel.map = SimpleNamespace(xy=np.zeros((len(names), 2)))
    panel.marked = None
    panel.categories = lambda: names
    panel._draw()
    symbols = {s.name(): s.opts["symbol"] for s in panel.scatters}
    named = [symbol for name, symbol in symbols.items() if name.startswith("patient")]
    assert len(named) == 7 == len(set(named))
    assert "#d62728" not in COLOURS and "#2ca02c" not in COLOURS  # (Okabe–Ito instead)
    text = panel.legend.opts["labelTextColor"]  # dark text, not the pale default...
    assert text is not None and contrast(QColor(text), QColor("white")) >= 4.5
    assert panel.legend.opts["brush"].style() != Qt.BrushStyle.NoBrush  # ...on a pale backing


def test_overlaid_curves_beyond_the_colours_are_dashed():
    """The eighth curve (a series channel, a run's loss) took the first one's pen exactly."""
    from PySide6.QtCore import Qt

    from ssl_studio.gui.live_plot import COLOURS, curve_pen

    pens = [curve_pen(i) for i in range(2 * len(COLOURS))]
    looks = {(p.color().name(), p.style()) for p in pens}
    assert len(looks) == len(pens)
    assert pens[0].style() == Qt.PenStyle.SolidLine != pens[len(COLOURS)].style()
