"""Loading the exported programs (model.pt, model.onnx) from any folder a user may have.

PyTorch hands the path given to ``torch.jit.load`` to C++ as UTF-8 bytes, which Windows
reads in the ANSI code page: a folder with any non-ASCII character in its path
(``C:\\Users\\Jürgen\\SSL Studio``) names another file there, and loading fails with "open
file failed" (pytorch/pytorch#75171, not fixed). Older ONNX Runtime releases refused paths
with characters outside the code page in the same way. So both are given the file's bytes,
read by Python, which opens any path.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

CPU_ONLY = ("CPUExecutionProvider",)


def load_torchscript(path: Path, **options: Any) -> torch.jit.ScriptModule:
    """``torch.jit.load`` of the file ``path`` (``options``: its own keyword arguments,
    e.g. ``map_location``, ``_extra_files``), read from its bytes."""
    import torch  # (here: predict, which reads only model.onnx, needs no torch)

    return torch.jit.load(io.BytesIO(Path(path).read_bytes()), **options)


def external_data(path: Path) -> Path:
    """Where an ONNX program over 2 GB keeps its weights: ``<name>.data`` beside it (as
    ``torch.onnx``'s ONNXProgram.save writes them)."""
    path = Path(path)
    return path.with_name(f"{path.name}.data")


def onnx_session(path: Path, options: Any = None, providers: Sequence[str] = CPU_ONLY) -> Any:
    """An ``onnxruntime.InferenceSession`` of the ONNX program ``path``, made from its
    bytes; ``options``: SessionOptions (or None).

    A program whose weights lie in an external data file is given by its path all the
    same: ONNX Runtime finds that file only relative to the program's own path, which
    bytes do not have (loading them would fail on every system). Only programs over 2 GB
    are written that way; for them an older ONNX Runtime still needs a folder whose path
    the code page can spell."""
    import onnxruntime

    source: str | bytes = str(path) if external_data(path).exists() else Path(path).read_bytes()
    return onnxruntime.InferenceSession(source, options, providers=list(providers))
