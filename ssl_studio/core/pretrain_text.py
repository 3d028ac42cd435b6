"""What a pretraining run says about its data: its training instances (images, or
sections of long series), how big it is, why it is too small."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.config import PRESET_VALUES, SERIES_PRESET_STEPS, PretrainConfig
from ssl_studio.core.data.series_rates import common_rate, steps_text
from ssl_studio.core.data.series_sections import section_count, sections_text
from ssl_studio.core.wording import counted

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


# a run that trained fewer than this share of its preset's steps is called a short run
SHORT_RUN_SHARE = 0.1


def preset_steps(preset: str, modality: str) -> int | None:
    """The steps a preset trains when none are chosen (series: the smaller of TS2Vec's
    two defaults, as the dataset's size picks one)."""
    if modality == "image":
        return PRESET_VALUES[preset][3] if preset in PRESET_VALUES else None
    return 200 * SERIES_PRESET_STEPS[preset] if preset in SERIES_PRESET_STEPS else None


def run_choice_text(run: dict[str, Any], dataset: str, modality: str) -> tuple[str, str]:
    """How a pretraining run is offered to fine-tune: (a line, a warning or ""), in the
    steps it trained (its loss means nothing to a clinician) and whether it stopped early
    or trained far fewer steps than its preset (an encoder that has learned little)."""
    summary = run.get("summary") or {}
    trained = int(summary.get("steps") or 0)
    config = run.get("config") or {}
    planned = (config.get("train") or {}).get("steps")  # resolved: None only with epochs
    preset = str(config.get("preset") or "quick")
    usual = preset_steps(preset, modality)
    line = (
        f"Run {run['id']}: {run['task']} / {run['backbone']} on '{dataset}', "
        f"{counted(trained, 'step')}"
    )
    if run["status"] != "done" and planned and trained < planned:
        return (
            f"{line} of {planned} ({run['status']})",
            f"Run {run['id']} stopped early: it trained {trained} of its {planned} planned "
            "steps, so its encoder may have learned little. Resume it under Pretrain, or "
            "fine-tune it knowingly.",
        )
    if usual and trained < SHORT_RUN_SHARE * usual:
        return (
            f"{line} (a short run: the {preset} preset trains {usual})",
            f"Run {run['id']} trained only {counted(trained, 'step')}, far fewer than the "
            f"{usual} of its preset ('{preset}'): a quick test whose encoder has learned "
            "little. Expect results close to the from-scratch baseline.",
        )
    return f"{line} ({run['status']})", ""
