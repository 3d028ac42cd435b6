"""Where the bundled resources (demo data, the guide) are, and what a missing one says."""

from __future__ import annotations

import sys
from pathlib import Path

from ssl_studio.core.errors import SSLStudioError

WITHOUT_RESOURCES = (
    "This copy of SSL Studio was installed without its resources folder (a plain package "
    "install leaves it out); the source checkout and the packaged app have it."
)


def resources_dir() -> Path:
    """``resources/`` of the source checkout, or of a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def demo_dir() -> Path:
    return resources_dir() / "demo"


def guide_path() -> Path:
    """The in-app guide to the concepts (Markdown)."""
    return resources_dir() / "guide.md"


def guide_text() -> str:
    """The guide's Markdown. Raises SSLStudioError saying where it was looked for when it
    cannot be read (an install without resources/), rather than failing silently."""
    path = guide_path()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SSLStudioError(
            f"The guide to the concepts is not here: {path} ({exc.strerror or exc}). "
            f"{WITHOUT_RESOURCES} The README of SSL Studio explains the same concepts (its "
            "sections Pretraining and Fine-tuning with few labels)."
        ) from exc


def demo_sources(names: tuple[str, ...]) -> dict[str, Path]:
    """The demo data's folders (``demo_dir() / name``), all checked before anything is made.
    Raises SSLStudioError naming the folder that is missing or empty."""
    source = demo_dir()
    folders = {name: source / name for name in names}
    for folder in [source, *folders.values()]:
        try:
            present = folder.is_dir() and any(folder.iterdir())
        except OSError:
            present = False
        if not present:
            raise SSLStudioError(
                f"The demo data is not here: {folder} is missing or empty. "
                f"{WITHOUT_RESOURCES} Run the demo from one of those, or create a project "
                "of your own and import your data."
            )
    return folders
