"""How long the window blocks when the Data panel refreshes and the Map recolours, by size.

A project of N series items is made from one NPY file (seconds, even at 30 000), opened
in the application (offscreen), and on the GUI thread this times:

- reading the dataset's items, all 31 columns (the old read of every refresh) and only
  the thumbnail grid's (``DatasetView.open(lean=True)``, the Data panel's read now);
- a label change told to the window (the Data panel re-reads the labels only), a full
  Data panel reload (another dataset, or new data), and the same reload through the old
  full read;
- Map → "open item in Data" on the dataset already shown (``DataPanel.show_item``);
- the Map: its first draw, then each change of "Colour by" (the scatter items are kept),
  and the same redraw as it was (every scatter item removed and made anew).

    python tests/bench/bench_gui_refresh.py [--sizes 3000,30000] [--groups 8]

Prints a table of seconds, then one JSON line: each figure at the largest size, its ratio
to the smallest size, and old ÷ new for the Data panel's reload and the Map's recolouring
(a garbage collection is run before each timed redraw: a full one, which at 30 000 items
costs about 0.6 s, otherwise lands on either path by chance). No pass/fail threshold.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from ssl_studio.core.config import ImportConfig  # noqa: E402
from ssl_studio.core.evaluation.embedding_map import EmbeddingMap  # noqa: E402
from ssl_studio.core.jobs import create_project, import_data  # noqa: E402
from ssl_studio.core.viewing import DatasetView  # noqa: E402
from ssl_studio.gui.app import application  # noqa: E402
from ssl_studio.gui.live_plot import COLOURS, SYMBOLS  # noqa: E402
from ssl_studio.gui.main_window import MainWindow  # noqa: E402
from ssl_studio.gui.panels import data_panel  # noqa: E402
from ssl_studio.gui.panels.map_runs import natural_order  # noqa: E402


def best_of(fn: Callable[[], Any], repeats: int = 3) -> float:
    """The fastest of ``repeats`` timed calls, in seconds (the least disturbed one)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


class FullRead:
    """Stands for DatasetView in the Data panel: opens as it did before, every column of
    every item (``lean`` ignored)."""

    @staticmethod
    def open(project: Path, dataset: str, *, lean: bool = False) -> DatasetView:
        return DatasetView.open(project, dataset)


def redraw_anew(panel: Any) -> None:
    """The Map's redraw as it was: every scatter item removed and made anew, with its
    dots, hover and click wiring and legend entry (groups as the panel works them out)."""
    for scatter in panel.scatters:
        panel.plot.removeItem(scatter)
    panel.legend.clear()
    panel.scatters = []
    panel.grouped.clear()  # (worked out at each redraw, as then)
    categories = np.array(panel.categories())
    for number, name in enumerate(sorted(set(categories), key=natural_order)):
        where = np.flatnonzero(categories == name)
        colour = COLOURS[number % len(COLOURS)]
        scatter = pg.ScatterPlotItem(
            pos=panel.map.xy[where],
            data=where,
            size=8,
            symbol=SYMBOLS[number % len(SYMBOLS)],
            brush=pg.mkBrush(colour),
            pen=pg.mkPen(colour),
            hoverable=True,
            hoverSize=12,
            name=f"{name} ({len(where)})",
        )
        scatter.sigHovered.connect(panel._hovered)
        scatter.sigClicked.connect(panel._clicked)
        panel.plot.addItem(scatter)
        panel.scatters.append(scatter)


def measure(app: Any, n: int, n_groups: int, tmp: Path) -> dict[str, float]:
    folder = tmp / f"n{n}"
    folder.mkdir()
    source = folder / "series.npy"
    rng = np.random.default_rng(0)
    np.save(source, rng.normal(size=(n, 1, 32)).astype(np.float32))
    project = create_project(folder / "project")
    name = import_data(ImportConfig(project=project, paths=[source], name="series"))["dataset"]
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(project, settings=settings)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    data = window.data
    out: dict[str, float] = {}
    out["read all columns"] = best_of(lambda: DatasetView.open(project, name))
    out["read grid columns"] = best_of(lambda: DatasetView.open(project, name, lean=True))
    out["label change (notify)"] = best_of(lambda: window.context.notify("labels"))
    out["Data reload"] = best_of(data.reload)
    data_panel.DatasetView = FullRead  # type: ignore[misc,assignment]
    try:
        out["Data reload, old full read"] = best_of(data.reload)
    finally:
        data_panel.DatasetView = DatasetView  # type: ignore[misc]
    assert data.view is not None
    last = data.view.item_id(len(data.view.items) - 1)
    out["show_item (shown dataset)"] = best_of(lambda: data.show_item(name, last))

    window.show_step(4)
    panel = window.map
    view = DatasetView.open(project, name)  # (as the map's job reads it, off the GUI thread)
    ids = [int(item["id"]) for item in view.items]
    xy = rng.normal(size=(n, 2)).astype(np.float32)
    vectors = rng.normal(size=(n, 8)).astype(np.float32)
    labels = [f"class {k}" for k in rng.integers(0, n_groups, n)]
    start = time.perf_counter()
    panel._computed((EmbeddingMap(ids, xy, vectors, labels, "pca"), view))
    out["Map first draw"] = time.perf_counter() - start
    recolour, anew = [], []
    for _ in range(3):
        for k in [*range(1, panel.colour_by.count()), 0]:
            panel.colour_by.blockSignals(True)
            panel.colour_by.setCurrentIndex(k)
            panel.colour_by.blockSignals(False)
            for timings, redraw in ((recolour, panel._draw), (anew, redraw_anew)):
                gc.collect()  # (a full collection lands on either path by chance)
                start = time.perf_counter()
                redraw(panel) if redraw is redraw_anew else redraw()
                timings.append(time.perf_counter() - start)
        panel._draw()  # (its own items back)
    out["Map recolour (median)"] = float(np.median(recolour))
    out["Map recolour (worst)"] = max(recolour)
    out["Map recolour, old (median)"] = float(np.median(anew))
    out["Map recolour, old (worst)"] = max(anew)
    window.runner.stop()
    window.runner.wait()
    window.close()
    window.deleteLater()
    app.processEvents()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="3000,30000")
    parser.add_argument("--groups", type=int, default=8, help="label classes on the map")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        rows = {n: measure(app, n, args.groups, Path(tmp)) for n in sizes}
    names = list(rows[sizes[0]])
    print(f"{'seconds':30}" + "".join(f"{n:>10}" for n in sizes))
    for name in names:
        print(f"{name:30}" + "".join(f"{rows[n][name]:10.3f}" for n in sizes))
    small, large = rows[sizes[0]], rows[sizes[-1]]
    out: dict[str, Any] = {"items": sizes[-1]}
    for name in names:
        key = name.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
        out[f"{key}_s"] = round(large[name], 4)
        out[f"{key}_vs_{sizes[0]}"] = round(large[name] / max(small[name], 1e-6), 2)
    out["reload_old_vs_new"] = round(
        large["Data reload, old full read"] / max(large["Data reload"], 1e-6), 2
    )
    out["recolour_old_vs_new"] = round(
        large["Map recolour, old (median)"] / max(large["Map recolour (median)"], 1e-6), 2
    )
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    # Leave without Python's final garbage collection: PySide6 6.x can crash while tearing
    # down pyqtgraph items at interpreter exit, after everything above is printed.
    os._exit(code)
