"""Fine-tune: what the step is for, the button that opens the wizard, and the fine-tuned runs
with their test figures next to the from-scratch baseline."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ssl_studio.core.evaluation.metrics import figure_text
from ssl_studio.core.pretrain import USABLE_STATUSES
from ssl_studio.core.project.store import Store
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.tables import fill_table, make_table, refill_table

INTRO = (
    "<h3>Fine-tune on a few labels</h3>"
    "<p>Pretraining taught the network what your images or series look like. Now a few "
    "labeled examples teach it your question (for example <i>normal</i> or "
    "<i>pneumonia</i>). The wizard holds some labeled items out for testing, trains, and "
    "compares the result with the same network trained from scratch on the same labels, so "
    "you see honestly whether pretraining helped.</p>"
)
COLUMNS = (
    "Run",
    "Dataset",
    "From run",
    "Protocol",
    "Status",
    "Test items",
    "Test AUC [95 % CI]",
    "Balanced accuracy [95 % CI]",
    "Scratch AUC [95 % CI]",
    "Scratch balanced acc. [95 % CI]",
)


class FinetunePanel(QWidget):
    """The entry to the wizard and the table of fine-tuned models."""

    def __init__(self, context: AppContext, open_wizard: Any) -> None:
        super().__init__()
        self.context = context
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.button = QPushButton("Start the fine-tune wizard…")
        self.button.clicked.connect(lambda: open_wizard())
        self.table = make_table(COLUMNS, stretch_last=False)  # (its last column: a number)
        self.table.setAccessibleName("Fine-tuned models")
        self.empty = QLabel()
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(QLabel("<b>Fine-tuned models</b>"))
        layout.addWidget(self.empty, 1)  # (shown instead of the table: the page stays packed)
        layout.addWidget(self.table, 1)
        context.changed.connect(self._changed)
        self.reload()

    def _changed(self, what: str) -> None:
        if what in ("project", "runs"):
            self.reload(keep=what != "project")

    def reload(self, keep: bool = False) -> None:
        """Read the fine-tuned runs again; ``keep``: the rows chosen stay chosen, with the
        table's scroll."""
        rows = []
        runs: list[dict[str, Any]] = []
        names: dict[int, str] = {}
        if self.context.project is not None:
            with self.context.reading(self), Store.open(self.context.project) as store:
                runs = store.runs()
                names = {d["id"]: d["name"] for d in store.datasets()}
            for run in reversed(runs):
                if run["kind"] != "finetune" or run.get("task") == "scratch":
                    continue
                s = run.get("summary") or {}
                test, base = s.get("test") or {}, s.get("baseline") or {}
                # n and the intervals: kept since they were (older runs: the figure alone)
                figures = s.get("figures") or {}
                mine, theirs = figures.get("test") or {}, figures.get("baseline") or {}
                rows.append(
                    [
                        run["id"],
                        names.get(run["dataset_id"], ""),
                        run.get("parent_run_id") or "",
                        s.get("protocol", run.get("task") or ""),
                        run["status"],
                        figures.get("n") or "",
                        _figure(mine.get("roc_auc"), test.get("roc_auc")),
                        _figure(mine.get("balanced_accuracy"), test.get("balanced_accuracy")),
                        _figure(theirs.get("roc_auc"), base.get("roc_auc")),
                        _figure(theirs.get("balanced_accuracy"), base.get("balanced_accuracy")),
                    ]
                )
        (refill_table if keep else fill_table)(self.table, rows)
        pretrained = any(r["kind"] == "pretrain" and r["status"] in USABLE_STATUSES for r in runs)
        self.empty.setText(
            ""
            if rows
            else "None yet: start the wizard above."
            if pretrained
            else "None yet. The wizard fine-tunes a pretrained encoder: run one under "
            "<b>Pretrain</b> first."
        )
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self.context.enable_change(self.button, self.context.project is not None)


def _figure(entry: dict[str, Any] | None, value: Any) -> str:
    """A figure with its 95 % interval as every report writes it (metrics.figure_text:
    "1.000 [0.439, 1.000]"), or with three decimals alone for a run that kept no
    interval (0.750, 1.000: they line up), or blank."""
    if entry and entry.get("value") is not None:
        return figure_text(entry)
    return f"{value:.3f}" if isinstance(value, float) else ""
