"""What a frame of the live loss plot costs the GUI thread as a run's history grows.

A Step comes at most every 0.5 s, so a run of a week on fast hardware sends 1.2 M loss
points. Each frame used to smooth the whole history again and hand every point to
pyqtgraph (0.2-0.6 s a frame at 1.2 M points on a loaded 2-core machine). The baseline is
that code (HEAD before the change, copied below as ``OldLivePlot.redraw`` and
``old_smoothed``), run in the same process on the same curves; the plot is the Pretrain
live view's (``LivePlot(smooth=True)``), 800 x 400, offscreen, painted in each timing.

    python tests/bench/bench_live_plot.py [--points 1200000] [--repeat 5]

Cases, at 10 000, 100 000 and ``--points`` points of history: "first frame" (set_curve and
its first drawing: a resumed run's history), "append+frame" (one new point and its frame:
what a running job costs each 0.5 s; median of ``--repeat``). Prints a table, then one
JSON line {"points", "seconds": {case: {"old", "new"}}, "ratios": {case: old/new}}.
Target: an append+frame costs about the same at every size (a few ms), where the old one
grew with the history.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from old_new_table import print_old_new  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ssl_studio.gui.live_plot import FEW_POINTS, LivePlot  # noqa: E402
from ssl_studio.gui.smoothing import moving_average, smoothing_weight  # noqa: E402


def old_smoothed(y: np.ndarray) -> np.ndarray:
    """live_plot.smoothed before the change (the power worked out for every point)."""
    y = np.asarray(y, dtype=float)
    keep = smoothing_weight(len(y))
    if keep <= 0:
        return y.copy()
    return moving_average(y, keep) / (1.0 - keep ** np.arange(1, len(y) + 1))


class OldLivePlot(LivePlot):
    """LivePlot with the redraw before the change: all points, all smoothed, each frame."""

    def redraw(self) -> None:
        self.timer.stop()
        if not self.isVisible():
            return
        for name in self._dirty:
            if name in self.curves:
                x, y = self.points(name)
                curve = self.curves[name]
                dots = "o" if len(x) < FEW_POINTS else None
                if curve.opts.get("symbol") != dots:
                    curve.setSymbol(dots)
                curve.setData(x, y)
                if name in self.smooth_curves:
                    self.smooth_curves[name].setData(x, old_smoothed(y))
        self._dirty.clear()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    QApplication.processEvents()  # (the paint)
    return time.perf_counter() - start


def loss_curve(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    steps = np.arange(1, n + 1, dtype=float)
    return steps, 0.5 + 5 * np.exp(-steps / (n / 5)) + 0.3 * rng.standard_normal(n)


def measure(kind: type[LivePlot], n: int, repeat: int) -> tuple[float, float]:
    """(first frame, median append+frame) seconds of a plot of ``kind`` at ``n`` points."""
    plot = kind("loss", smooth=True)
    plot.resize(800, 400)
    plot.show()
    QApplication.processEvents()
    x, y = loss_curve(n)
    first = timed(lambda: plot.set_curve("loss", x, y))

    def frame(step: float) -> None:
        plot.append("loss", step, 0.5)
        plot.redraw()

    frames = [timed(lambda s=n + 1.0 + i: frame(s)) for i in range(repeat)]
    plot.close()
    plot.deleteLater()
    QApplication.processEvents()
    return first, statistics.median(frames)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    sizes = sorted({10_000, 100_000, args.points})
    seconds: dict[str, dict[str, float]] = {}
    for n in sizes:
        old_first, old_frame = measure(OldLivePlot, n, args.repeat)
        new_first, new_frame = measure(LivePlot, n, args.repeat)
        seconds[f"first frame, {n} points"] = {"old": old_first, "new": new_first}
        seconds[f"append+frame, {n} points"] = {"old": old_frame, "new": new_frame}

    print_old_new(seconds, points=sizes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
