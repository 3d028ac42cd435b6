"""Where the bundled resources (demo data, the guide) are, and what a missing one says.

They live in the top-level ``resources/`` folder of the source checkout. The packaged app
(PyInstaller) carries that folder as it is; a wheel carries its demo data and guide as the
data-only package ``ssl_studio._bundled`` (pyproject.toml maps ``resources/`` to it).
"""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from ssl_studio.core.errors import SSLStudioError

WITHOUT_RESOURCES = (
    "This copy of SSL Studio is incomplete: its resources (the demo data and the guide) are "
    "missing. Reinstall it from the source checkout (pip install --force-reinstall .) or from "
    "its wheel, or use the packaged app; all of them carry the resources."
)

BUNDLED = "_bundled"  # the data-only package in ssl_studio/ that a wheel installs


def _checkout_resources() -> Path:
    """``resources/`` next to the ``ssl_studio`` package (a source checkout)."""
    return Path(__file__).resolve().parent.parent / "resources"


def _installed_resources() -> Path:
    """Where a wheel installs them: the data-only package ``ssl_studio/_bundled``."""
    place = files("ssl_studio") / BUNDLED
    return place if isinstance(place, Path) else Path(__file__).resolve().parent / BUNDLED


def resources_dir() -> Path:
    """Where the resources are: a PyInstaller bundle's ``resources/``, else the source
    checkout's ``resources/`` (when it holds the guide), else the copy a wheel installed.
    When none is complete, the place that should have them (reading there says what is
    missing): the checkout's folder when there is one, else the installed package's."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    checkout = _checkout_resources()
    if (checkout / "guide.md").is_file():
        return checkout
    installed = _installed_resources()
    return installed if installed.is_dir() or not checkout.is_dir() else checkout


def demo_dir() -> Path:
    return resources_dir() / "demo"


def guide_path() -> Path:
    """The in-app guide to the concepts (Markdown)."""
    return resources_dir() / "guide.md"


def guide_text() -> str:
    """The guide's Markdown. Raises SSLStudioError saying where it was looked for when it
    cannot be read (an install without its resources), rather than failing silently."""
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
                f"{WITHOUT_RESOURCES} Or create a project of your own and import your data."
            )
    return folders
