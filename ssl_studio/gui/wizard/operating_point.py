"""The operating point of a two-class model: the threshold on the positive class's
probability at which sensitivity, specificity and the confusion matrix are read (and the
exported model predicts), either 0.5 or picked on a validation share of the labels."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QWidget,
)

from ssl_studio.core.finetune.plan import (
    THRESHOLD_MIN_PER_CLASS,
    needed_for_threshold,
    validation_per_class,
)
from ssl_studio.gui.decimal_spin import DecimalSpin
from ssl_studio.gui.markup import rich
from ssl_studio.gui.percent_spin import PercentSpin
from ssl_studio.gui.wrap_label import WrapLabel

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
        self.val_fraction = PercentSpin()
        self.val_fraction.setRange(0.05, 0.35)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(0.2)
        self.val_fraction.setToolTip(
            "Share of the labeled items held out to pick the threshold (by patient when "
            "known); they are not trained on, and not in the test figures."
        )
        self.note = rich(WrapLabel())  # the app's own words only
        self.smallest = 0  # labeled patients (items) of the smallest class; 0: not known
        self.unit = "patients"
        self.binary = True
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
        self.binary = binary
        if not binary:  # (one ``changed`` below, not one more for this)
            with QSignalBlocker(self.method):
                self.method.setCurrentIndex(0)
        self.method.setEnabled(binary)
        self.method.setToolTip(
            "" if binary else "Two classes only: with more, the most probable class is predicted."
        )
        self._changed()

    def set_smallest(self, smallest: int, unit: str) -> None:
        """The labeled patients (or items: ``unit``) of the smallest class, which decide
        whether a threshold can be picked at all (call before set_binary)."""
        self.smallest, self.unit = smallest, unit

    def _can_pick(self) -> tuple[bool, str]:
        """Whether a threshold can be picked on these labels at the largest validation
        share, and why not (the labels needed)."""
        largest = self.val_fraction.maximum()
        if not self.smallest or validation_per_class(self.smallest, largest) >= (
            THRESHOLD_MIN_PER_CLASS
        ):
            return True, ""
        return False, (
            f"Picking a threshold needs at least {needed_for_threshold(largest)} labeled "
            f"{self.unit} per class ({THRESHOLD_MIN_PER_CLASS} of each class in a validation "
            f"share of {largest:.0%}; about {needed_for_threshold(0.2)} at 20%); the smallest "
            f"class has {self.smallest}. On fewer, one or two images would decide it."
        )

    def threshold(self) -> str:
        """FinetuneConfig.threshold: "default", "youden" or "sensitivity:0.9"."""
        key = self.method.currentData()
        return f"sensitivity:{self.target.value():g}" if key == "sensitivity" else key

    def validation_share(self) -> float:
        """FinetuneConfig.val_fraction: 0 with the default threshold (it needs none)."""
        return 0.0 if self.threshold() == "default" else self.val_fraction.value()

    def _changed(self, *_: Any) -> None:
        can, why = self._can_pick()
        model = self.method.model()
        for i in (1, 2):  # the picked thresholds
            model.item(i).setEnabled(can)
            model.item(i).setToolTip(why)
        if not can and self.method.currentIndex():
            with QSignalBlocker(self.method):
                self.method.setCurrentIndex(0)
        if self.binary:
            self.method.setToolTip(why)
        key = self.method.currentData()
        self.target.setVisible(key == "sensitivity")
        self.val_fraction.setEnabled(key != "default")
        note = EXPLAINED[key]
        if not can and self.binary:
            note += f" <i>{why}</i>"
        elif key != "default":
            held = validation_per_class(self.smallest, self.val_fraction.value())
            if self.smallest and held < THRESHOLD_MIN_PER_CLASS:
                enough = math.ceil(THRESHOLD_MIN_PER_CLASS / self.smallest / 0.05 - 0.01) * 0.05
                note += (
                    f" <b>Only about {held} {self.unit} of the smallest class would pick the "
                    f"threshold:</b> raise the validation share to {enough:.0%} or label more."
                )
        self.note.setText(note)
        self.changed.emit()
