"""The pretraining setup form: dataset, pretext task, backbone, preset and steps, the
augmented views of a real item, and the advanced options; ``config()`` is the run it
describes."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.config import (
    DEFAULT_SERIES_LENGTH,
    DEFAULT_TASKS,
    IMAGE_SIZES,
    PRESET_VALUES,
    PRESETS,
    SMALLEST_SERIES_LENGTH,
    PretrainConfig,
    TrainConfig,
    default_backbone,
    default_batch_and_lr,
)
from ssl_studio.core.config_fields import option_help
from ssl_studio.core.data.import_tally import ANYWAY_APP, partial_import_note
from ssl_studio.core.image_upsampling import SMALLEST_IMAGE_SIZE, upsampled_sentence, upsamples
from ssl_studio.core.models.backbones import IMAGE_BACKBONES, SERIES_BACKBONES
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import describe_tasks
from ssl_studio.gui.colours import tone
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.field_notes import set_note
from ssl_studio.gui.panels.augment_preview import AugmentPreview
from ssl_studio.gui.panels.default_or_spin_box import DefaultOrSpinBox
from ssl_studio.gui.panels.pretrain_option_tabs import OptionTabs

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


# what of the chosen dataset, unchanged, keeps the choices made for it (see reload)
SAME_DATASET = ("id", "name", "modality", "cache_size")


class PretrainForm(QScrollArea):
    """The choices of a pretraining run, in a scrolling column. ``dataset_changed`` is
    emitted when the datasets were read again or another one was chosen."""

    dataset_changed = Signal()

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.setAccessibleName("Pretraining choices")
        self.context = context
        self.datasets: list[dict[str, Any]] = []
        self.unreadable = ""  # the store's message when the datasets could not be read
        self.tasks = {t["name"]: t for t in describe_tasks()}
        self.partial_note: str | None = None  # what the chosen dataset's import left undone

        self.dataset = QComboBox()
        self.dataset.currentIndexChanged.connect(self._dataset_chosen)
        self.import_note = QLabel()  # a dataset whose last import did not finish
        self.import_note.setWordWrap(True)
        self.import_note.hide()
        self.task_list = QListWidget()
        # (eight lines of text: 112 px at the usual 9 pt, and as many at large fonts)
        self.task_list.setMaximumHeight(8 * self.task_list.fontMetrics().lineSpacing())
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
        self.size_note = QLabel()  # the preset's views are larger than the cached images
        self.size_note.setWordWrap(True)
        self.size_note.hide()
        self.preset.currentIndexChanged.connect(self._show_size_note)
        self.image_size = DefaultOrSpinBox(  # images only
            smallest=SMALLEST_IMAGE_SIZE,
            largest=IMAGE_SIZES[1],
            step=8,
            suffix=" px",
            default_text="the preset's",
        )
        self.image_size.valueChanged.connect(self._show_size_note)
        self.series_length = DefaultOrSpinBox(  # series only
            smallest=SMALLEST_SERIES_LENGTH,
            largest=100_000_000,
            step=500,
            suffix=" steps",
            default_text=f"{DEFAULT_SERIES_LENGTH} steps (default)",
        )
        self.series_length.setToolTip(option_help(PretrainConfig, "series_length"))
        self.steps = QSpinBox()
        self.steps.setRange(0, 10_000_000)
        self.steps.setSpecialValueText("the preset's")
        self.steps.setToolTip("Optimiser steps; leave at the preset's unless you know better.")
        self.form = form = QFormLayout()
        form.addRow("Dataset", self.dataset)
        form.addRow("", self.import_note)
        form.addRow("Pretext task", self.task_list)
        form.addRow("", self.explanation)
        form.addRow("Backbone", self.backbone)
        form.addRow("Preset", self.preset)
        form.addRow("Image size", self.image_size)
        form.addRow("Window", self.series_length)
        form.addRow("", self.size_note)
        form.addRow("", self.hardware_note)
        form.addRow("Steps", self.steps)

        self.preview_timer = QTimer(self)  # edits of the augmentation redraw the preview once
        self.preview_timer.setSingleShot(True)
        self.preview_timer.setInterval(250)
        self.preview_timer.timeout.connect(self.refresh_preview)
        self.advanced = OptionTabs(self.preview_timer)
        self.train_form = self.advanced.train_form
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
        self.setWidgetResizable(True)
        self.setWidget(setup)
        self.relayout = QTimer(self)  # once after a burst of resizes
        self.relayout.setSingleShot(True)
        self.relayout.setInterval(0)
        self.relayout.timeout.connect(self._relayout)
        self.setMinimumWidth(440)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        context.changed.connect(self._changed)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt API
        """Lay the column out again once the scroll bar has come or gone: Qt kept the
        layout of the viewport's first height, squeezing the task list and cutting the
        task's explanation short when the window was too low to show the form whole."""
        super().resizeEvent(event)
        self.relayout.start()

    def _relayout(self) -> None:
        layout = self.widget().layout()
        layout.invalidate()
        layout.activate()

    def _changed(self, what: str) -> None:
        if what == "project":
            self.advanced.augment_for = None  # another project's dataset may share the name
        if what in ("project", "datasets"):
            self.reload(keep=what == "datasets")
        if what == "hardware":
            self._show_hardware()

    def _show_hardware(self, choose: bool = True) -> None:
        """Say what hardware was found; ``choose``: also select the preset that fits it."""
        hw = self.context.hardware
        set_note(
            self.hardware_note,
            f"Detected: {hw['device']}. Recommended: {hw['preset'].capitalize()}.",
            self.preset,
        )
        if choose:
            self.preset.setCurrentIndex(PRESETS.index(hw["preset"]))

    def reload(self, keep: bool = False) -> None:
        """Read the datasets again; the one chosen stays chosen. ``keep`` (the same
        project's datasets changed, by another process too): while the chosen one is as
        it was, the task, backbone and options chosen for it stay as they are."""
        row = self.dataset.currentIndex()
        before = self.datasets[row] if keep and 0 <= row < len(self.datasets) else {}
        self.datasets = []
        self.unreadable = ""
        if self.context.project is not None:
            with self.context.reading(self) as read, Store.open(self.context.project) as store:
                self.datasets = store.datasets()  # (project_info would also size each cache)
            self.unreadable = read.error
        current = self.dataset.currentText()
        self.dataset.blockSignals(True)
        self.dataset.clear()
        for d in self.datasets:
            self.dataset.addItem(d["name"])
        self.dataset.blockSignals(False)
        names = [d["name"] for d in self.datasets]
        self.dataset.setCurrentIndex(names.index(current) if current in names else 0)
        now = self.datasets[self.dataset.currentIndex()] if self.datasets else {}
        if before and all(before[key] == now.get(key) for key in SAME_DATASET):
            self._show_unfinished_import()  # (what an import changed of it)
            self._show_size_note()
        else:
            self._dataset_chosen()
        self._show_hardware(choose=False)  # the user's choice of preset stays
        self.dataset_changed.emit()

    def no_dataset(self) -> str:
        """Why no dataset can be chosen: the project could not be read (the store's
        message), or it has none yet."""
        return self.unreadable or "Import a dataset first (Data)."

    def modality(self) -> str | None:
        row = self.dataset.currentIndex()
        return self.datasets[row]["modality"] if 0 <= row < len(self.datasets) else None

    def unfinished_import(self) -> str | None:
        """What the chosen dataset's imports left unread (its latest import, or an earlier
        one that is still the latest of one of its folders), as the project says now (None
        when they finished)."""
        name = self.dataset.currentText()
        if self.context.project is None or not name:
            return None
        with self.context.reading(self), Store.open(self.context.project) as store:
            found = store.dataset(name)
            last = store.last_import(found["id"]) if found else None
            return partial_import_note(last, ANYWAY_APP) if found else None
        return None

    def _show_unfinished_import(self) -> None:
        self.partial_note = self.unfinished_import() if self.modality() else None
        set_note(
            self.import_note,
            f"<b>Only partly imported.</b> {html.escape(self.partial_note, quote=False)} "
            "Pretraining asks first."
            if self.partial_note
            else "",
            self.dataset,
        )
        self.import_note.setStyleSheet(f"color: {tone('red', self.palette())}")
        self.import_note.setVisible(bool(self.partial_note))
        self.dataset_changed.emit()

    def _show_size_note(self, *_: Any) -> None:
        """Say when the training views (the chosen size, or the preset's) are larger than
        the chosen image dataset's cache size (a dataset cached at its images' own 48 px):
        the run upsamples them, and says so too. The size box shows the cache size."""
        row = self.dataset.currentIndex()
        found = self.datasets[row] if 0 <= row < len(self.datasets) else {}
        cached = found.get("cache_size") if found.get("modality") == "image" else None
        preset = PRESET_VALUES.get(self.preset.currentData(), ("", 0))[1]
        size = self.image_size.value() or preset
        views = "these" if self.image_size.value() else "this preset's"
        views += " training views"
        text = upsampled_sentence(cached, size, views) if upsamples(cached, size) else ""
        self.image_size.setToolTip(
            f"Side of the training views; the preset's is {preset} px"
            + (f", the images are cached at {cached} px." if cached else ".")
        )
        set_note(self.size_note, text, self.image_size)
        self.size_note.setVisible(bool(text))

    def _dataset_chosen(self, *_: Any) -> None:
        self._show_unfinished_import()
        self._show_size_note()
        modality = self.modality()
        self.form.setRowVisible(self.image_size, modality == "image")  # series: no pixels
        self.form.setRowVisible(self.series_length, modality not in (None, "image"))
        current = self.task_list.currentItem()
        previous = current.text() if current else None
        self.task_list.clear()
        self.backbone.clear()
        if modality is None:
            set_note(self.explanation, self.no_dataset(), self.task_list)
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
        # the previous choice while it fits, else the default task the command line uses
        chosen = previous if previous in names else DEFAULT_TASKS[modality]
        self.task_list.setCurrentRow(names.index(chosen) if chosen in names else 0)
        self._fill_backbones()
        self.preview_box.setVisible(modality == "image")
        self._show_training_defaults()
        assert self.context.project is not None
        self.advanced.show_augmentation(self.context.project, self.dataset.currentText())
        self.preview_box.item = None
        self.refresh_preview()

    def _fill_backbones(self) -> None:
        """The backbones of the data's kind that the chosen task can train ("the preset's"
        first; ts2vec only ts-conv, mae only the ViTs); a choice that still fits is kept."""
        modality = self.modality()
        kept = self.backbone.currentData()
        item = self.task_list.currentItem()
        task = self.tasks.get(item.text()) if item else None
        fitting = task["backbones"] if task else None
        self.backbone.blockSignals(True)  # one options update, below, not one per item
        self.backbone.clear()
        if modality is not None:
            self.backbone.addItem("the preset's", None)
            for name in IMAGE_BACKBONES if modality == "image" else SERIES_BACKBONES:
                if fitting is None or name in fitting:
                    self.backbone.addItem(name, name)
            self.backbone.setCurrentIndex(max(0, self.backbone.findData(kept)) if kept else 0)
        self.backbone.blockSignals(False)
        self._show_backbone_options()

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
        data, preset and task (16 or 8 and 0.001 for series, the preset's batch for
        images)."""
        modality = self.modality()
        if modality is None:
            return
        item = self.task_list.currentItem()
        task = item.text() if item else None
        batch, lr = default_batch_and_lr(modality, self.preset.currentData(), task)
        self.train_form.set_placeholder("batch_size", f"automatic: {batch}")
        self.train_form.set_placeholder("lr", f"automatic: {lr:g}")

    def _show_backbone_options(self, *_: Any) -> None:
        self.advanced.show_backbone(self.chosen_backbone())

    def _task_chosen(self, name: str) -> None:
        if name not in self.tasks:
            return
        task = self.tasks[name]
        text = f"<b>{task['summary']}</b><br>{task['explanation']}"
        set_note(self.explanation, text, self.task_list)  # (read when the list has focus)
        self.advanced.show_task(name)
        self._show_training_defaults()  # the series batch depends on the task
        self._fill_backbones()  # the task may not train every backbone; "the preset's"
        # backbone may depend on the task

    def refresh_preview(self, new_item: bool = False) -> None:
        """Eight augmented views of one real item, as the pretraining will make them."""
        if self.context.project is None or self.modality() != "image":
            return
        augment = self.advanced.augment_form
        changes = augment.changes() if augment else None
        self.preview_box.draw(self.context.project, self.dataset.currentText(), changes, new_item)

    def config(self) -> PretrainConfig:
        """The run the form describes (ConfigError for an impossible choice)."""
        assert self.context.project is not None
        task = self.task_list.currentItem()
        train = TrainConfig(**self.train_form.values())
        train.steps = self.steps.value() or None
        tabs = self.advanced
        return PretrainConfig(
            project=self.context.project,
            dataset=self.dataset.currentText(),
            task=task.text() if task else None,
            backbone=self.backbone.currentData(),
            preset=self.preset.currentData(),
            train=train,
            task_options=tabs.task_form.changes() if tabs.task_form else {},
            augment=tabs.augment_form.changes() if tabs.augment_form else {},
            backbone_options=tabs.backbone_form.changes() if tabs.backbone_form else {},
            image_size=(self.image_size.value() or None) if self.modality() == "image" else None,
            series_length=(self.series_length.value() or None)
            if self.modality() not in (None, "image")
            else None,
        )
