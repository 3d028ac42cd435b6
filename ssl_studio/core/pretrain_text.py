"""What a pretraining run says about its data: its training instances (images, or
sections of long series), how big it is, why it is too small."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.data.series_rates import common_rate, steps_text
from ssl_studio.core.data.series_sections import section_count, sections_text

MIN_ITEMS = 8


def instances(items: list[dict[str, Any]], modality: str, series_length: int | None) -> int:
    """The training instances of a run: its images, or the sections of its series (a
    series of T steps gives ceil(T / series_length); series_sections.py)."""
    if modality == "image" or not series_length:
        return len(items)
    return sum(section_count(int(i["length"] or 0), series_length) for i in items)


def holds_text(dataset: dict[str, Any], items: list[dict[str, Any]], length: int | None) -> str:
    """``the dataset has 3 series``, or for long recordings what their sections are
    (``1 recording of 20 000 steps gives 7 sections of 3000 steps``)."""
    noun = "images" if dataset["modality"] == "image" else "series"
    if instances(items, dataset["modality"], length) > len(items) and length:
        return sections_text(items, length)
    return f"the dataset has {len(items)} {noun}"


def too_few_text(dataset: dict[str, Any], items: list[dict[str, Any]], length: int | None) -> str:
    """Why a dataset cannot be pretrained on: fewer than MIN_ITEMS instances."""
    noun = "images" if dataset["modality"] == "image" else "series"
    text = (
        f"Dataset '{dataset['name']}' has {len(items)} {noun}; pretraining needs at least "
        f"{MIN_ITEMS} (hundreds or more to learn something useful)."
    )
    if dataset["modality"] == "image" or not length or not items:
        return text
    if instances(items, dataset["modality"], length) == len(items):  # (no long one)
        return text
    return (
        f"Dataset '{dataset['name']}' is too small to pretrain on: its "
        f"{sections_text(items, length)}, and pretraining needs at least {MIN_ITEMS} "
        "(hundreds or more to learn something useful). Import more recordings, or cut "
        "them into more sections with a smaller series_length."
    )


def size_text(cfg: PretrainConfig, modality: str, items: list[dict[str, Any]]) -> str:
    if modality == "image":
        return f" at {cfg.image_size} px"
    rate = common_rate([i.get("sampling_rate") for i in items])
    return f", windows of up to {steps_text(int(cfg.series_length or 0), rate)}"


def sections_note(cfg: PretrainConfig, modality: str, items: list[dict[str, Any]]) -> str:
    """`` 1 recording of 1 800 000 steps gives 600 sections of 3000 steps.`` when some
    series are longer than the window (each section is a training instance), else ''."""
    length = cfg.series_length
    if modality == "image" or not length or instances(items, modality, length) == len(items):
        return ""
    return f" {sections_text(items, length)}."
