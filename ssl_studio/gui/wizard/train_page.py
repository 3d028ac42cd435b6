"""The wizard's training page: runs the fine-tuning job (and the baseline) with a live
loss curve, one curve per trained model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from ssl_studio.core.events import Event, Message, Step
from ssl_studio.core.jobs import finetune
from ssl_studio.core.project.store import Store
from ssl_studio.gui.colours import tone
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.markup import esc, rich

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard


def fit_names(protocol: str, baseline: bool, folds: int) -> list[str]:
    """The names of the trained fits a fine-tuning job makes, in order: each fold's model,
    then the one on all training labels, for the protocol (knn and linear train nothing
    step by step) and then for the from-scratch baseline."""
    models = [protocol] + (["scratch"] if baseline and protocol != "scratch" else [])
    names = []
    for model in models:
        if model in ("knn", "linear"):
            continue
        label = "from scratch" if model == "scratch" else model
        names += [f"{label}, fold {i}" for i in range(1, folds + 1)] + [label]
    return names


class TrainPage(QWizardPage):
    """Runs the fine-tuning job (and the baseline) with a live loss curve."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Training")
        self.setSubTitle("The fine-tuned model, then the from-scratch baseline on the same split.")
        self.setCommitPage(True)
        self.status = rich(QLabel())  # job titles and messages in it escaped
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.plot = LivePlot("Training loss (one curve per trained model)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.wiz.context.runner.stop)
        self.retry_button = QPushButton("Retry")  # shown when another job held the runner
        self.retry_button.setToolTip("Start the fine-tuning now that the other job has ended.")
        self.retry_button.clicked.connect(self._start)
        self.retry_button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button, 1)
        buttons.addWidget(self.retry_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addLayout(buttons)
        self.fit = 0
        self.last_step = 0
        self.fit_names: list[str] = []
        self.running = False
        self.trained_with: Any = None  # (FinetuneConfig, label-set version) of the last start
        wizard.context.runner.event.connect(self._event)
        wizard.context.runner.busy_changed.connect(self._runner_busy)

    def initializePage(self) -> None:  # noqa: N802
        cfg = self.wiz.finetune_config()
        chosen = (cfg, self._label_version(cfg.labels))  # labels edited since: train anew
        done = self.wiz.result is not None and self.wiz.result["status"] == "done"
        if self.running or (done and chosen == self.trained_with):
            return  # a result of these very choices is here (or on its way)
        self.wiz.result, self.trained_with = None, chosen  # stopped, failed or other choices
        self.completeChanged.emit()
        self._start()

    def _start(self) -> bool:
        """Start the fine-tuning of the choices made; when another job holds the runner,
        say so on the page and offer Retry."""
        cfg = self.trained_with[0]
        self.retry_button.hide()
        self.plot.clear_curves()
        self.progress.setValue(0)
        self.fit, self.last_step = 0, 0
        self.fit_names = fit_names(cfg.protocol, cfg.baseline, self.wiz.folds)
        self.status.setText("Preparing the labeled data…")

        def work(report: Any, stop: Any) -> dict[str, Any]:
            return finetune(cfg, report=report, stop=stop)

        runner = self.wiz.context.runner
        other = runner.title if runner.busy else None
        self.running = self.wiz.context.run(self, "Fine-tuning", work, self._done, self._failed)
        self.stop_button.setEnabled(self.running)
        if not self.running:
            self.retry_button.setVisible(other is not None)
            self.status.setText(
                f"Fine-tuning has not started: “{esc(other)}” is still running. Press Retry when "
                "it has ended (the status bar shows its progress and has its Stop button)."
                if other is not None
                else "Fine-tuning could not start (see the message)."
            )
        return self.running

    def _runner_busy(self, busy: bool) -> None:
        """The job this page waits for has ended: Retry will start the fine-tuning."""
        if not busy and not self.retry_button.isHidden():
            self.status.setText("The other job has ended: press Retry to start the fine-tuning.")

    def _label_version(self, name: str) -> int | None:
        """The newest version of label set ``name`` (None when it cannot be read: the
        fine-tuning job then says why)."""
        with self.wiz.context.reading(self), Store.open(self.wiz.project) as store:
            found = store.dataset(self.wiz.dataset)
            return store.label_version(found["id"], name) if found else None
        return None

    def _event(self, event: Event) -> None:
        if not self.running or event.job != "finetune":
            return
        if isinstance(event, Step):
            if event.step < self.last_step or self.fit == 0:
                self.fit += 1
            self.last_step = event.step
            names = self.fit_names
            name = names[self.fit - 1] if self.fit <= len(names) else f"fit {self.fit}"
            self.plot.append(name, event.step, event.loss)
            self.progress.setMaximum(event.total)
            self.progress.setValue(event.step)
        elif isinstance(event, Message):
            self.status.setText(esc(event.text))

    def _done(self, result: dict[str, Any]) -> None:
        self.running = False
        self.stop_button.setEnabled(False)
        self.wiz.result = result
        self.status.setText(
            "Done. Press Results for the metrics against the baseline."
            if result["status"] == "done"
            else "Stopped before the end: there are no results to show. Go back and start again."
        )
        self.wiz.context.notify("runs")
        self.completeChanged.emit()

    def _failed(self, message: str) -> None:
        self.running = False
        self.stop_button.setEnabled(False)
        red = tone("red", self.palette())
        self.status.setText(f"<b style='color:{red}'>Fine-tuning failed.</b> {esc(message)}")

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.result is not None and self.wiz.result["status"] == "done"
