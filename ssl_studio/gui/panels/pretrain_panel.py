"""Pretrain: choose data, pretext task, backbone and preset; preview the augmented views;
start the run and watch it live (loss, learning rate, speed, health), with Pause/Stop."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.config import (
    PRESETS,
    PretrainConfig,
    TrainConfig,
    default_backbone,
    default_batch_and_lr,
)
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Event
from ssl_studio.core.jobs import pretrain
from ssl_studio.core.models.backbones import (
    IMAGE_BACKBONES,
    SERIES_BACKBONES,
    backbone_options_class,
)
from ssl_studio.core.pretrain_setup import augment_defaults
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS, describe_tasks
from ssl_studio.gui import dialogs
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.options_form import OptionsForm
from ssl_studio.gui.panels.augment_preview import AugmentPreview
from ssl_studio.gui.panels.training_view import IDLE, IDLE_WITH_RUNS, TrainingView

# (short text in the list, the whole sentence as its tooltip): the list is narrow
PRESET_TEXT = {
    "quick": ("Quick: small CNN, 64 px, CPU", "A small network at 64 px; minutes on a CPU."),
    "standard": ("Standard: ResNet-18, 128 px", "ResNet-18 at 128 px; an hour or two on a GPU."),
    "thorough": ("Thorough: ResNet-50, 224 px", "ResNet-50 at 224 px; a day on a good GPU."),
}
SERIES_PRESET_TEXT = {  # series: the same encoder, trained longer
    "quick": ("Quick: TS2Vec's steps, CPU", "TS2Vec's number of steps; minutes on a CPU."),
    "standard": ("Standard: 3 x the steps", "3 times as many steps as Quick; best on a GPU."),
    "thorough": ("Thorough: 10 x the steps", "10 times as many steps as Quick; for a GPU."),
}
TRAIN_SKIP = ("steps", "epochs", "device", "compile", "amp", "log_every_seconds")


class PretrainPanel(QWidget):
    """The setup form on the left, the live view of the running (or last) run on the right."""

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.datasets: list[dict[str, Any]] = []
        self.tasks = {t["name"]: t for t in describe_tasks()}
        self.active = False  # a run started from this panel is running
        self.last_summary: dict[str, Any] | None = None

        self.dataset = QComboBox()
        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        self.task_list = QListWidget()
        self.task_list.setMaximumHeight(112)
        self.task_list.currentTextChanged.connect(self._task_chosen)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextFormat(Qt.TextFormat.RichText)
        self.backbone = QComboBox()
        self.preset = QComboBox()
        for name in PRESETS:
            self.preset.addItem(PRESET_TEXT[name][0], name)
            self.preset.setItemData(
                self.preset.count() - 1, PRESET_TEXT[name][1], Qt.ItemDataRole.ToolTipRole
            )
        policy = QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        for combo in (self.preset, self.dataset, self.backbone):
            combo.setSizeAdjustPolicy(policy)
            combo.setMinimumContentsLength(16)
        self.backbone.currentIndexChanged.connect(self._show_backbone_options)
        self.preset.currentIndexChanged.connect(self._show_backbone_options)
        self.preset.currentIndexChanged.connect(self._show_training_defaults)
        self.preset.currentIndexChanged.connect(self._show_preset_tip)
        self.hardware_note = QLabel()
        self.hardware_note.setWordWrap(True)
        self.steps = QSpinBox()
        self.steps.setRange(0, 10_000_000)
        self.steps.setSpecialValueText("the preset's")
        self.steps.setToolTip("Optimiser steps; leave at the preset's unless you know better.")
        form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("Pretext task", self.task_list)
        form.addRow("", self.explanation)
        form.addRow("Backbone", self.backbone)
        form.addRow("Preset", self.preset)
        form.addRow("", self.hardware_note)
        form.addRow("Steps", self.steps)

        self.advanced = QTabWidget()
        self.train_form = OptionsForm(TrainConfig, skip=TRAIN_SKIP)
        self.advanced.addTab(self.train_form, "Training")
        self.augment_form: OptionsForm | None = None  # for the dataset in augment_for
        self.augment_for: str | None = None
        self.backbone_form: OptionsForm | None = None  # for the backbone in backbone_for
        self.backbone_for: str | None = None
        self.task_form: OptionsForm | None = None
        self.preview_timer = QTimer(self)  # edits of the augmentation redraw the preview once
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(250)
        self.preview_timer.timeout.connect(self.refresh_preview)
        self.advanced_toggle = QCheckBox("Advanced options")  # closed: no empty frame
        self.advanced_toggle.toggled.connect(self.advanced.setVisible)
        self.advanced.setVisible(False)

        self.preview_box = AugmentPreview()
        self.preview_labels = self.preview_box.labels
        self.preview_box.another.clicked.connect(lambda: self.refresh_preview(new_item=True))

        setup = QWidget()
        column = QVBoxLayout(setup)
        column.addLayout(form)
        column.addWidget(self.preview_box)  # above the options, in view while they change
        column.addWidget(self.advanced_toggle)
        column.addWidget(self.advanced)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(setup)
        scroll.setMinimumWidth(440)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.start_button = QPushButton("Start pretraining")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Saves a checkpoint, then stops; the run can be resumed.")
        self.stop_button.clicked.connect(self.context.runner.stop)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        self.view = TrainingView()
        self.view.layout_top.insertLayout(0, buttons)
        live = self.view

        layout = QHBoxLayout(self)
        layout.addWidget(scroll, 2)
        layout.addWidget(live, 3)
        context.changed.connect(self._changed)
        context.runner.event.connect(self._event)
        context.runner.busy_changed.connect(self._busy)
        context.runner.paused_changed.connect(self._paused)
        context.runner.stopping.connect(lambda: self._busy(True))  # Stop pressed: once
        self._busy(False)
        self.reload()

    # ---- the form --------------------------------------------------------------------------

    def _changed(self, what: str) -> None:
        if what == "project" and not self.context.runner.busy:
            self.view.status.setText(
                "This project is read-only: copy it to a folder you can write to pretrain."
                if self.context.read_only
                else self._idle_text()
            )
        if what == "project":
            self.augment_for = None  # another project's dataset may share the name
            if not self.active:  # the last run's curves belong to the other project
                self.view.clear()
        if what in ("project", "datasets"):
            self.reload()
        if what == "hardware":
            self._show_hardware()

    def _idle_text(self) -> str:
        """What the live view says before a run of this session: where earlier runs are."""
        earlier = False
        if self.context.project is not None:
            try:
                with Store.open(self.context.project) as store:
                    earlier = any(r["kind"] == "pretrain" for r in store.runs())
            except SSLStudioError:
                pass
        return IDLE_WITH_RUNS if earlier else IDLE

    def _show_hardware(self, choose: bool = True) -> None:
        """Say what hardware was found; ``choose``: also select the preset that fits it."""
        hw = self.context.hardware
        self.hardware_note.setText(
            f"Detected: {hw['device']}. Recommended: {hw['preset'].capitalize()}."
        )
        if choose:
            self.preset.setCurrentIndex(PRESETS.index(hw["preset"]))

    def reload(self) -> None:
        self.datasets = []
        if self.context.project is not None:
            try:  # names and kinds only (project_info would also size every cache)
                with Store.open(self.context.project) as store:
                    self.datasets = store.datasets()
            except SSLStudioError:
                self.datasets = []
        current = self.dataset.currentText()
        self.dataset.blockSignals(True)
        self.dataset.clear()
        for d in self.datasets:
            self.dataset.addItem(d["name"])
        self.dataset.blockSignals(False)
        names = [d["name"] for d in self.datasets]
        self.dataset.setCurrentIndex(names.index(current) if current in names else 0)
        self._dataset_chosen()
        self._show_hardware(choose=False)  # the user's choice of preset stays
        self._busy(self.context.runner.busy)

    def modality(self) -> str | None:
        row = self.dataset.currentIndex()
        return self.datasets[row]["modality"] if 0 <= row < len(self.datasets) else None

    def _dataset_chosen(self, *_: Any) -> None:
        modality = self.modality()
        current = self.task_list.currentItem()
        previous = current.text() if current else None
        self.task_list.clear()
        self.backbone.clear()
        if modality is None:
            self.explanation.setText("Import a dataset first (Data).")
            self.preview_box.hide()
            return
        texts = PRESET_TEXT if modality == "image" else SERIES_PRESET_TEXT
        for index in range(self.preset.count()):  # "64 px" means nothing for a series
            short, whole = texts[self.preset.itemData(index)]
            self.preset.setItemText(index, short)
            self.preset.setItemData(index, whole, Qt.ItemDataRole.ToolTipRole)
        self._show_preset_tip()
        names = [n for n, t in self.tasks.items() if modality in t["modalities"]]
        self.task_list.addItems(names)
        self.task_list.setCurrentRow(names.index(previous) if previous in names else 0)
        self.backbone.addItem("the preset's", None)
        for name in IMAGE_BACKBONES if modality == "image" else SERIES_BACKBONES:
            self.backbone.addItem(name, name)
        self.preview_box.setVisible(modality == "image")
        self._show_training_defaults()
        self._show_augmentation(self.dataset.currentText())
        self.preview_box.item = None
        self.refresh_preview()

    def _show_augmentation(self, dataset: str) -> None:
        """The Augmentation tab, starting from the dataset's own defaults (per modality);
        kept as edited while the same dataset stays chosen."""
        if dataset == self.augment_for and self.augment_form is not None:
            return
        assert self.context.project is not None
        try:
            defaults = augment_defaults(self.context.project, dataset)
        except SSLStudioError:
            return
        self._remove_tab(self.augment_form)
        self.augment_form = OptionsForm(type(defaults), values=dataclasses.asdict(defaults))
        self.augment_form.changed.connect(self.preview_timer.start)
        self.advanced.insertTab(1, self.augment_form, "Augmentation")
        self.augment_for = dataset

    def chosen_backbone(self) -> str | None:
        """The backbone the run will use: the one chosen, else the preset's for the data."""
        modality = self.modality()
        if modality is None:
            return None
        item = self.task_list.currentItem()
        task = item.text() if item else None
        chosen = self.backbone.currentData()
        return chosen or default_backbone(modality, self.preset.currentData(), task)

    def _show_preset_tip(self, *_: Any) -> None:
        """The chosen preset's whole sentence, when the pointer rests on the list."""
        self.preset.setToolTip(
            self.preset.itemData(self.preset.currentIndex(), Qt.ItemDataRole.ToolTipRole) or ""
        )

    def _show_training_defaults(self, *_: Any) -> None:
        """Empty batch size and learning rate fields say what they stand for with this
        data and preset (8 and 0.001 for series, the preset's batch for images)."""
        modality = self.modality()
        if modality is None:
            return
        batch, lr = default_batch_and_lr(modality, self.preset.currentData())
        self.train_form.set_placeholder("batch_size", f"automatic: {batch}")
        self.train_form.set_placeholder("lr", f"automatic: {lr:g}")

    def _show_backbone_options(self, *_: Any) -> None:
        """The backbone's own options (a ViT's patch size, ...), rebuilt when it changes."""
        name = self.chosen_backbone()
        if name == self.backbone_for:
            return
        self._remove_tab(self.backbone_form)
        self.backbone_form, self.backbone_for = None, name
        if name is None:
            return
        self.backbone_form = OptionsForm(backbone_options_class(name))
        at = self.advanced.indexOf(self.augment_form) + 1 if self.augment_form else 1
        at = self.advanced.insertTab(at, self.backbone_form, name)
        self.advanced.setTabToolTip(at, f"Options of the backbone {name}")

    def _remove_tab(self, old: QWidget | None) -> None:
        if old is not None:
            self.advanced.removeTab(self.advanced.indexOf(old))
            old.deleteLater()

    def _task_chosen(self, name: str) -> None:
        if name not in self.tasks:
            return
        task = self.tasks[name]
        self.explanation.setText(f"<b>{task['summary']}</b><br>{task['explanation']}")
        self._remove_tab(self.task_form)
        self.task_form = OptionsForm(TASKS[name].Config)
        at = self.advanced.addTab(self.task_form, name)
        self.advanced.setTabToolTip(at, f"Options of the task {name}")
        self._show_backbone_options()  # "the preset's" backbone may depend on the task

    def refresh_preview(self, new_item: bool = False) -> None:
        """Eight augmented views of one real item, as the pretraining will make them."""
        if self.context.project is None or self.modality() != "image":
            return
        changes = self.augment_form.changes() if self.augment_form else None
        self.preview_box.draw(self.context.project, self.dataset.currentText(), changes, new_item)

    def config(self) -> PretrainConfig:
        """The run the form describes (ConfigError for an impossible choice)."""
        assert self.context.project is not None
        task = self.task_list.currentItem()
        train = TrainConfig(**self.train_form.values())
        train.steps = self.steps.value() or None
        return PretrainConfig(
            project=self.context.project,
            dataset=self.dataset.currentText(),
            task=task.text() if task else None,
            backbone=self.backbone.currentData(),
            preset=self.preset.currentData(),
            train=train,
            task_options=self.task_form.changes() if self.task_form else {},
            augment=self.augment_form.changes() if self.augment_form else {},
            backbone_options=self.backbone_form.changes() if self.backbone_form else {},
        )

    # ---- running ---------------------------------------------------------------------------

    def start(self) -> bool:
        if self.modality() is None:
            dialogs.show_error(self, "Pretraining", "Import a dataset first (Data).")
            return False
        try:
            cfg = self.config()
            cfg.validate()
        except SSLStudioError as exc:
            dialogs.show_error(self, "Pretraining", str(exc))
            return False
        return self.run(cfg, f"Pretraining {cfg.task or 'default'} on '{cfg.dataset}'")

    def resume(self, run_id: int, dataset: str) -> bool:
        """Continue run ``run_id`` from its newest checkpoint."""
        assert self.context.project is not None
        cfg = PretrainConfig(project=self.context.project, dataset=dataset, resume_run=run_id)
        return self.run(cfg, f"Resuming run {run_id}")

    def run(self, cfg: PretrainConfig, title: str) -> bool:
        def work(report: Any, stop: Any) -> dict[str, Any]:
            return pretrain(cfg, report=report, stop=stop)

        if not self.context.run(self, title, work, self._done, self._failed):
            return False  # refused: the running job (perhaps this panel's run) keeps its view
        self.active = True  # the new job's events are queued to this thread: none is lost
        self._busy(True)  # Pause and Stop light up for this panel's run
        self.view.clear()
        self.view.health_every = self._health_every(cfg)
        self.view.status.setText("Preparing the data and the network…")
        return True

    def _health_every(self, cfg: PretrainConfig) -> int | None:
        """Steps between the health checks of the run ``cfg`` starts or resumes."""
        if cfg.resume_run is None:
            return cfg.train.health_every_steps
        try:  # a resumed run keeps its own
            with Store.open(cfg.project) as store:
                run = store.run(cfg.resume_run)
            return int(run["config"]["train"]["health_every_steps"])  # type: ignore[index]
        except (SSLStudioError, KeyError, TypeError, ValueError):
            return None

    def _event(self, event: Event) -> None:
        if self.active and event.job == "pretrain":
            self.view.show_event(event, self.context.runner.paused)

    def _done(self, summary: dict[str, Any]) -> None:
        self.active = False
        self.last_summary = summary
        self.view.show_done(summary)
        self.context.notify("runs")

    def _failed(self, message: str) -> None:
        self.active = False
        self.view.show_failed(message)
        self.context.notify("runs")

    def _busy(self, busy: bool) -> None:
        self.context.enable_change(self.start_button, not busy and self.modality() is not None)
        runner = self.context.runner
        self.pause_button.setEnabled(busy and self.active and not runner.stop_asked)
        self.stop_button.setEnabled(busy and self.active and not runner.stop_asked)
        if not busy:
            self.pause_button.setText("Pause")

    def _toggle_pause(self) -> None:
        if self.context.runner.paused:
            self.context.runner.resume()
        else:
            self.context.runner.pause()

    def _paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused and self.active:
            self.view.show_paused()
