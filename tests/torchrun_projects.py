"""Helpers of the torchrun tests (imported as ``from torchrun_projects import ...``:
tests/ is not a package, so pytest puts this folder on the path)."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.cli import main


def noise_project(root: Path) -> Path:
    """A project at root/p with 32 noise images of 24 px, cached at 32 px."""
    folder = root / "images"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(32):
        Image.fromarray(rng.integers(0, 255, (24, 24), dtype=np.uint8)).save(folder / f"{i}.png")
    main(["new", str(root / "p")])
    main(["import", str(root / "p"), str(folder), "--cache-size", "32", "--workers", "1"])
    return root / "p"


def free_port() -> str:
    """A TCP port no one listens on now (a fixed one may be taken on a shared machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])
