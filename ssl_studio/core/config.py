"""Dataclass configurations of the jobs, with defaults that work out of the box.

Each config validates itself (``validate`` raises ConfigError with a message a user can
act on) and round-trips through plain dicts so it can be stored with a run and edited
in the GUI, which builds its forms from the dataclass fields.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ssl_studio.core.errors import ConfigError

T = TypeVar("T")

IMPORT_KINDS = ("auto", "dicom", "image", "timeseries")
CSV_LAYOUTS = ("auto", "columns", "rows")
DEFAULT_CACHE_SIZE = 224


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as a JSON-able dict (paths become strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return {f.name: plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build ``cls`` from a dict, refusing unknown keys with the list of valid ones."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"Unknown option(s) {', '.join(unknown)} for {cls.__name__}; "
            f"valid options are: {', '.join(sorted(names))}."
        )
    return cls(**data)


@dataclass
class ImportConfig:
    """What to import, into which project and dataset, and how.

    Images are letterboxed into ``cache_size`` x ``cache_size`` pixels (aspect ratio
    kept, the rest padded with the image's darkest value) when cached.
    """

    project: Path
    paths: list[Path] = field(default_factory=list)
    name: str | None = None  # dataset name; default: the name of the first path
    kind: str = "auto"  # auto | dicom | image | timeseries
    cache_size: int | None = None  # px per side of cached images; None: 224 for a new dataset
    csv_layout: str = "auto"  # auto | columns | rows (see data/timeseries.py)
    sampling_rate: float | None = None  # Hz, for series without a time column
    workers: int = 0  # decoding processes; 0 = one per CPU core
    retry_failed: bool = False  # decode again files that failed before, even if unchanged

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
        if self.cache_size is not None and not 8 <= self.cache_size <= 2048:
            raise ConfigError(
                f"Cache size {self.cache_size} px is out of range; use 8 to 2048 (default 224)."
            )
        if self.sampling_rate is not None and not self.sampling_rate > 0:
            raise ConfigError("The sampling rate must be a positive number of samples per second.")
        if self.workers < 0:
            raise ConfigError("The number of workers cannot be negative (0 means one per core).")
        if self.name is not None and not self.name.strip():
            raise ConfigError("The dataset name cannot be empty.")

    @property
    def dataset_name(self) -> str:
        """The dataset name to use: the given one, else the first path's name."""
        if self.name:
            return self.name.strip()
        first = Path(os.path.abspath(self.paths[0]))
        return first.name if first.is_dir() else first.stem


OPTIMIZERS = ("adamw", "sgd")


@dataclass
class TrainConfig:
    """How the engine trains: length, batch, optimiser, precision, checkpoints.

    ``steps`` (optimiser steps) wins over ``epochs`` when both are given.
    """

    steps: int | None = None  # optimiser steps of the whole run
    epochs: int | None = None  # passes over the data (used when steps is not given)
    batch_size: int = 128  # images per step on each process
    optimizer: str = "adamw"  # adamw or sgd
    lr: float = 2e-3  # peak learning rate, reached after the warm-up
    weight_decay: float = 0.05  # not applied to biases and normalisation layers
    momentum: float = 0.9  # SGD only
    warmup_fraction: float = 0.05  # share of the run spent warming the learning rate up
    grad_clip: float = 3.0  # largest gradient norm; 0 turns clipping off
    accumulate: int = 1  # micro-batches per optimiser step (a larger effective batch)
    seed: int = 0  # makes CPU runs reproducible
    amp: str = "auto"  # mixed precision on CUDA: auto (bf16, else fp16), bf16, fp16, off
    compile: bool = False  # torch.compile the encoder (slower start, faster steps)
    device: str = "auto"  # auto (CUDA > MPS > CPU), cuda, mps or cpu
    checkpoint_every_steps: int = 200  # also written when stopped and at the end
    checkpoint_every_minutes: float = 10.0
    keep_checkpoints: int = 2  # newest checkpoint files kept on disk
    health_every_steps: int = 50  # collapse gauges and online kNN
    log_every_seconds: float = 0.5  # progress events at most this often

    def validate(self) -> None:
        if self.steps is not None and self.steps < 1:
            raise ConfigError("train.steps must be at least 1.")
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError("train.epochs must be at least 1.")
        if self.batch_size < 2:
            raise ConfigError("train.batch_size must be at least 2 (views are compared).")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
            )
        if not self.lr > 0:
            raise ConfigError("train.lr must be a positive number.")
        if self.accumulate < 1:
            raise ConfigError("train.accumulate must be at least 1.")
        if not 0 <= self.warmup_fraction < 1:
            raise ConfigError("train.warmup_fraction must be in [0, 1).")
        if self.checkpoint_every_steps < 1 or self.health_every_steps < 1:
            raise ConfigError("Checkpoint and health intervals must be at least 1 step.")
