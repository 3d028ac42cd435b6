"""Tiny untrained classifiers exported straight away (no project, no training): an
image model and a series model, in seconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ssl_studio.core.export.writer import export_classifier
from ssl_studio.core.finetune.classifier import build_classifier

SPECS: dict[str, dict[str, Any]] = {
    "image": {
        "modality": "image",
        "backbone": "cnn-small",
        "in_channels": 1,
        "image_size": 32,
        "cache_size": 32,
        "classes": ["normal", "pneumonia"],
        "head": {"kind": "linear"},
    },
    "timeseries": {
        "modality": "timeseries",
        "backbone": "ts-conv",
        "in_channels": 2,
        "image_size": None,
        "series_length": 64,
        "classes": ["normal", "arrhythmia"],
        "head": {"kind": "linear"},
    },
}


def tiny_export(
    modality: str, out: Path, threshold: float | None = None, formats: tuple[str, ...] = ("onnx",)
) -> dict[str, Any]:
    """Export a randomly initialised classifier of ``modality`` to ``out``; its card."""
    torch.manual_seed(0)
    spec = SPECS[modality]
    state = {"spec": spec, "threshold": threshold}
    return export_classifier(build_classifier(spec), state, out, formats=formats)
