"""The project folder: where the database, cache, runs and exports live."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DB_NAME = "project.db"
EXPORT_CARD = "model_card.json"  # in every export folder (core/export/writer.py)


@dataclass(frozen=True)
class ProjectPaths:
    """Paths inside one project folder."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / DB_NAME

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def lock(self) -> Path:
        return self.root / ".write.lock"

    def dataset_cache(self, dataset_id: int) -> Path:
        return self.cache / f"dataset-{dataset_id}"

    def folders(self) -> tuple[Path, ...]:
        return (self.cache, self.runs, self.exports)

    def is_project(self) -> bool:
        return self.db.is_file()
