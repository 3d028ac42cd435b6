"""The pretraining form's advanced options: one tab each for training, the augmentation
(from the chosen dataset's own defaults), the chosen backbone and the chosen pretext task.
Each tab is an OptionsForm built from the matching config dataclass."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QWidget

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.models.backbones import backbone_options_class
from ssl_studio.core.pretrain_setup import augment_defaults
from ssl_studio.core.tasks.registry import TASKS
from ssl_studio.gui.options_form import OptionsForm

TRAIN_SKIP = ("steps", "epochs", "device", "compile", "amp", "log_every_seconds")


class OptionTabs(QTabWidget):
    """Training, Augmentation, <backbone>, <task>: the forms are rebuilt when the dataset,
    backbone or task they belong to changes, and kept as edited while it stays."""

    def __init__(self, preview_timer: QTimer) -> None:
        """preview_timer: started by each edit of the augmentation (redraws the preview)."""
        super().__init__()
        self.preview_timer = preview_timer
        self.train_form = OptionsForm(TrainConfig, skip=TRAIN_SKIP)
        self.addTab(self.train_form, "Training")
        self.augment_form: OptionsForm | None = None  # for the dataset in augment_for
        self.augment_for: str | None = None
        self.backbone_form: OptionsForm | None = None  # for the backbone in backbone_for
        self.backbone_for: str | None = None
        self.task_form: OptionsForm | None = None

    def show_augmentation(self, project: Path, dataset: str) -> None:
        """The Augmentation tab, starting from the dataset's own defaults (per modality);
        kept as edited while the same dataset stays chosen."""
        if dataset == self.augment_for and self.augment_form is not None:
            return
        try:
            defaults = augment_defaults(project, dataset)
        except SSLStudioError:
            return
        self._remove_tab(self.augment_form)
        self.augment_form = OptionsForm(type(defaults), values=dataclasses.asdict(defaults))
        self.augment_form.changed.connect(self.preview_timer.start)
        self.insertTab(1, self.augment_form, "Augmentation")
        self.augment_for = dataset

    def show_backbone(self, name: str | None) -> None:
        """The backbone's own options (a ViT's patch size, ...), rebuilt when it changes."""
        if name == self.backbone_for:
            return
        self._remove_tab(self.backbone_form)
        self.backbone_form, self.backbone_for = None, name
        if name is None:
            return
        self.backbone_form = OptionsForm(backbone_options_class(name))
        at = self.indexOf(self.augment_form) + 1 if self.augment_form else 1
        at = self.insertTab(at, self.backbone_form, name)
        self.setTabToolTip(at, f"Options of the backbone {name}")

    def show_task(self, name: str) -> None:
        """The options of the pretext task ``name`` (a tab of its own, last)."""
        self._remove_tab(self.task_form)
        self.task_form = OptionsForm(TASKS[name].Config)
        at = self.addTab(self.task_form, name)
        self.setTabToolTip(at, f"Options of the task {name}")

    def _remove_tab(self, old: QWidget | None) -> None:
        if old is not None:
            self.removeTab(self.indexOf(old))
            old.deleteLater()
