"""The live view of a pretraining run: progress, status, health, notices and the loss,
learning-rate, throughput and health curves, fed by the run's events."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from ssl_studio.core.events import Event, Health, Message, Step
from ssl_studio.gui.colours import tone
from ssl_studio.gui.live_plot import LivePlot, log_toggle
from ssl_studio.gui.markup import esc, plain, rich

IDLE = "No run yet. Choose the options on the left and press Start."
IDLE_WITH_RUNS = (
    "No run in this session: Runs (step 4) lists the earlier ones, with their curves. "
    "Choose the options on the left and press Start for a new one."
)
PAUSED = " — paused. Press Resume to go on."
COLLAPSED_BELOW = 1e-3  # embedding spread under which the embeddings are collapsing
# the least a plot is high here, in lines of text (the title, the axes, a few grid lines;
# 96 px at the usual 9 pt): its three rows of plots fit beside the form on a 1024 x 600
# screen, 120 px did not; at large fonts they grow with the text (the view scrolls)
PLOT_LINES = 6.8
# the stored metrics of a run drawn on the live plots: (metric, plot attribute, curve)
HISTORY = (
    ("loss", "loss_plot", "loss"),
    ("lr", "lr_plot", "lr"),
    ("samples_per_s", "speed_plot", "samples/s"),
    ("embedding_std", "health_plot", "embedding spread"),
    ("knn_accuracy", "health_plot", "kNN accuracy"),
)


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


class TrainingView(QWidget):
    """What the running (or last) run is doing; ``layout_top`` takes the panel's buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Pretraining progress")
        self.status = plain(QLabel(IDLE))
        self.status.setWordWrap(True)
        self.health = rich(QLabel())  # (numbers only)
        self.health.setWordWrap(True)
        self.notice = rich(QLabel())  # messages in it escaped
        self.notice.setWordWrap(True)
        self.loss_plot = LivePlot("Training loss", y_label="loss", legend=False, smooth=True)
        self.loss_log_y = log_toggle(self.loss_plot)
        self.lr_plot = LivePlot("Learning rate", legend=False)
        self.speed_plot = LivePlot("Throughput", y_label="samples / s", legend=False)
        self.health_plot = LivePlot(  # (its title whole at its least width)
            "Health: kNN accuracy and spread",
            legend_offset=None,  # above: no curve end hidden
        )
        self.health_every: int | None = None  # steps between health checks of the run shown
        for plot in (self.loss_plot, self.lr_plot, self.speed_plot, self.health_plot):
            plot.set_min_lines(PLOT_LINES)  # three rows beside the form on a low screen
        plots = QGridLayout()
        loss_column = QVBoxLayout()
        loss_column.setSpacing(0)
        loss_column.addWidget(self.loss_plot, 1)
        loss_column.addWidget(self.loss_log_y, 0, Qt.AlignmentFlag.AlignRight)
        plots.addLayout(loss_column, 0, 0, 1, 2)
        plots.addWidget(self.lr_plot, 1, 0)
        plots.addWidget(self.speed_plot, 1, 1)
        plots.addWidget(self.health_plot, 2, 0, 1, 2)
        self.layout_top = QVBoxLayout(self)
        for label in (self.progress, self.status, self.health, self.notice):
            self.layout_top.addWidget(label)
        self.layout_top.addLayout(plots, 1)

    def clear(self) -> None:
        for plot in (self.loss_plot, self.lr_plot, self.speed_plot, self.health_plot):
            plot.clear_curves()
        self.notice.setText("")
        self.health.setText("")
        self.progress.setValue(0)

    def show_history(self, history: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Draw the stored curves of a run being resumed (``metric -> (steps, values)``,
        as ``Store.metric_arrays`` gives them) before the points its live events brought
        so far (read off the GUI thread, they may come after the first ones)."""
        for metric, plot_name, curve in HISTORY:
            if metric in history:
                plot: LivePlot = getattr(self, plot_name)
                x, y = history[metric]
                if curve in plot.buffers:  # live points already: the stored ones before
                    live_x, live_y = plot.points(curve)
                    before = x < live_x[0] if live_x.size else np.ones(x.shape, bool)
                    x = np.concatenate([x[before], live_x])
                    y = np.concatenate([y[before], live_y])
                plot.set_curve(curve, x, y)

    def show_event(self, event: Event, paused: bool) -> None:
        """Draw one event of the run (``paused``: the job is paused right now)."""
        if isinstance(event, Step):
            self._step(event, paused)
        elif isinstance(event, Health):
            self._health(event)
        elif isinstance(event, Message) and event.level != "info":
            orange = tone("orange", self.palette())
            self.notice.setText(f"<span style='color:{orange}'>{esc(event.text)}</span>")

    def _step(self, event: Step, paused: bool) -> None:
        self.loss_plot.append("loss", event.step, event.loss)
        self.lr_plot.append("lr", event.step, event.lr)
        self.speed_plot.append("samples/s", event.step, event.samples_per_s)
        self.progress.setMaximum(event.total)
        self.progress.setValue(event.step)
        every = self.health_every
        if every and not self.health_plot.buffers:  # say when the empty plot gets a point
            first = -(-event.step // every) * every
            self.health.setText(
                "The health gauges (embedding spread, kNN accuracy) are measured every "
                + (
                    f"{every} steps: the health plot gets its first point at step {first}."
                    if first <= event.total
                    else f"{every} steps: this run of {event.total} steps is too short for "
                    "one (the loss curve tells how it goes)."
                )
            )
        memory = f", {event.memory_mb:.0f} MB on the device" if event.memory_mb else ""
        self.status.setText(
            f"Step {event.step} of {event.total} (epoch {event.epoch}), loss "
            f"{event.loss:.4f}, {event.samples_per_s:.0f} samples/s{memory}. "
            f"Time left: {eta_text(event.eta_s)}.{PAUSED if paused else ''}"
        )

    def _health(self, event: Health) -> None:
        self.health_plot.append("embedding spread", event.step, event.embedding_std)
        knn = ""
        if event.knn_accuracy is not None:
            self.health_plot.append("kNN accuracy", event.step, event.knn_accuracy)
            knn = f" Online kNN accuracy on the labeled items: {event.knn_accuracy:.1%}."
        red = tone("red", self.palette())
        warning = (
            f" <b style='color:{red}'>The embeddings are collapsing (almost no spread): "
            "stop and try a lower learning rate or another task.</b>"
            if event.embedding_std < COLLAPSED_BELOW
            else ""
        )
        self.health.setText(
            f"Health at step {event.step}: embedding spread {event.embedding_std:.3f}, "
            f"effective rank {event.effective_rank:.1f}.{knn}{warning}"
        )

    def show_paused(self, paused: bool = True) -> None:
        """Add the pause note to the status, or take it away (on Resume); the status text
        itself is kept apart from it, so pausing twice says it once."""
        text = self.status.text().removesuffix(PAUSED)
        self.status.setText(text + PAUSED if paused else text)

    def show_done(self, summary: dict[str, Any]) -> None:
        stopped = summary["status"] == "stopped"
        verb = "stopped (it can be resumed from Runs)" if stopped else "finished"
        self.status.setText(f"Run {summary['run_id']} {'stopped' if stopped else 'finished'}.")
        loss = summary.get("final_loss")
        self.notice.setText(
            f"<b>Run {summary['run_id']} {verb}</b> after {summary['steps']} steps in "
            f"{summary['seconds']:.0f} s"
            + (f"; mean loss of the last epoch {loss:.4f}." if loss is not None else ".")
            + ("" if stopped else " Next: Fine-tune, or look at the Embedding map.")
        )

    def show_failed(self, message: str) -> None:
        red = tone("red", self.palette())
        self.notice.setText(f"<b style='color:{red}'>The run failed.</b> {esc(message)}")
        self.status.setText("The run failed (see below). Change the options and press Start.")
