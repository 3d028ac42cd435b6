"""Dataclass configurations of the jobs, with defaults that work out of the box.

Each config validates itself (``validate`` raises ConfigError with a message a user can
act on) and round-trips through plain dicts so it can be stored with a run and edited
in the GUI, which builds its forms from the dataclass fields (see config_fields).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_studio.core.config_fields import from_dict, option
from ssl_studio.core.errors import ConfigError

CACHE_SIZES = (8, 2048)  # the cache sizes (px) an import takes
IMAGE_SIZES = (16, 1024)  # the training view sizes (px) a run takes

IMPORT_KINDS = ("auto", "dicom", "image", "timeseries")
CSV_LAYOUTS = ("auto", "columns", "rows")
DEFAULT_CACHE_SIZE = 224


@dataclass
class ImportConfig:
    """What to import, into which project and dataset, and how.

    Images are letterboxed into ``cache_size`` x ``cache_size`` pixels (aspect ratio
    kept, the rest padded with the image's darkest value) when cached; None: the
    dataset's size, or for a new one a size that scales no image up
    (data/cache_sizing.py).
    """

    project: Path
    paths: list[Path] = field(default_factory=list)
    name: str | None = None  # dataset name; default: the name of the first path
    kind: str = option(
        "auto",
        "What the files are: auto (from each file's content), or only dicom, image or "
        "timeseries files.",
        choices=IMPORT_KINDS,
    )
    cache_size: int | None = option(
        None,
        "Pixels per side of the cached images (empty: for a new dataset the largest image "
        "side, rounded up to a multiple of 8, from 32 to 224, so that no image is scaled up; "
        "for an existing one its own). Training views larger than this are upsampled.",
    )
    csv_layout: str = option(
        "auto",
        "CSV series: columns = one recording per file (a row per time step), rows = one "
        "series per row; auto decides file by file.",
        choices=CSV_LAYOUTS,
    )
    sampling_rate: float | None = option(
        None, "Samples per second of series without a time column (empty: unknown)."
    )
    workers: int = option(
        0,
        "Decoding processes; 0 = one per CPU core this process may use (on Windows at most 61).",
    )
    retry_failed: bool = option(
        False, "Decode again the files that failed before, even if they did not change."
    )
    add: bool = option(False, "Add new folders to an existing dataset of that name (else refused).")

    def __post_init__(self) -> None:
        self.project = Path(self.project)
        self.paths = [Path(p) for p in self.paths]

    def validate(self) -> None:
        if not self.paths:
            raise ConfigError("Nothing to import: give at least one folder or file.")
        missing = [str(p) for p in self.paths if not os.path.lexists(p)]
        if missing:
            raise ConfigError(f"Not found: {', '.join(missing)}. Check the path and try again.")
        if self.kind not in IMPORT_KINDS:
            raise ConfigError(
                f"Unknown kind {self.kind!r}; choose one of {', '.join(IMPORT_KINDS)}."
            )
        if self.csv_layout not in CSV_LAYOUTS:
            raise ConfigError(
                f"Unknown CSV layout {self.csv_layout!r}; choose one of {', '.join(CSV_LAYOUTS)}."
            )
        low, high = CACHE_SIZES
        if self.cache_size is not None and not low <= self.cache_size <= high:
            raise ConfigError(
                f"Cache size {self.cache_size} px is out of range; use {low} to {high} (or "
                "leave it out: the images' own size, up to 224)."
            )
        if self.sampling_rate is not None and not self.sampling_rate > 0:
            raise ConfigError("The sampling rate must be a positive number of samples per second.")
        if self.workers < 0:
            raise ConfigError("The number of workers cannot be negative (0 means one per core).")
        if self.name is not None and not self.name.strip():
            raise ConfigError("The dataset name cannot be empty.")

    @property
    def dataset_name(self) -> str:
        """The dataset name asked for: the given one, else the name of the first folder (of
        the folder holding the first path, when that is a file). The importer stores it
        only with patient identifiers found in the files redacted."""
        if self.name:
            return self.name.strip()
        first = Path(os.path.abspath(self.paths[0]))
        return first.name if first.is_dir() else first.parent.name


OPTIMIZERS = ("adamw", "sgd")
DEVICES = ("auto", "cuda", "mps", "cpu")
AMP_MODES = ("auto", "off", "bf16", "fp16")


DEFAULT_BATCH_SIZE = 128  # images, quick preset; see PRESET_VALUES and resolve
DEFAULT_LR = 2e-3


@dataclass
class TrainConfig:
    """How the engine trains: length, batch, optimiser, precision, checkpoints.

    ``steps`` (optimiser steps) wins over ``epochs`` when both are given.
    """

    steps: int | None = option(None, "Optimiser steps of the whole run (wins over epochs).")
    epochs: int | None = option(None, "Passes over the data, when steps is not given.")
    batch_size: int | None = option(
        None,
        "Images (or series) per step on each process; empty: 128 for images (256 with the "
        "standard and thorough presets), 16 for ts2vec and 8 for the other series tasks, 32 for "
        "fine-tuning.",
    )
    optimizer: str = option("adamw", "adamw or sgd.", choices=OPTIMIZERS)
    lr: float | None = option(
        None,
        "Peak learning rate, reached after the warm-up; empty: 0.002 for images, 0.001 "
        "for series and for fine-tuning.",
    )
    weight_decay: float = option(
        0.05, "Weight decay (not on biases, norms, tokens and position embeddings)."
    )
    momentum: float = option(0.9, "Momentum of SGD (unused by AdamW).")
    warmup_fraction: float = option(0.05, "Share of the run that warms the learning rate up.")
    grad_clip: float = option(3.0, "Largest gradient norm; 0 turns clipping off.")
    accumulate: int = option(1, "Micro-batches per optimiser step, for a larger batch.")
    seed: int = option(
        0,
        "Random seed; runs with the same seed, device and CPU thread count are identical "
        "(another thread count or device diverges within a few steps).",
    )
    amp: str = option(
        "auto",
        "Mixed precision on CUDA: auto (bf16, else fp16), bf16, fp16, off.",
        choices=AMP_MODES,
    )
    compile: bool = option(False, "torch.compile the encoder: slower start, faster steps.")
    device: str = option(
        "auto", "auto (CUDA, then Apple MPS, then CPU), cuda, mps or cpu.", choices=DEVICES
    )
    checkpoint_every_steps: int = option(200, "Checkpoint interval in steps (also at the end).")
    checkpoint_every_minutes: float = option(
        10.0, "Checkpoint interval in minutes (more than 0; steps count too)."
    )
    keep_checkpoints: int = option(2, "How many of the newest checkpoint files are kept.")
    health_every_steps: int = option(50, "How often the collapse gauges and kNN are measured.")
    log_every_seconds: float = option(0.5, "Progress events at most this often.")

    def fill(self, batch_size: int = DEFAULT_BATCH_SIZE, lr: float = DEFAULT_LR) -> None:
        """Give the batch size and learning rate left empty these values (a value typed
        by the user, even one equal to a default, is kept)."""
        if self.batch_size is None:
            self.batch_size = batch_size
        if self.lr is None:
            self.lr = lr

    def validate(self) -> None:
        if self.steps is not None and self.steps < 1:
            raise ConfigError("train.steps must be at least 1.")
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError("train.epochs must be at least 1.")
        if self.batch_size is not None and self.batch_size < 2:
            raise ConfigError(
                "train.batch_size must be at least 2 (batch normalisation needs two samples, "
                "and pretraining compares them)."
            )
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
            )
        if self.lr is not None and not self.lr > 0:
            raise ConfigError("train.lr must be a positive number.")
        if self.accumulate < 1:
            raise ConfigError("train.accumulate must be at least 1.")
        if not 0 <= self.warmup_fraction < 1:
            raise ConfigError("train.warmup_fraction must be in [0, 1).")
        if self.checkpoint_every_steps < 1 or self.health_every_steps < 1:
            raise ConfigError("Checkpoint and health intervals must be at least 1 step.")
        if not self.checkpoint_every_minutes > 0:
            raise ConfigError(
                "train.checkpoint_every_minutes must be more than 0 (default 10): 0 or less "
                "would write a checkpoint after every step. For fewer timed checkpoints, "
                "give a larger number of minutes."
            )


PRESETS = ("quick", "standard", "thorough")
# preset -> (backbone, image size, batch size, optimiser steps) for images
PRESET_VALUES = {
    "quick": ("cnn-small", 64, 128, 300),  # minutes on a laptop CPU
    "standard": ("resnet18", 128, 256, 5000),  # a GPU for an hour or two
    "thorough": ("resnet50", 224, 256, 50000),  # a good GPU for a day
}
# series follow TS2Vec's defaults: batch 8, lr 1e-3, 200 steps, 600 above 100 000 values
# (series x steps x channels: TS2Vec counts the size of its training array, not the series)
# but ts2vec itself trains with batch 16: its instance-wise contrast then has 30 decoys, not
# 14 (better on UCR/UEA; forecast did worse with 16: README, Benchmarks)
SERIES_BATCH = 8
SERIES_TASK_BATCH = {"ts2vec": 16}
SERIES_MORE_STEPS_ABOVE = 100_000
SERIES_PRESET_STEPS = {"quick": 1, "standard": 3, "thorough": 10}  # times TS2Vec's steps
DEFAULT_TASKS = {"image": "simclr", "timeseries": "ts2vec"}
# the series task with ts-patch, which ts2vec cannot train (ts2vec.py says why)
DEFAULT_PATCH_TASK = "masked"
DEFAULT_SERIES_BACKBONE = "ts-conv"
DEFAULT_SERIES_LENGTH = 3000
SMALLEST_SERIES_LENGTH = 2  # the shortest window a run takes


def default_batch_and_lr(modality: str, preset: str, task: str | None = None) -> tuple[int, float]:
    """The batch size and peak learning rate a run uses when they are left empty: the
    preset's for images; for series TS2Vec's (8, 0.001), or (16, 0.001) for ``task`` ts2vec
    (None: the default series task, ts2vec)."""
    if modality == "image":
        return PRESET_VALUES[preset][2], DEFAULT_LR
    return SERIES_TASK_BATCH.get(task or DEFAULT_TASKS["timeseries"], SERIES_BATCH), 1e-3


def default_backbone(modality: str, preset: str, task: str | None = None) -> str:
    """The backbone a run uses when none is chosen: the preset's for images (vit-tiny for
    MAE, which needs a vision transformer), ts-conv for series (the GUI shows its options
    before the run resolves its config)."""
    if modality != "image":
        return DEFAULT_SERIES_BACKBONE
    preset_backbone = PRESET_VALUES[preset][0]
    if task == "mae" and not preset_backbone.startswith("vit"):
        return "vit-tiny"
    return preset_backbone


@dataclass
class PretrainConfig:
    """A pretraining run: which data, which pretext task, which backbone, how long.

    Options left empty (None) come from the dataset's kind and the preset: ``quick`` fits a
    CPU in minutes, ``standard`` a GPU in an hour or two, ``thorough`` a day on a good GPU.
    """

    project: Path
    dataset: str = option("", "Name of the dataset to pretrain on.")
    task: str | None = option(
        None, "Pretext task; empty: simclr for images, ts2vec for series (masked on ts-patch)."
    )
    backbone: str | None = option(None, "Encoder architecture; empty: the preset's.")
    backbone_options: dict[str, Any] = option(
        {}, "Options of the backbone, e.g. a ViT's patch_size (see ssl-studio tasks)."
    )
    image_size: int | None = option(None, "Side of the training views in pixels; empty: preset.")
    series_length: int | None = option(
        None,
        "Series: longest window per training step, in steps (empty: 3000, TS2Vec's "
        "maximum training length; at 500 Hz 6 s). A longer recording is cut into sections "
        "of this many steps, each a training instance (one 1 h ECG at 500 Hz: 600 sections).",
    )
    preset: str = option("quick", "quick (CPU, minutes), standard (GPU, hours) or thorough.")
    train: TrainConfig = field(default_factory=TrainConfig)
    task_options: dict[str, Any] = option({}, "Options of the pretext task (see its config).")
    augment: dict[str, Any] = option({}, "Changes to the augmentation defaults.")
    resume_run: int | None = option(None, "Continue this run from its latest checkpoint.")
    allow_partial_import: bool = option(
        False, "Pretrain even if the dataset's last import did not finish (on what it read)."
    )

    def __post_init__(self) -> None:
        self.project = Path(self.project)
        if isinstance(self.train, dict):
            self.train = from_dict(TrainConfig, self.train, "train")

    def validate(self) -> None:
        """Checks that need no dataset (the rest happens in ``resolve``)."""
        if self.preset not in PRESETS:
            raise ConfigError(
                f"Unknown preset {self.preset!r}; choose one of {', '.join(PRESETS)}."
            )
        if not self.dataset:
            raise ConfigError("Choose the dataset to pretrain on (--dataset NAME).")
        low, high = IMAGE_SIZES
        if self.image_size is not None and not low <= self.image_size <= high:
            raise ConfigError(
                f"image_size must be between {low} and {high} pixels (empty: preset)."
            )
        if self.series_length is not None and self.series_length < SMALLEST_SERIES_LENGTH:
            raise ConfigError(
                f"series_length must be at least {SMALLEST_SERIES_LENGTH} steps "
                f"(empty: {DEFAULT_SERIES_LENGTH})."
            )
        self.train.validate()

    def resolve(self, modality: str, n_values: int = 0) -> None:
        """Fill the options left empty from the dataset's kind, its size and the preset.

        n_values: series only, the number of values in the dataset (series x steps x
        channels), which sets the default number of steps as in TS2Vec.
        """
        if self.resume_run is None:  # a resumed run keeps the options it began with
            self._refuse_other_kind(modality)
        if not self.task:
            patches = modality == "timeseries" and self.backbone == "ts-patch"
            self.task = DEFAULT_PATCH_TASK if patches else DEFAULT_TASKS[modality]
        if modality == "image":
            _, size, _, steps = PRESET_VALUES[self.preset]
            self.backbone = self.backbone or default_backbone(modality, self.preset, self.task)
            self.image_size = self.image_size or size
        else:
            self.backbone = self.backbone or default_backbone(modality, self.preset)
            self.series_length = self.series_length or DEFAULT_SERIES_LENGTH
            base = 200 if n_values <= SERIES_MORE_STEPS_ABOVE else 600
            steps = base * SERIES_PRESET_STEPS[self.preset]
        self.train.fill(*default_batch_and_lr(modality, self.preset, self.task))
        if self.train.steps is None and self.train.epochs is None:
            self.train.steps = steps

    def _refuse_other_kind(self, modality: str) -> None:
        """ConfigError for an option of the other kind of data (it would be ignored)."""
        # imported here: the configs load without torch (fast command-line start)
        from ssl_studio.core.models.backbones import IMAGE_BACKBONES, SERIES_BACKBONES

        fitting = IMAGE_BACKBONES if modality == "image" else SERIES_BACKBONES
        if (
            self.backbone
            and self.backbone not in fitting
            and self.backbone in (IMAGE_BACKBONES + SERIES_BACKBONES)
        ):
            held, other = (
                ("images", "time series") if modality == "image" else ("time series", "images")
            )
            raise ConfigError(
                f"Backbone {self.backbone} is for {other}, and '{self.dataset}' holds {held}: "
                f"use {' or '.join(fitting)}, or leave the backbone out for the default."
            )
        if modality == "image" and self.series_length is not None:
            raise ConfigError(
                f"series_length applies to time-series datasets, and '{self.dataset}' holds "
                "images: leave it out (image_size sets the size of the training views)."
            )
        if modality != "image" and self.image_size is not None:
            raise ConfigError(
                f"image_size (--image-size) applies to image datasets, and '{self.dataset}' "
                "holds time series: leave it out (series_length sets the longest window of "
                "a series per step)."
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PretrainConfig:
        return from_dict(cls, data)
