"""The wizard's training page: runs the fine-tuning job (and the baseline) with a live
loss curve, one curve per trained model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from ssl_studio.core.events import Event, Message, Step
from ssl_studio.core.jobs import finetune
from ssl_studio.core.project.store import Store
from ssl_studio.gui import dialogs
from ssl_studio.gui.colours import tone
from ssl_studio.gui.focus_keeper import FocusKeeper
from ssl_studio.gui.live_plot import LivePlot
from ssl_studio.gui.markup import esc, rich
from ssl_studio.gui.wizard.protocol_names import MODEL_WORDS

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
        # the protocols fitted in one pass (knn, linear) draw no curve: said here
        self.no_curve = QLabel()
        self.no_curve.setWordWrap(True)
        self.no_curve.hide()
        self.setCommitPage(True)
        self.status = rich(QLabel())  # job titles and messages in it escaped
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Fine-tuning progress")
        self.plot = LivePlot("Training loss (one curve per trained model)")
        runner = self.wiz.context.runner
        self.pause_button = QPushButton("Pause")  # (also Ctrl+P, in the wizard too)
        self.pause_button.setToolTip("Pause the fine-tuning, and resume it (Ctrl+P).")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.pause_button.setEnabled(False)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the fine-tuning (Ctrl+.).")
        self.stop_button.clicked.connect(runner.stop)
        self.retry_button = QPushButton("Retry")  # shown when another job held the runner
        self.retry_button.setToolTip("Start the fine-tuning now that the other job has ended.")
        self.retry_button.clicked.connect(self._start)
        self.retry_button.hide()
        # the focus on Pause or Stop as the fine-tuning ends goes to "Results >"
        results = wizard.button(QWizard.WizardButton.CommitButton)
        self.focus_keeper = FocusKeeper(self.pause_button, self.stop_button, results)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button, 1)
        buttons.addWidget(self.stop_button, 1)
        buttons.addWidget(self.retry_button, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.no_curve)
        layout.addWidget(self.progress)
        layout.addWidget(self.plot, 1)
        layout.addLayout(buttons)
        self.fit = 0
        self.last_step = 0
        self.fit_names: list[str] = []
        self.running = False
        self.trained_with: Any = None  # (FinetuneConfig, label-set version) of the last start
        self.job_with: Any = None  # the choices of the job running now (or last run)
        self.model = ""  # the model the job trains now, in words (from its messages)
        runner.reported.connect(self._event)
        runner.busy_changed.connect(self._runner_busy)
        runner.paused_changed.connect(self._paused)
        runner.stopping.connect(self._stopping)

    def initializePage(self) -> None:  # noqa: N802
        cfg = self.wiz.finetune_config()
        chosen = (cfg, self._label_version(cfg.labels))  # labels edited since: train anew
        done = self.wiz.result is not None and self.wiz.result["status"] == "done"
        if self.running and chosen == self.job_with:
            return  # the result of these very choices is on its way
        if not self.running and done and chosen == self.trained_with:
            return  # the result of these very choices is here
        self.wiz.result, self.trained_with = None, chosen  # stopped, failed or other choices
        self.completeChanged.emit()
        if self.running:  # the job of older choices is stopping (Back asked it to)
            self.wiz.context.runner.stop()
            self.status.setText("Waiting for the stopped fine-tuning to end…")
            self._controls(False)
            return  # _done or _failed starts the fine-tuning of these choices
        self._start()

    def confirm_back(self) -> bool:
        """Back while the fine-tuning runs: its result would be of the choices left behind,
        so Back asks to stop it (No by default); True when the wizard may go back."""
        if not self.running:
            return True
        if not dialogs.confirm(
            self,
            "Fine-tuning is running",
            "Stop the running fine-tune and go back? It trains the choices made so far; "
            "change them and press Next to train anew. Choose No to let it finish.",
            default_no=True,
        ):
            return False
        if not self.running:  # it ended while the question was open: its result stands
            return True
        self.job_with = None  # its result is of choices left behind: never shown
        self.wiz.context.runner.stop()
        self.status.setText("Stopping the fine-tuning…")
        return True

    def _start(self) -> bool:
        """Start the fine-tuning of the choices made; when another job holds the runner,
        say so on the page and offer Retry."""
        cfg = self.trained_with[0]
        self.retry_button.hide()
        self.plot.clear_curves()
        self.progress.setRange(0, 0)  # busy: nothing measurable until the first step
        self.fit, self.last_step, self.model = 0, 0, ""
        self.fit_names = fit_names(cfg.protocol, cfg.baseline, self.wiz.folds)
        self.job_with = self.trained_with
        self._say_no_curve(cfg.protocol, cfg.baseline)
        things = self.wiz.item_word(plural=True)
        self.status.setText(f"Preparing the labeled data (reading {things}, computing features)…")

        def work(report: Any, stop: Any) -> dict[str, Any]:
            return finetune(cfg, report=report, stop=stop)

        runner = self.wiz.context.runner
        other = runner.title if runner.busy else None
        self.running = self.wiz.context.run(self, "Fine-tuning", work, self._done, self._failed)
        self._controls(self.running)
        if not self.running:
            self.progress.setRange(0, 1)  # (not busy: nothing runs)
            self.progress.setValue(0)
            self.retry_button.setVisible(other is not None)
            self.status.setText(
                f"Fine-tuning has not started: “{esc(other)}” is still running. Press Retry when "
                "it has ended (the status bar shows its progress and has its Stop button)."
                if other is not None
                else "Fine-tuning could not start (see the message)."
            )
        return self.running

    def _say_no_curve(self, protocol: str, baseline: bool) -> None:
        """A protocol fitted in one pass (knn, linear) has no training curve: the plot
        shows only the baseline's, which the page must not pass off as the protocol's."""
        if protocol not in ("knn", "linear"):
            self.no_curve.hide()
            return
        name = MODEL_WORDS[protocol].capitalize()
        self.no_curve.setText(
            f"{name}: fitted in one pass (no training curve)."
            + (
                " The curves below are the from-scratch baseline's."
                if baseline
                else " The bar is busy while it fits."
            )
        )
        self.no_curve.show()

    def _controls(self, running: bool) -> None:
        """Pause and Stop on while this page's fine-tuning runs."""
        self.focus_keeper.set_enabled(((self.pause_button, running), (self.stop_button, running)))
        if not running:
            self.pause_button.setText("Pause")

    def _toggle_pause(self) -> None:
        runner = self.wiz.context.runner
        if runner.paused:
            runner.resume()
        else:
            runner.pause()

    def _stopping(self) -> None:
        """Stop pressed (here, in the status bar or with Ctrl+.): Pause is no use now."""
        self.focus_keeper.set_enabled(((self.pause_button, False),))

    def _paused(self, paused: bool) -> None:
        """The button says what it will do (the runner may be paused by Ctrl+P)."""
        if self.running:
            self.pause_button.setText("Resume" if paused else "Pause")

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
        if not self.running or event.job != "finetune" or self.job_with != self.trained_with:
            return  # (a job of older choices, stopped by Back, says nothing here)
        if isinstance(event, Step):
            if event.step < self.last_step or self.fit == 0:
                self.fit += 1
            self.last_step = event.step
            names = self.fit_names
            name = names[self.fit - 1] if self.fit <= len(names) else f"fit {self.fit}"
            self.plot.append(name, event.step, event.loss)
            self.progress.setRange(0, max(event.total, 1))
            self.progress.setValue(event.step)
        elif isinstance(event, Message):
            self.status.setText(esc(self._named(event.text)))
            self.progress.setRange(0, 0)  # a new stage: busy until its first step

    def _named(self, text: str) -> str:
        """The job's message, with the model it trains named: "Run 5: scratch on 12
        labels…" starts a model's fits, and "Fold 2 of 3." becomes "Fold 2 of 3 (from
        scratch)."."""
        started = re.match(r"Run \d+: (\w+) on ", text)
        if started and started.group(1) in MODEL_WORDS:
            self.model = MODEL_WORDS[started.group(1)]
        if re.fullmatch(r"Fold \d+ of \d+\.", text) and self.model:
            return f"{text[:-1]} ({self.model})."
        return text

    def _restart(self) -> bool:
        """The job that ended trained older choices (Back stopped it): its result is not
        shown; the fine-tuning of the choices made now starts when this page is shown."""
        if self.job_with == self.trained_with:
            return False
        if self.wiz.currentPage() is self:
            self._start()
        return True

    def _done(self, result: dict[str, Any]) -> None:
        self.running = False
        self._controls(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if result["status"] == "done" else 0)
        self.wiz.context.notify("runs")
        if self._restart():
            return
        self.wiz.result = result
        self.status.setText(
            "Done. Press Results for the metrics against the baseline."
            if result["status"] == "done"
            else "Stopped before the end: there are no results to show. Go back and start again."
        )
        self.completeChanged.emit()
        self.focus_keeper.set_enabled(())  # "Results >" is on now: the focus left goes there

    def _failed(self, message: str) -> None:
        self.running = False
        self._controls(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        if self._restart():
            return
        red = tone("red", self.palette())
        self.status.setText(f"<b style='color:{red}'>Fine-tuning failed.</b> {esc(message)}")

    def isComplete(self) -> bool:  # noqa: N802
        return self.wiz.result is not None and self.wiz.result["status"] == "done"
