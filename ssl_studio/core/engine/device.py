"""Choosing the device and the numeric precision, and reading device memory."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ssl_studio.core.config import AMP_MODES, DEVICES
from ssl_studio.core.errors import ConfigError


def pick_device(preference: str = "auto", local_rank: int = 0) -> torch.device:
    """CUDA > MPS > CPU for "auto"; a named device that is not there is an error."""
    if preference not in DEVICES:
        raise ConfigError(f"Unknown device {preference!r}; choose one of {', '.join(DEVICES)}.")
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    if preference == "cuda" and not cuda:
        raise ConfigError("No CUDA GPU is available here; use device 'auto' or 'cpu'.")
    if preference == "mps" and not mps:
        raise ConfigError("Apple's MPS device is not available here; use 'auto' or 'cpu'.")
    if preference == "cuda" or (preference == "auto" and cuda):
        return torch.device("cuda", local_rank % max(1, torch.cuda.device_count()))
    if preference == "mps" or (preference == "auto" and mps):
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    """A name for people: the GPU model, or "CPU (N threads)"."""
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


@dataclass(frozen=True)
class Precision:
    """Mixed precision on CUDA: bf16 where the GPU supports it, else fp16 with a scaler."""

    dtype: torch.dtype | None  # None: full float32

    @classmethod
    def choose(cls, mode: str, device: torch.device) -> Precision:
        if mode not in AMP_MODES:
            raise ConfigError(f"Unknown amp mode {mode!r}; choose one of {', '.join(AMP_MODES)}.")
        if device.type != "cuda" or mode == "off":
            return cls(None)
        if mode == "fp16":
            return cls(torch.float16)
        if mode == "bf16" or torch.cuda.is_bf16_supported():
            return cls(torch.bfloat16)
        return cls(torch.float16)

    @property
    def needs_scaler(self) -> bool:
        return self.dtype == torch.float16

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    @contextlib.contextmanager
    def autocast(self, device: torch.device) -> Iterator[None]:
        if self.dtype is None:
            yield
        else:
            with torch.autocast(device.type, dtype=self.dtype):
                yield


def memory_mb(device: torch.device) -> float | None:
    """Peak device memory allocated since the last reset, in MB (CUDA only)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return None
