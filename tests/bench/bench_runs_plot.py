"""What the Runs panel's loss plot costs the GUI thread with long runs selected.

Runs logged for hours hold tens of thousands of loss points (57 600 = 8 h at one Step event
per 0.5 s). The Runs panel used to read and draw the selected runs again at every job
start and end (busy_changed), reading each curve as Python tuples and handing it to the
plot one point at a time. The baseline is that code (HEAD before the fix, copied below as
``old_set_curve`` / ``old_plot_losses``), run in the same process on the same project.

    python tests/bench/bench_runs_plot.py [--points 57600] [--runs 3] [--repeat 3]

Prints a table (best of ``--repeat``), then one JSON line {"points", "runs", "seconds":
{case: {"old", "new"}}, "ratios": {case: old/new}}. Target: a job's start and end cost no
curve work at all, a first selection is several times faster than before.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from old_new_table import print_old_new  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ssl_studio.core.jobs import create_project  # noqa: E402
from ssl_studio.core.project.store import Store  # noqa: E402
from ssl_studio.gui.context import AppContext  # noqa: E402
from ssl_studio.gui.jobs import JobRunner  # noqa: E402
from ssl_studio.gui.live_plot import LivePlot  # noqa: E402
from ssl_studio.gui.panels.runs_panel import RunsPanel  # noqa: E402


def old_set_curve(plot: LivePlot, name: str, x, y) -> None:
    """LivePlot.set_curve before the fix: one Python append per point."""
    if name in plot.buffers:
        plot.buffers[name] = type(plot.buffers[name])()
    for xi, yi in zip(np.asarray(x, float), np.asarray(y, float), strict=True):
        plot.append(name, xi, yi)
    plot.redraw()


def old_plot_losses(panel: RunsPanel, chosen: list[dict]) -> None:
    """RunsPanel._plot_losses before the fix (no cache; store.metrics; old_set_curve)."""
    curves = {}
    with Store.open(panel.context.project) as store:
        for run in chosen:
            points = store.metrics(run["id"], "loss")
            if points:
                curves[run["id"]] = tuple(zip(*points, strict=True))
    panel.plot.reset_view("Loss of the selected runs")
    for run_id, (steps, values) in curves.items():
        old_set_curve(panel.plot, f"run {run_id}", steps, values)


def make_project(root: Path, runs: int, points: int) -> Path:
    project = create_project(root / "project")
    rng = np.random.default_rng(0)
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("chest", "image", 32)
        for _ in range(runs):
            run = store.create_run(dataset, "pretrain", {"task": "simclr"})
            steps = np.arange(1, points + 1)
            losses = 5 * np.exp(-steps / 3000) + 0.5 + 0.3 * rng.standard_normal(points)
            store.add_metrics(
                run,
                [
                    (int(s), int(s) // 100, "loss", float(v))
                    for s, v in zip(steps, losses, strict=True)
                ],
            )
            store.finish_run(run, "stopped", {"steps": points, "seconds": points / 2})
    return project


def best(repeat: int, work: Callable[[], object], before: Callable[[], object] = lambda: None):
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        work()
        QApplication.processEvents()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=57_600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), args.runs, args.points)
        context = AppContext(JobRunner())
        context.project = project
        panel = RunsPanel(context)
        panel.resize(1000, 700)
        panel.show()
        app.processEvents()
        runs = panel.runs
        first = runs[0]["id"]
        seconds: dict[str, dict[str, float]] = {}

        with Store.open(project) as store:
            steps, values = (np.asarray(v) for v in zip(*store.metrics(first, "loss"), strict=True))
            seconds["read one curve"] = {
                "old": best(args.repeat, lambda: store.metrics(first, "loss")),
                "new": best(args.repeat, lambda: store.metric_arrays(first, ["loss"])),
            }
        plot = LivePlot("bench")
        seconds["draw one curve"] = {
            "old": best(args.repeat, lambda: old_set_curve(plot, "x", steps, values)),
            "new": best(args.repeat, lambda: plot.set_curve("x", steps, values)),
        }

        def cold() -> None:  # a first selection: nothing cached yet
            panel.curve_cache.clear()
            panel._plotted = None

        seconds[f"select {args.runs} runs"] = {
            "old": best(args.repeat, lambda: old_plot_losses(panel, runs)),
            "new": best(args.repeat, lambda: panel._plot_losses(runs), cold),
        }
        panel.table.selectAll()
        app.processEvents()

        def old_job() -> None:  # busy_changed(True), then (False): both redrew the runs
            old_plot_losses(panel, runs)
            old_plot_losses(panel, runs)

        def new_job() -> None:
            context.runner.busy_changed.emit(True)
            context.runner.busy_changed.emit(False)

        seconds[f"job start+end, {args.runs} selected"] = {
            "old": best(args.repeat, old_job),
            "new": best(args.repeat, new_job),
        }

        def old_notice() -> None:  # "runs" notice: refill (selection lost, plot reset)
            panel.table.selectAll()
            old_plot_losses(panel, runs)  # ...and the user selects them again
            context.notify("runs")

        seconds[f"runs notice + reselect, {args.runs}"] = {
            "old": best(args.repeat, old_notice),
            "new": best(args.repeat, lambda: context.notify("runs")),
        }
        assert len(panel.selected()) == args.runs, "the selection was not kept"
        panel.close()

    print_old_new(seconds, points=args.points, runs=args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
