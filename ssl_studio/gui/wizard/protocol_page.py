"""The wizard's protocol page: how to fine-tune, and how the result will be tested."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QSpinBox,
    QVBoxLayout,
    QWizardPage,
)

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.finetune.data import positive_class
from ssl_studio.core.finetune.plan import CV_BELOW, planned_folds, training_labels_per_class
from ssl_studio.core.finetune.setup import recommended_protocol
from ssl_studio.core.finetune_config import PROTOCOLS, FinetuneConfig
from ssl_studio.core.wording import counted
from ssl_studio.gui.field_notes import set_note
from ssl_studio.gui.percent_spin import PercentSpin, percent_text
from ssl_studio.gui.wizard.operating_point import OperatingPoint
from ssl_studio.gui.wizard.protocol_names import PROTOCOL_NAMES
from ssl_studio.gui.wrap_label import WrapLabel

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard

PROTOCOL_TEXT = {
    "knn": "k-nearest neighbours on the frozen encoder: no training at all; a quick check.",
    "linear": "A linear classifier on the frozen encoder. Cannot overfit the encoder, so it "
    "is the safe choice with few labels.",
    "partial": "Trains the classifier and the last block of the encoder.",
    "full": "Trains the whole encoder gently (small learning rate). Best with dozens of "
    "labels per class or more.",
    "scratch": "No pretraining: the same network trained from random weights. This is the "
    "baseline the others must beat.",
}


class ProtocolPage(QWizardPage):
    """How to fine-tune (the recommended protocol preselected) and how to hold out a test set."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("How to fine-tune, and how to test")
        self.protocol = QComboBox()
        for name in PROTOCOLS[1:]:
            self.protocol.addItem(PROTOCOL_NAMES[name], name)  # (data: the core's name)
        self.protocol.currentIndexChanged.connect(self._explain)
        self.explanation = WrapLabel()  # (QLabel's height hint left gaps: wrap_label.py)
        self.test_fraction = PercentSpin()
        self.test_fraction.setRange(0.05, 0.5)
        self.test_fraction.setSingleStep(0.05)
        self.test_fraction.setValue(0.2)
        self.test_fraction.setToolTip(
            "Share of the labeled items kept apart for testing (by patient when known)."
        )
        self.test_fraction.valueChanged.connect(self._explain_testing)
        self.testing = WrapLabel()
        self.steps = QSpinBox()
        self.steps.setRange(1, 100_000)
        self.steps.setValue(300)
        self.baseline = QCheckBox("Also train from scratch on the same split, for comparison")
        self.baseline.setChecked(True)
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        self.seed.setToolTip(
            "The number that fixes the random choices: which labeled items are held out for "
            "testing, and the training's random starts. The same seed repeats a fine-tune on "
            "the same computer; another seed draws another split (a check of how much the "
            "figures depend on it)."
        )
        self.positive = QComboBox()
        self.positive.setToolTip(
            "The class whose recall is the sensitivity (the finding you look for); the other "
            "class's recall is the specificity."
        )
        outer = QVBoxLayout(self)
        self.form = layout = QFormLayout()
        outer.addLayout(layout)
        outer.addStretch(1)  # spare height below the rows, not between them
        layout.addRow("Protocol", self.protocol)
        layout.addRow("Positive class", self.positive)
        layout.addRow("", self.explanation)
        layout.addRow("Test share", self.test_fraction)
        layout.addRow("", self.testing)
        self.operating = OperatingPoint(layout)
        self.operating.changed.connect(self._operating_changed)
        layout.addRow("Training steps", self.steps)
        layout.addRow("", self.baseline)
        layout.addRow("Seed", self.seed)
        # the recommendation follows what the split trains on (as --protocol auto does):
        # _resplit -> the operating point's ``changed`` -> _operating_changed -> _recommend.
        # A grouped split of thousands of items takes seconds, so the boxes change on
        # Enter or focus out, not per key typed, and each split is made once (_per_class)
        self.test_fraction.setKeyboardTracking(False)
        self.seed.setKeyboardTracking(False)
        self._per_class: dict[tuple[Any, ...], int] = {}
        for signal in (
            self.test_fraction.valueChanged,
            self.seed.valueChanged,
            self.positive.currentIndexChanged,
        ):
            signal.connect(self._resplit)

    def initializePage(self) -> None:  # noqa: N802
        names = self.wiz.class_names
        self._per_class.clear()  # (the labels may have changed)
        self.positive.blockSignals(True)
        self.positive.clear()
        if len(names) == 2:  # guessed from the names: "no fracture" is not the finding
            guessed = positive_class(names, None)[1]
            for name in (guessed, *[n for n in names if n != guessed]):
                self.positive.addItem(name, name)
        self.positive.blockSignals(False)
        self.positive.setEnabled(len(names) == 2)
        self.positive.setToolTip(
            self.positive.toolTip() if len(names) == 2 else "Two classes only."
        )
        # (its ``changed``, always sent, says how testing is done and plans the split
        # with these labels: _operating_changed, _recommend)
        self.operating.set_smallest(
            self.wiz.smallest_patients,
            self.wiz.unit(),
            self.wiz.labeled,
            self._split_choices(),
            items=self.wiz.item_word(plural=True),
        )
        self.operating.set_binary(len(names) == 2)
        self.protocol.setCurrentIndex(PROTOCOLS[1:].index(self.recommended))
        self._explain()

    def _split_choices(self) -> FinetuneConfig:
        """The choices of this page besides the operating point that decide the split."""
        return replace(self._choices(), val_fraction=0.0, threshold="default")

    def _resplit(self, *_: Any) -> None:
        """The test share (seed, positive class) changes the split, and so the validation
        items a threshold would be picked on: the operating point checks again."""
        self.operating.set_choices(self._split_choices())

    def _choices(self) -> FinetuneConfig:
        """The choices of this page that decide the split (as finetune_config makes them)."""
        return FinetuneConfig(
            project=self.wiz.project,
            test_fraction=self.test_fraction.value(),
            val_fraction=self.operating.validation_share(),
            threshold=self.operating.threshold(),
            positive=self.positive.currentData(),
            seed=self.seed.value(),
            group_by_patient=self.wiz.group_by_patient,
        )

    def _recommend(self, *_: Any) -> None:
        """What ``--protocol auto`` would pick with these choices: by the training labels
        of the smallest class once the test (and validation) items are held out."""
        labels = [label for label, _, _ in self.wiz.labeled]
        try:  # (nothing labeled: the labels page keeps Next off)
            if labels:
                self.wiz.per_class = self._training_labels(self._choices())
        except SSLStudioError:  # no split can be made: training will say why
            self.wiz.per_class = min(labels.count(n) for n in set(labels))
        self.recommended = recommended_protocol(self.wiz.per_class)
        self._explain()

    def _training_labels(self, cfg: FinetuneConfig) -> int:
        """training_labels_per_class of the wizard's labels with ``cfg``, made once per
        set of split choices (a grouped split of many items takes seconds)."""
        key = (cfg.test_fraction, cfg.val_fraction, cfg.threshold, cfg.positive, cfg.seed)
        key += (cfg.group_by_patient,)
        if key not in self._per_class:
            self._per_class[key] = training_labels_per_class(self.wiz.labeled, cfg)
        return self._per_class[key]

    def _operating_changed(self) -> None:
        """A threshold to pick needs one test split (and a validation share): the folds
        the job will use follow the choice."""
        smallest = self.wiz.smallest_patients
        chosen = FinetuneConfig(project=self.wiz.project, threshold=self.operating.threshold())
        self.wiz.folds = planned_folds(smallest, chosen)
        self._explain_testing()
        self._recommend()  # a validation share trains on fewer

    def _explain_testing(self, *_: Any) -> None:
        """How the figures will be measured, so the test share is not a mystery."""
        folds = self.wiz.folds
        self.test_fraction.setEnabled(not folds)
        unit = self.wiz.unit()
        if folds:
            testing = (
                f"A class has fewer than {CV_BELOW} labeled {unit}, too few for a useful "
                f"test split: {folds}-fold cross-validation tests every labeled item once, "
                "with a model that did not train on it; the model you export then learns "
                "from all of them."
            )
        else:
            share = self.test_fraction.value()
            how = (
                "whole patients at a time where the files name them"
                if self.wiz.group_by_patient and self.wiz.patient_ids
                else "item by item: no patient IDs were found, so each "
                f"{self.wiz.item_word()} counts alone"
                if self.wiz.group_by_patient
                else "item by item: patients are not kept apart, so scores may be optimistic"
            )
            testing = (
                f"About {percent_text(share)} of the labeled items (by class, {how}) are held "
                "out and used only for the final figures: never for training, stopping or "
                "choices." + self._validation_text()
            )
        set_note(self.testing, testing, self.test_fraction)  # (read with the share)

    def _validation_text(self) -> str:
        val = self.operating.validation_share()
        if not val:
            return ""
        # (a threshold is picked only with enough labels for a test split: OperatingPoint)
        return f" Another {percent_text(val)} is held out to pick the threshold."

    def _explain(self, *_: Any) -> None:
        name = self.protocol.currentData()
        why = (
            f" <b>Recommended</b> for {counted(self.wiz.per_class, 'training label')} in the "
            "smallest class (outside the test items)."
            if name == getattr(self, "recommended", None)
            else ""
        )
        frozen = name in ("knn", "linear")
        steps = (
            " It fits in one pass: the training steps below are those of the from-scratch baseline."
            if frozen
            else ""
        )
        text = PROTOCOL_TEXT.get(name, "") + why + steps
        set_note(self.explanation, text, self.protocol)  # (read with the protocol)

    def validatePage(self) -> bool:  # noqa: N802
        self.wiz.options = {
            "protocol": self.protocol.currentData(),
            "test_fraction": self.test_fraction.value(),
            "baseline": self.baseline.isChecked(),
            "seed": self.seed.value(),
            "steps": self.steps.value(),
            "positive": self.positive.currentData(),
            "threshold": self.operating.threshold(),
            "val_fraction": self.operating.validation_share(),
        }
        return True
