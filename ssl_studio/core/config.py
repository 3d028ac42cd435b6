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
