"""What a pretraining run is built from, per kind of data: backbone, augmentation, task,
batches and the probe the health gauges watch. Also rebuilds a task from a checkpoint.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.config_check import replaced
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import ImageBatches, item_ranges
from ssl_studio.core.data.series_batches import SeriesBatches, channel_statistics, pad_series
from ssl_studio.core.data.series_sections import Sections
from ssl_studio.core.engine.distributed import World
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.embeddings import evaluation_views
from ssl_studio.core.models.backbones import build_backbone, options_in_effect
from ssl_studio.core.models.series import SeriesEncoder
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.registry import build_task, check_backbone, recorded_options
from ssl_studio.core.transforms.image_augment import (
    ImageAugment,
    ImageAugmentConfig,
    preview_views,
)
from ssl_studio.core.transforms.image_defaults import default_augment
from ssl_studio.core.transforms.series_augment import SeriesAugment, SeriesAugmentConfig

PROBE_ITEMS = 256


@dataclass
class Setup:
    """A run's parts. ``snapshot`` goes into every checkpoint (enough to rebuild the task)."""

    task: PretextTask
    batches: ImageBatches | SeriesBatches
    snapshot: dict[str, Any]
    probe: Callable[[list[dict[str, Any]], torch.device], Callable[[nn.Module], torch.Tensor]]


def build_setup(
    cfg: PretrainConfig,
    modality: str,
    items: list[dict[str, Any]],
    reader: CacheReader,
    world: World,
    device: torch.device,
    sections: bool = True,
) -> Setup:
    """The task and batches of a run on ``items`` (images or series, by ``modality``).
    ``sections``: series longer than ``series_length`` are sections (series_sections.py);
    False for a run resumed from before sections (it samples on as it began)."""
    channels = max(int(i["channels"]) for i in items)
    torch.manual_seed(cfg.train.seed)
    backbone = build_backbone(  # series backbones ignore image_size
        cfg.backbone, in_channels=channels, image_size=cfg.image_size, **cfg.backbone_options
    )
    if backbone.modality != modality:
        raise ConfigError(
            f"Backbone {cfg.backbone} is for {backbone.modality} data, but the dataset holds "
            f"{modality} data; ssl-studio tasks lists the backbones of each kind."
        )
    if modality == "image":
        augment_cfg = replaced(
            default_augment(_main_modality(items), channels), cfg.augment, "augment"
        )
        augment: nn.Module = ImageAugment(augment_cfg, out_size=cfg.image_size)
        batches: ImageBatches | SeriesBatches = ImageBatches(
            items,
            reader,
            batch_size=cfg.train.batch_size,
            channels=channels,
            seed=cfg.train.seed,
            world=world,
            pin_memory=device.type == "cuda",
        )
        probe = _image_probe(reader, channels, cfg.image_size)
    else:
        if isinstance(backbone.module, SeriesEncoder):
            stats = channel_statistics(items, reader, channels, seed=cfg.train.seed)
            backbone.module.set_input_scaling(*map(torch.from_numpy, stats))
        augment_cfg = replaced(SeriesAugmentConfig(), cfg.augment, "augment")
        augment = SeriesAugment(augment_cfg)
        batches = SeriesBatches(
            items,
            reader,
            batch_size=cfg.train.batch_size,
            channels=channels,
            max_length=cfg.series_length,
            seed=cfg.train.seed,
            world=world,
            sections=sections,
        )
        probe = _series_probe(reader, channels, cfg.series_length)
    check_backbone(cfg.task, cfg.backbone)
    task = build_task(cfg.task, cfg.task_options, backbone, augment)
    # every option as this network has it, those left to a default or worked out from
    # the image size too: resuming, fine-tuning and export rebuild from these, so a
    # later version with other defaults still builds the same network and task
    snapshot = {
        "modality": modality,
        "task": cfg.task,
        "backbone": cfg.backbone,
        "backbone_options": options_in_effect(cfg.backbone, cfg.image_size, cfg.backbone_options),
        "in_channels": channels,
        "image_size": cfg.image_size,
        "augment": dataclasses.asdict(augment_cfg),
        "task_options": dataclasses.asdict(task.cfg),
    }
    if modality != "image":  # (how its batches sample, for a resume to do the same)
        snapshot["series_sections"] = sections
    return Setup(task, batches, snapshot, probe)


def _image_probe(reader: CacheReader, channels: int, size: int):
    def probe(items: list[dict[str, Any]], device: torch.device):
        views = evaluation_views(items, reader, channels, size).to(device)
        return lambda task: torch.cat(
            [task.embed(views[i : i + 128]) for i in range(0, len(views), 128)]
        )

    return probe


def _series_probe(reader: CacheReader, channels: int, max_length: int):
    """The health gauges' inputs: a window of ``max_length`` steps of each probe series,
    from its ``probe_start`` (probe_items; default its first step), read alone (a whole
    long recording at every check ran out of memory)."""

    def probe(items: list[dict[str, Any]], device: torch.device):
        series = []
        for item in items:
            length = int(item["length"])
            start = min(int(item.get("probe_start", 0)), max(0, length - max_length))
            series.append(reader.series_window(item, start, min(length, start + max_length)))
        x, observed, _ = pad_series(series, channels)
        x_t = torch.from_numpy(x).to(device)
        observed_t = torch.from_numpy(observed).to(device)
        return lambda task: torch.cat(
            [task.embed(x_t[i : i + 64], observed_t[i : i + 64]) for i in range(0, len(x_t), 64)]
        )

    return probe


