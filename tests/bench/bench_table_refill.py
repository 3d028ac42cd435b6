"""How long the window's tables take to show new rows when they already show rows.

The Runs table reloads whenever a job ends, the import report when a dataset is chosen,
the predictions table after each prediction: each time ``fill_table`` replaces the rows
of a table that is on screen. Baseline: the first fill of the same empty table in the
same process (which was always fast); the figure is the refill time over the first fill.

    python tests/bench/bench_table_refill.py [--rows 100,300,1000]

Prints a table, then one JSON line {"rows": {N: {"first_s", "refill_s", "ratio"}},
"max_ratio"}. Target: a refill costs about what a first fill does (ratio near 1, not
growing with N); before the fix a refill of 300 rows took 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from ssl_studio.gui.tables import fill_table, make_table  # noqa: E402


def rows_of(n: int) -> list[list[object]]:
    """Rows shaped like the Runs table's: ids, names, numbers, a long last column."""
    return [
        [i, f"run {i}", "simclr", "cnn-small", f"{1 / (i + 1):.4f}", "done " * (1 + i % 7)]
        for i in range(n)
    ]


def measure(app: QApplication, n: int) -> dict[str, float]:
    table = make_table(("Run", "Name", "Task", "Backbone", "Loss", "Status"))
    table.resize(900, 600)
    table.show()
    app.processEvents()
    start = time.perf_counter()
    fill_table(table, rows_of(n))
    app.processEvents()
    first = time.perf_counter() - start
    start = time.perf_counter()
    fill_table(table, rows_of(n))
    app.processEvents()
    refill = time.perf_counter() - start
    table.close()
    return {"first_s": round(first, 4), "refill_s": round(refill, 4), "ratio": refill / first}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="100,300,1000", help="comma-separated row counts")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    results = {int(n): measure(app, int(n)) for n in args.rows.split(",")}
    print(f"{'rows':>6} {'first fill s':>13} {'refill s':>10} {'refill/first':>13}")
    for n, r in results.items():
        print(f"{n:>6} {r['first_s']:>13.4f} {r['refill_s']:>10.4f} {r['ratio']:>13.2f}")
    for r in results.values():
        r["ratio"] = round(r["ratio"], 2)
    figures = {"rows": results, "max_ratio": max(r["ratio"] for r in results.values())}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
