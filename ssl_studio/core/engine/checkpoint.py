"""Checkpoints: one plain dictionary per file, written atomically, read without pickle.

A checkpoint holds the model and optimizer state, the scheduler, scaler and random
number generator states, step and epoch, the full configuration, the task and backbone
names and the package versions, so that resuming, fine-tuning and export can rebuild
everything from the file alone. Files are loaded with ``weights_only=True``: a file that
would need arbitrary unpickling (a malicious or foreign pickle) is refused.
"""

from __future__ import annotations

import errno
import os
import platform
import random
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch
import torchvision

from ssl_studio import __version__
from ssl_studio.core.atomic_files import NEW_FILE_MODE, replacing
from ssl_studio.core.code_identity import code_identity
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.storage_errors import DiskFullError, disk_full, is_disk_full

FORMAT = 1  # raised only when an older reader would misread a checkpoint (new keys: no)


class CheckpointError(SSLStudioError):
    """A checkpoint is missing, damaged, foreign or unsafe."""


# what reads the files, computes metrics and runs the exported programs (an export
# records them beside the run's own software)
EXPORT_PACKAGES = (
    "pillow",
    "pydicom",
    "tifffile",
    "onnx",
    "onnxruntime",
    "safetensors",
)


def versions(packages: tuple[str, ...] = ()) -> dict[str, str]:
    """The software a run's numbers depend on: the trainer's, and numpy and scikit-learn,
    which draw the seeded splits and fit the probes, choose k and C and compute the
    metrics; the CPU threads torch used (a CPU run is reproducible with as many). Besides,
    the installed version of each of ``packages`` (left out when not installed).
    ``ssl_studio_code``: the exact code (code_identity.py: a git commit, or the installed
    distribution); runs recorded before it lack it."""
    found = {
        "ssl_studio": __version__,
        "ssl_studio_code": code_identity(),
        "torch": str(torch.__version__),
        "torchvision": str(torchvision.__version__),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch_cpu_threads": str(torch.get_num_threads()),
    }
    for name in ("scikit-learn", *packages):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # (scikit-learn: only a broken install)
            continue
    return found


def thread_count_note(saved: dict[str, Any] | None) -> str | None:
    """Where a checkpoint's run used another number of CPU threads than this session
    (its ``versions``' ``torch_cpu_threads``), a line saying that its numbers on the CPU
    will not repeat exactly (runs begun before CPU quotas were honoured used the
    affinity's count); None where they match or the checkpoint does not say."""
    then = (saved or {}).get("torch_cpu_threads")
    now = torch.get_num_threads()
    if then is None or not str(then).isdigit() or int(then) == now:
        return None
    return (
        f"This run was trained with {then} CPU thread{'s' * (int(then) != 1)} and resumes "
        f"with {now} (a CPU quota, or another machine): it goes on, but its results on the "
        "CPU will not exactly repeat those of a run made with one thread count throughout. "
        f"From the command line, OMP_NUM_THREADS={then} set before the resume keeps the "
        "run's own count."
    )


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
    """Seed every random generator the training loop draws from (see ``rng_state``): a
    new run's (with its seed + rank) and a run resumed with another number of processes
    (seed + rank + step)."""
    torch.manual_seed(seed)  # CUDA's generators too
    random.seed(seed)
    np.random.seed(seed % 2**32)


class _DiskWriter:
    """What ``torch.save`` writes into: each chunk goes to ``file`` whole (a short write is
    continued). The first failure (a full disk) is kept, and later chunks are dropped, so
    torch's C++ writer never meets an error; ``save_checkpoint`` raises it once
    ``torch.save`` has returned. (A failed write inside torch is a RuntimeError about an
    "unexpected pos", and a C++ writer that failed can abort the whole process when it is
    destroyed.)"""

    def __init__(self, file: BinaryIO) -> None:
        self.file = file
        self.error: OSError | None = None

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data).cast("B")
        size = view.nbytes
        try:
            while self.error is None and view.nbytes:
                done = self.file.write(view)
                if done == 0:  # no room left, though the system did not say so
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[done if done is not None else view.nbytes :]
        except OSError as exc:
            self.error = exc
        return size

    def flush(self) -> None:
        if self.error is None:
            try:
                self.file.flush()
            except OSError as exc:
                self.error = exc


def _disk_full(path: Path) -> DiskFullError:
    """The message for ``path`` that did not fit on the disk: which earlier file is kept."""
    if path.is_file():
        kept = f"the {path.name} written before is kept"
    else:
        earlier = sorted(path.parent.glob("step-*.pt"))
        kept = (
            f"the last good checkpoint, {earlier[-1].name}, is kept (resume the run from it)"
            if earlier
            else "everything saved before is kept"
        )
    return disk_full(path, kept)


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically: a temporary file, fsync, then rename, so a
    crash or a full disk never leaves a half-written checkpoint in place of a good one.
    A full disk raises DiskFullError (the checkpoints written before are untouched)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "versions": versions(), **state}
    try:
        with replacing(path, suffix=".pt", mode=NEW_FILE_MODE, buffering=0) as f:
            sink = _DiskWriter(f)
            torch.save(payload, sink)
            if sink.error is not None:
                raise sink.error
    except BaseException as exc:
        if is_disk_full(exc):
            raise _disk_full(path) from exc
        raise


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
    made = state.get("format") if isinstance(state, dict) else None
    if isinstance(made, int) and not isinstance(made, bool) and made > FORMAT:
        raise CheckpointError(
            f"{path.name} was written by a newer SSL Studio (checkpoint format {made}; this "
            f"version {__version__} reads format {FORMAT}). Update SSL Studio to use it."
        )
    if made != FORMAT:
        raise CheckpointError(f"{path.name} is not an SSL Studio checkpoint (format {FORMAT}).")
    return state
