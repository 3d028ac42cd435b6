"""How long the import report takes to show N files left out: a QTableWidget filled with an
item per cell (the report before, the baseline, in the same process) against the RowTable
(a model over the rows) that shows it now.

Each table is set up as the Data panel sets up its report (the columns, the column caps of
the file and the code), shown at 1000 x 600 offscreen; a show is filling it and fitting its
columns, then painting it. Rows wrap to their text in neither (the panel wraps at most 500
rows), so the figures compare the tables alone. A resize is one change of the table's width
with the rows shown.

    python tests/bench/bench_report_table.py [--rows 1000,20000,100000]

Prints a table, then one JSON line {"rows": {N: {"widget_s", "model_s", "ratio",
"widget_resize_s", "model_resize_s"}}, "min_ratio"}: ratio is the widget's show time over
the model's (how many times faster the model shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from ssl_studio.gui.panels.data_panel import REPORT_COLUMNS  # noqa: E402
from ssl_studio.gui.row_table import RowTable  # noqa: E402
from ssl_studio.gui.tables import ColumnCaps, fill_table, make_table  # noqa: E402

REASON = (
    "The file is not a DICOM, PNG, TIFF, JPEG, CSV or NPY file; it was left out of the "
    "dataset. Move it elsewhere if it belongs to another study."
)
SHARES = {1: 0.25, 2: 0.16}  # as the Data panel caps the file and the code


def rows_of(n: int) -> list[list[str]]:
    """Rows shaped like an import report's: a long path, a code, a sentence."""
    return [
        [
            "skipped",
            f"/data/PACS_export/study_{i // 50:05d}/series_{i % 7}/IM{i:06d}.txt",
            "not_an_image",
            REASON,
        ]
        for i in range(n)
    ]


def timed(app: QApplication, table: QTableView, caps: ColumnCaps, show: Callable[[], None]):
    """Seconds to show the rows (``show``, the caps fitted, painted), then to resize once."""
    start = time.perf_counter()
    show()
    caps.fit()
    app.processEvents()
    shown = time.perf_counter() - start
    start = time.perf_counter()
    table.resize(900, 600)
    app.processEvents()
    resized = time.perf_counter() - start
    return shown, resized


def measure(app: QApplication, n: int) -> dict[str, float]:
    rows = rows_of(n)
    widget = make_table(REPORT_COLUMNS)
    model = RowTable(REPORT_COLUMNS)
    figures: dict[str, float] = {}
    for name, table, show in (
        ("widget", widget, lambda: fill_table(widget, rows)),
        ("model", model, lambda: model.set_rows(rows)),
    ):
        caps = ColumnCaps(table, dict(SHARES))
        table.resize(1000, 600)
        table.show()
        app.processEvents()
        shown, resized = timed(app, table, caps, show)
        assert table.model().rowCount() == n
        figures[f"{name}_s"] = round(shown, 4)
        figures[f"{name}_resize_s"] = round(resized, 4)
        table.close()
        table.deleteLater()
        app.processEvents()
    figures["ratio"] = round(figures["widget_s"] / figures["model_s"], 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,20000,100000", help="comma-separated counts")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    results = {int(n): measure(app, int(n)) for n in args.rows.split(",")}
    print(
        f"{'rows':>7} {'QTableWidget s':>15} {'RowTable s':>11} {'ratio':>7}"
        f" {'resize widget s':>16} {'resize model s':>15}"
    )
    for n, r in results.items():
        print(
            f"{n:>7} {r['widget_s']:>15.4f} {r['model_s']:>11.4f} {r['ratio']:>7.1f}"
            f" {r['widget_resize_s']:>16.4f} {r['model_resize_s']:>15.4f}"
        )
    figures = {"rows": results, "min_ratio": min(r["ratio"] for r in results.values())}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