def probe_items(
    items: list[dict[str, Any]], labels: dict[int, str], series_length: int | None = None
) -> tuple[list[dict[str, Any]], torch.Tensor | None]:
    """The health gauges' fixed probe set: up to PROBE_ITEMS labeled items when there are
    enough of two classes or more (then kNN is measured too), else a spread of all items.
    The labeled ones are a fixed stratified draw, each class in its share: the first ones
    in import order could all be one class (a dataset imported class folder by class
    folder), which left the kNN gauge off or measuring the majority class.

    series_length: for series, the spread is over the sections of that many steps
    (series_sections.py), each probe entry a copy of its item with ``probe_start``, its
    section's first step: one long recording gives many probe windows, not one (whose
    spread is not defined). Series no longer than that are one section each, as before."""
    labeled = _stratified([i for i in items if i["id"] in labels], labels, PROBE_ITEMS)
    classes = sorted({labels[i["id"]] for i in labeled})
    if len(classes) >= 2 and len(labeled) >= 10:
        return labeled, torch.tensor([classes.index(labels[i["id"]]) for i in labeled])
    pool = items
    if series_length is not None and any(int(i["length"]) > series_length for i in items):
        sections = Sections.of([int(i["length"]) for i in items], series_length)
        pool = [
            {**items[owner], "probe_start": int(part) * series_length}
            for owner, part in zip(sections.owner, sections.part, strict=True)
        ]
    return pool[:: max(1, len(pool) // PROBE_ITEMS)][:PROBE_ITEMS], None


def _stratified(
    items: list[dict[str, Any]], labels: dict[int, str], count: int
) -> list[dict[str, Any]]:
    """``count`` of ``items`` (all when fewer), each class in its share, in a seeded order:
    each class is shuffled and item r of a class of n is ranked (r + 0.5) / n."""
    by_class: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_class.setdefault(labels[item["id"]], []).append(item)
    rng = np.random.default_rng(0)
    ranked = []
    for name in sorted(by_class):
        members = by_class[name]
        for rank, index in enumerate(rng.permutation(len(members))):
            ranked.append(((rank + 0.5) / len(members), name, members[index]))
    ranked.sort(key=lambda entry: entry[:2])
    return [item for _, _, item in ranked[:count]]


def rebuild_task(state: dict[str, Any]) -> PretextTask:
    """The task of a checkpoint, built from the file alone and loaded (CPU, eval mode)."""
    cfg = state["config"]
    backbone = build_backbone(  # series backbones ignore image_size (None for them)
        state["backbone"],
        in_channels=state["in_channels"],
        image_size=state["image_size"],
        **state.get("backbone_options", {}),  # absent from checkpoints before it existed
    )
    if state.get("modality", "image") == "image":
        augment: nn.Module = ImageAugment(
            ImageAugmentConfig(**state["augment"]), out_size=state["image_size"]
        )
    else:
        augment = SeriesAugment(SeriesAugmentConfig(**state["augment"]))
    options = state.get("task_options", cfg.get("task_options", {}))  # (resolved: newer)
    task = build_task(state["task"], recorded_options(state["task"], options), backbone, augment)
    task.load_state_dict(state["model"])
    return task.eval()


def augment_defaults(project: Path, dataset: str) -> ImageAugmentConfig | SeriesAugmentConfig:
    """The augmentation a run on ``dataset`` starts from, before PretrainConfig.augment's
    changes: the image defaults of its most common modality and channels, or the series
    defaults. Reads two aggregates, not the items (fast for the GUI at 100 000 items)."""
    with Store.open(project) as store:
        return _augment_defaults(store, store.dataset_named(dataset))


def _augment_defaults(
    store: Store, dataset: dict[str, Any]
) -> ImageAugmentConfig | SeriesAugmentConfig:
    if dataset["modality"] != "image":
        return SeriesAugmentConfig()
    modality, channels = store.item_profile(dataset["id"]) or ("", 1)
    return default_augment(modality, channels)


def preview_augmentations(
    project: Path,
    dataset: str,
    item_id: int,
    n: int = 8,
    *,
    image_size: int = 64,
    augment: dict[str, Any] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """n augmented views of one cached image, as the pretraining would make them.

    augment: changes to the dataset's default augmentation (as in PretrainConfig; the
    defaults are those of the dataset's main modality, as in training, not of this item's).
    Returns float32 [n, C, image_size, image_size] in [0, 1], for a preview grid.
    """
    with Store.open(project) as store:
        found = store.dataset_named(dataset)
        item = store.item(found["id"], item_id)
        if item is None:
            raise ConfigError(f"Dataset '{dataset}' has no item {item_id}.")
        reader = CacheReader(store.paths.dataset_cache(found["id"]))
        defaults = _augment_defaults(store, found)
    channels = int(item["channels"])
    cfg = replaced(defaults, augment or {}, "augment")
    x = torch.from_numpy(reader.images([item], channels=channels))
    low, high = (torch.from_numpy(a) for a in item_ranges([item]))
    boxes = torch.tensor(
        [[item["box_x0"], item["box_y0"], item["box_x1"], item["box_y1"]]], dtype=torch.float32
    )
    return preview_views(x, low, high, boxes, cfg, image_size, n, seed).numpy()


def _main_modality(items: list[dict[str, Any]]) -> str:
    """The most common modality of the items (its defaults decide the augmentation)."""
    return Counter(item["modality"] or "" for item in items).most_common(1)[0][0]
