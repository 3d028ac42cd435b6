"""The operating point of a two-class model: the threshold on the positive class's
probability at which sensitivity, specificity and the confusion matrix are read (and the
exported model predicts), either 0.5 or picked on a validation share of the labels."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from ssl_studio.gui.decimal_spin import DecimalSpin

CHOICES = (
    ("default", "0.5 (the default)"),
    ("youden", "Picked for the best sensitivity + specificity (Youden)"),
    ("sensitivity", "Picked to reach a target sensitivity"),
)
EXPLAINED = {
    "default": "Sensitivity and specificity are read at a probability of 0.5 for the "
    "positive class. To read them at a threshold suited to the task, choose one of the "
    "other operating points: it is picked on a validation share of the labels.",
    "youden": "The threshold is the one with the best sensitivity + specificity on a "
    "validation share of the labels, which is used for nothing else (not trained on, not "
    "tested on).",
    "sensitivity": "The threshold is the highest one that reaches the target sensitivity on "
    "a validation share of the labels (used for nothing else), so specificity is as good as "
    "it can be there: for screening, where a missed finding costs most.",
}


class OperatingPoint(QWidget):
    """The choice, the target sensitivity and the validation share, as three form rows
    added to ``form``; ``changed`` whenever one of them changes."""

    changed = Signal()

    def __init__(self, form: QFormLayout) -> None:
        super().__init__()
        self.method = QComboBox()
        for key, text in CHOICES:
            self.method.addItem(text, key)
        self.target = DecimalSpin(2)
        self.target.setRange(0.5, 0.99)
        self.target.setSingleStep(0.05)
        self.target.setValue(0.9)
        self.target.setPrefix("sensitivity ")
        self.target.setToolTip("The share of positive items the model must find.")
        self.method.setAccessibleName("Operating point")
        self.target.setAccessibleName("Operating point: sensitivity to reach")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.method, 1)
        row.addWidget(self.target)
        self.val_fraction = DecimalSpin(2)
        self.val_fraction.setRange(0.05, 0.35)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(0.2)
        self.val_fraction.setToolTip(
            "Share of the labeled items held out to pick the threshold (by patient when "
            "known); they are not trained on, and not in the test figures."
        )
        self.note = QLabel()
        self.note.setWordWrap(True)
        form.addRow("Operating point", self)
        form.addRow("Validation share", self.val_fraction)
        form.addRow("", self.note)
        for signal in (
            self.method.currentIndexChanged,
            self.target.valueChanged,
            self.val_fraction.valueChanged,
        ):
            signal.connect(self._changed)
        self._changed()

    def set_binary(self, binary: bool) -> None:
        """Only a two-class model has a threshold (with more classes, the most probable
        class is predicted). Sends ``changed`` (once), even when nothing changed."""
        if not binary:  # (one ``changed`` below, not one more for this)
            with QSignalBlocker(self.method):
                self.method.setCurrentIndex(0)
        self.method.setEnabled(binary)
        self.method.setToolTip(
            "" if binary else "Two classes only: with more, the most probable class is predicted."
        )
        self._changed()

    def threshold(self) -> str:
        """FinetuneConfig.threshold: "default", "youden" or "sensitivity:0.9"."""
        key = self.method.currentData()
        return f"sensitivity:{self.target.value():g}" if key == "sensitivity" else key

    def validation_share(self) -> float:
        """FinetuneConfig.val_fraction: 0 with the default threshold (it needs none)."""
        return 0.0 if self.threshold() == "default" else self.val_fraction.value()

    def _changed(self, *_: Any) -> None:
        key = self.method.currentData()
        self.target.setVisible(key == "sensitivity")
        self.val_fraction.setEnabled(key != "default")
        self.note.setText(EXPLAINED[key])
        self.changed.emit()
