"""model.pt's check of its inputs' shapes: the traced program wrapped in a small scripted
module that refuses input it was not made for, naming the shape it expects and the one it
got, before the traced code runs.

Tracing fixes nothing of the input's shape, and adaptive pooling lets an image model of
64 px take 224 px images and give confident, meaningless probabilities; a wrong channel
count or number of dimensions failed somewhere inside the network. model.onnx fixes the
height and width itself (only the batch, and a series' length, are dynamic), so ONNX
Runtime refuses such input already; this gives model.pt the same limits. The expected
shape is written as the programs' ``input`` metadata writes it (self_description.py).

TorchScript compiles these classes from their source text (inspect.getsource): the app
bundle carries ssl_studio's sources for that (packaging/ssl_studio.spec).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

CARD_INPUT = "MODEL_CARD.md (Input)"  # where the card describes the input


def _channels(c: int) -> str:
    return f"{c} channel" if c == 1 else f"{c} channels"


def dtype_name(t: Tensor) -> str:
    """``t``'s dtype in words (TorchScript prints a dtype as its number)."""
    for dtype, name in (
        (torch.float64, "float64"),
        (torch.float16, "float16"),
        (torch.bfloat16, "bfloat16"),
        (torch.uint8, "uint8"),
        (torch.int16, "int16"),
        (torch.int32, "int32"),
        (torch.int64, "int64"),
        (torch.bool, "bool"),
    ):
        if t.dtype == dtype:
            return name
    return "another dtype than float32"


class ImageShapeGuard(nn.Module):
    """x [N, C, S, S] -> the traced program's probabilities [N, K], any other shape
    refused (a RuntimeError, torch.jit.Error once scripted, naming both shapes), as is
    any dtype but float32 (float64 from NumPy failed deep inside the network)."""

    def __init__(self, program: nn.Module, channels: int, size: int) -> None:
        super().__init__()
        self.program = program
        self.shape: list[int] = [channels, size, size]  # (all but the batch)
        self.expected = f"[N, {channels}, {size}, {size}] (batch, channels, rows, columns)"
        self.advice = (
            f"prepare the images as {CARD_INPUT} says ({_channels(channels)}, resampled "
            f"to {size} x {size} px)"
        )
        self.convert = f"once it holds the values {CARD_INPUT} describes (not raw pixels)"

    def forward(self, x: Tensor) -> Tensor:
        got: list[int] = x.shape
        if x.dim() != 4 or got[1:] != self.shape:
            raise RuntimeError(
                f"model.pt expects x of shape {self.expected}, got {got}: {self.advice}"
            )
        if x.dtype != torch.float32:
            raise RuntimeError(
                f"model.pt expects x as float32, got {dtype_name(x)}: convert it with x.float() "
                f"{self.convert}"
            )
        return self.program(x)


class SeriesShapeGuard(nn.Module):
    """x [N, C, T], observed [N, C, T] -> the traced program's probabilities [N, K]; x of
    another number of dimensions or channels, or observed of another shape than x,
    refused (T is free: the program reads series of any length); both float32."""

    def __init__(self, program: nn.Module, channels: int) -> None:
        super().__init__()
        self.program = program
        self.channels = channels
        self.expected = f"[N, {channels}, T] (batch, channels, time; any length T)"
        self.advice = f"give the model its {_channels(channels)} as {CARD_INPUT} describes"

    def forward(self, x: Tensor, observed: Tensor) -> Tensor:
        got: list[int] = x.shape
        mask: list[int] = observed.shape
        if x.dim() != 3 or got[1] != self.channels or mask != got:
            raise RuntimeError(
                f"model.pt expects x and observed of shape {self.expected}, both alike, "
                f"got x {got} and observed {mask}: {self.advice}"
            )
        if x.dtype != torch.float32 or observed.dtype != torch.float32:
            raise RuntimeError(
                f"model.pt expects x and observed as float32, got {dtype_name(x)} and "
                f"{dtype_name(observed)}: convert them with .float()"
            )
        return self.program(x, observed)


def guarded(program: nn.Module, spec: dict[str, Any]) -> torch.jit.ScriptModule:
    """The traced ``program`` (writer.ImageProbabilities or SeriesProbabilities) inside
    the scripted check of ``spec``'s input shape."""
    if spec["modality"] == "image":
        guard: nn.Module = ImageShapeGuard(program, spec["in_channels"], spec["image_size"])
    else:
        guard = SeriesShapeGuard(program, spec["in_channels"])
    return torch.jit.script(guard.eval())
