"""Checkpoints: one plain dictionary per file, written atomically, read without pickle.

A checkpoint holds the model and optimizer state, the scheduler, scaler and random
number generator states, step and epoch, the full configuration, the task and backbone
names and the package versions, so that resuming, fine-tuning and export can rebuild
everything from the file alone. Files are loaded with ``weights_only=True``: a file that
would need arbitrary unpickling (a malicious or foreign pickle) is refused.
"""

from __future__ import annotations

import os
import platform
import random
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torchvision

from ssl_studio import __version__
from ssl_studio.core.errors import SSLStudioError

FORMAT = 1


class CheckpointError(SSLStudioError):
    """A checkpoint is missing, damaged, foreign or unsafe."""


def versions() -> dict[str, str]:
    return {
        "ssl_studio": __version__,
        "torch": str(torch.__version__),
        "torchvision": str(torchvision.__version__),
        "python": platform.python_version(),
    }


def rng_state() -> dict[str, Any]:
    """Every random generator the training loop draws from (tensors and plain values)."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": list(random.getstate()[1]),
        "python_version": random.getstate()[0],
        "python_gauss": random.getstate()[2],
        "numpy": np.random.get_state()[1].tolist(),
        "numpy_pos": int(np.random.get_state()[2]),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
    np.random.set_state(
        ("MT19937", np.array(state["numpy"], dtype=np.uint32), state["numpy_pos"], 0, 0.0)
    )
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def reseed(seed: int) -> None:
    """Seed every random generator the training loop draws from (see ``rng_state``)."""
    torch.manual_seed(seed)  # CUDA's generators too
    random.seed(seed)
    np.random.seed(seed % 2**32)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file, fsync, then rename, so a
    crash or a full disk never leaves a half-written checkpoint in place of a good one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "versions": versions(), **state}
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def remove_partial_writes(folder: Path) -> int:
    """Delete the temporary files of checkpoint writes that a killed process left in
    ``folder`` (never a finished checkpoint). Call it only while no other process writes
    there (the project's write lock). Returns how many were removed."""
    stale = list(Path(folder).glob(".tmp-*.pt")) if Path(folder).is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint safely (no arbitrary unpickling) or raise CheckpointError."""
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds; all mean "unusable"
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            raise CheckpointError(
                f"{path.name} is not an SSL Studio checkpoint: it would need to run code to "
                "load (an unsafe pickle), so it was refused."
            ) from exc
        raise CheckpointError(f"{path.name} is damaged and cannot be read ({exc}).") from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not an SSL Studio checkpoint (format {FORMAT}).")
    return state
