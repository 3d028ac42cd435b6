"""The operating point of a two-class model: the threshold on the positive class's
probability at which sensitivity, specificity and the confusion matrix are read (and the
exported model predicts), either 0.5 or picked on a validation share of the labels."""

from __future__ import annotations

from dataclasses import replace
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
    validation_labels_per_class,
)
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.wording import counted
from ssl_studio.gui.decimal_spin import DecimalSpin
from ssl_studio.gui.field_notes import set_note
from ssl_studio.gui.markup import rich
from ssl_studio.gui.percent_spin import PercentSpin, percent_text
from ssl_studio.gui.wrap_label import WrapLabel

# a smallest class this many times the validation items needed, times the share, holds
# enough in any split: its count is estimated, not split for (rounding moves it by a few)
PLAINLY_ENOUGH = 4

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
        self.items = "images"  # what the dataset's items are, in the note's words
        self.binary = True
        # the labeled items' (label, patient key, content hash) and the other choices that
        # decide the split (test share, seed, positive class): the validation items per
        # class are counted on the split the job will make (None: not known, no gate)
        self.keys: list[tuple[str, str | None, str | None]] = []
        self.choices: FinetuneConfig | None = None
        self._held: dict[float, int] = {}  # validation share -> held (these choices)
        # the method the user chose: a switch to the default when the labels refuse a
        # threshold (or the classes are not two) is forced, so it must not forget the
        # choice, which comes back once a threshold can be picked again (_changed)
        self.chosen = "default"
        form.addRow("Operating point", self)
        form.addRow("Validation share", self.val_fraction)
        form.addRow("", self.note)
        self.method.currentIndexChanged.connect(self._chose)
        self.target.valueChanged.connect(self._changed)
        self.val_fraction.valueChanged.connect(self._changed)
        self._changed()

    def set_binary(self, binary: bool) -> None:
        """Only a two-class model has a threshold (with more classes, the most probable
        class is predicted). Sends ``changed`` (once), even when nothing changed; _changed
        shows the default without two classes, and the user's choice back with two."""
        self.binary = binary
        self.method.setEnabled(binary)
        self.method.setToolTip(
            "" if binary else "Two classes only: with more, the most probable class is predicted."
        )
        self._changed()

    def set_smallest(
        self,
        smallest: int,
        unit: str,
        keys: list[tuple[str, str | None, str | None]] | None = None,
        choices: FinetuneConfig | None = None,
        items: str = "images",
    ) -> None:
        """The labeled patients (or items: ``unit``) of the smallest class, and the labeled
        items' keys with the other choices that decide the split (see set_choices), which
        decide whether a threshold can be picked at all (call before set_binary).
        ``items``: what the dataset's items are ("images", "recordings")."""
        self.smallest, self.unit, self.items = smallest, unit, items
        self.keys, self.choices = list(keys or []), choices
        self._held.clear()

    def set_choices(self, choices: FinetuneConfig) -> None:
        """The choices besides the validation share that decide the split (the test share
        is taken first, then validation from the rest): checks again, sends ``changed``."""
        if choices != self.choices:
            self.choices = choices
            self._held.clear()
            self._changed()

    def held(self, share: float) -> int | None:
        """Validation patients (items) of the smallest class at ``share``, on the split the
        job will make; None when the labels are not known."""
        if not self.keys or self.choices is None:
            return None
        share = round(share, 4)
        if self.smallest * share >= PLAINLY_ENOUGH * THRESHOLD_MIN_PER_CLASS:
            return int(self.smallest * share)  # (no split made: seconds on many patients)
        if share not in self._held:
            cfg = replace(self.choices, threshold="youden", val_fraction=share)
            self._held[share] = validation_labels_per_class(self.keys, cfg)
        return self._held[share]

    def _shares(self) -> list[float]:
        """The validation shares the box steps through, smallest first."""
        box = self.val_fraction
        low, high, step = box.minimum(), box.maximum(), box.singleStep()
        count = int(round((high - low) / step))
        return [round(low + i * step, 4) for i in range(count + 1)]

    def _can_pick(self) -> tuple[bool, str]:
        """Whether a threshold can be picked on these labels at the largest validation
        share, and why not (the labels needed)."""
        if not self.binary:  # (no threshold with more than two classes: no split made)
            return True, ""
        largest = self.val_fraction.maximum()
        held = self.held(largest)
        if held is None or held >= THRESHOLD_MIN_PER_CLASS:
            return True, ""
        test = self.choices.test_fraction if self.choices else 0.2
        needed = needed_for_threshold(test, largest)
        where = "" if self.unit == "items" else " where no patient has two"
        return False, (
            f"Picking a threshold needs at least {THRESHOLD_MIN_PER_CLASS} {self.unit} of "
            "each class in the validation share: at the largest share "
            f"({percent_text(largest)}) the split holds only {held} of the smallest class; "
            f"the smallest class has {self.smallest}, and with a test share of "
            f"{percent_text(test)} at least {needed} labeled items per class{where} are "
            f"needed. Label more: on fewer, one or two {self.items} would decide it."
        )

    def _advice(self) -> str:
        """The smallest validation share the box offers that holds enough of each class
        (never past its maximum), else: label more."""
        now = self.val_fraction.value()
        for share in self._shares():
            if share > now and (self.held(share) or 0) >= THRESHOLD_MIN_PER_CLASS:
                return f"raise the validation share to {percent_text(share)} or label more"
        return "label more"

    def threshold(self) -> str:
        """FinetuneConfig.threshold: "default", "youden" or "sensitivity:0.9"."""
        key = self.method.currentData()
        return f"sensitivity:{self.target.value():g}" if key == "sensitivity" else key

    def validation_share(self) -> float:
        """FinetuneConfig.val_fraction: 0 with the default threshold (it needs none)."""
        return 0.0 if self.threshold() == "default" else self.val_fraction.value()

    def _chose(self, *_: Any) -> None:
        """A method chosen (by the user, or set from outside): the one to come back to.
        The forced switches to the default block the box's signals, so never land here."""
        self.chosen = self.method.currentData()
        self._changed()

    def _changed(self, *_: Any) -> None:
        can, why = self._can_pick()
        model = self.method.model()
        for i in (1, 2):  # the picked thresholds
            model.item(i).setEnabled(can)
            model.item(i).setToolTip(why)
        # forced to the default while no threshold can be picked; the user's choice back
        # as soon as one can (with its target, which the switch left as it was)
        wanted = self.chosen if can and self.binary else "default"
        if self.method.currentData() != wanted:
            with QSignalBlocker(self.method):
                self.method.setCurrentIndex(self.method.findData(wanted))
        if self.binary:
            self.method.setToolTip(why)
        key = self.method.currentData()
        self.target.setVisible(key == "sensitivity")
        self.val_fraction.setEnabled(key != "default")
        note = EXPLAINED[key]
        if not can and self.binary:
            note += f" <i>{why}</i>"
        elif key != "default":
            held = self.held(self.val_fraction.value())
            if held is not None and held < THRESHOLD_MIN_PER_CLASS:
                note += (
                    f" <b>Only {counted(held, self.unit[:-1])} of the smallest class would "
                    f"pick the threshold:</b> {self._advice()}."
                )
        set_note(self.note, note, self.method, self.val_fraction)  # (read with either)
        self.changed.emit()
