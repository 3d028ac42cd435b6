"""Folders that SSL Studio wrote itself are not data: a project (its database, cache of
decoded pixels, runs and checkpoints) or an export (a model, its card and golden
examples). The walk leaves them out with one report line each, and an import given one
(or a part of a project) is refused: the cached arrays and golden examples would be
imported as junk series, the database and checkpoints reported as unreadable files."""

from __future__ import annotations

from pathlib import Path

from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.layout import DB_NAME, EXPORT_CARD, ProjectPaths

MARKERS = frozenset({DB_NAME, EXPORT_CARD})  # a folder listing one of these may be one


def studio_folder(folder: Path) -> str | None:
    """What SSL Studio made ``folder`` into: "project" when it holds a project (its
    project.db, as the store tells one), "export" when it holds an export (its
    model_card.json), else None."""
    if ProjectPaths(folder).is_project():
        return "project"
    if (folder / EXPORT_CARD).is_file():
        return "export"
    return None


def left_out(kind: str, own: bool = False) -> ImportProblem:
    """The report line of a project or export folder met by the walk."""
    if own:
        text = "This project's own folder (its database, cache and runs): left out."
    elif kind == "project":
        text = "An SSL Studio project: left out. Open it as a project to see its data."
    else:
        text = "An SSL Studio export (a trained model and its card): left out, it is no data."
    return ImportProblem(f"ssl-studio-{kind}", text, severity="skipped")


def refuse_studio_folders(paths: list[Path], own: Path) -> None:
    """Refuse an import of a project (``own``, the open one, or another), of an export, or
    of the cache, runs or exports folder of a project, with what to do instead."""
    own = own.resolve()
    for given in paths:
        path = Path(given).resolve()
        kind = studio_folder(path) if path.is_dir() else None
        if kind == "project":
            if path == own:
                raise ConfigError(f"{given} is this project's own folder: it holds no data.")
            raise ConfigError(
                f"{given} is an SSL Studio project, not a folder of data: open it as a "
                "project instead of importing it."
            )
        if kind == "export":
            raise ConfigError(
                f"{given} is an SSL Studio export (a trained model and its card), not a "
                "folder of data: there is nothing in it to import."
            )
        for folder in path.parents:
            parts = ProjectPaths(folder)
            if any(path.is_relative_to(p) for p in parts.folders()) and parts.is_project():
                raise ConfigError(
                    f"{given} is a part of the SSL Studio project {folder} (what it made, "
                    "not data): there is nothing in it to import."
                )
