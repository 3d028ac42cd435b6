"""The image pretraining job: from a dataset and a task name to a trained encoder.

It resolves the dataset's items, builds the backbone, augmentation and pretext task,
creates (or resumes) a run under ``runs/<id>/``, and hands everything to the engine.
Under torchrun only rank 0 writes to the project; the others read it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ssl_studio.core.config import PretrainConfig, to_dict
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import ImageBatches, item_ranges
from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.checkpoint import CheckpointError, load_checkpoint, versions
from ssl_studio.core.engine.device import describe, pick_device
from ssl_studio.core.engine.health import HealthMonitor
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.evaluation.embeddings import evaluation_views
from ssl_studio.core.events import Health, Message, Reporter, StopToken
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import build_task
from ssl_studio.core.transforms.image_augment import ImageAugment, ImageAugmentConfig, preview_views
from ssl_studio.core.transforms.image_defaults import default_augment

JOB = "pretrain"
PROBE_ITEMS = 256
MIN_ITEMS = 8


class StoreRecorder:
    """Keeps a run's metrics and checkpoints in the project database (rank 0)."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.root = store.paths.root

    def metrics(self, rows: list[tuple[int, int, str, float]]) -> None:
        self.store.add_metrics(self.run_id, rows)

    def checkpoint(self, step: int, epoch: int, path: Path, kind: str) -> None:
        self.store.add_checkpoint(self.run_id, step, epoch, kind, _relative(path, self.root))

    def checkpoint_removed(self, path: Path) -> None:
        self.store.remove_checkpoint(self.run_id, _relative(path, self.root))


def _relative(path: Path, root: Path) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def fingerprint(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What the run trained on, without identifiers: counts and a hash of the cache slots."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item['id']}:{item['cache_file']}:{item['cache_index']};".encode())
    modalities = Counter(item["modality"] or "unknown" for item in items)
    return {"items": len(items), "modalities": dict(modalities), "sha256": digest.hexdigest()[:32]}


def latest_checkpoint(run_dir: Path) -> dict[str, Any]:
    """The newest checkpoint of a run that loads (a newer damaged one is skipped)."""
    files = sorted((run_dir / "checkpoints").glob("step-*.pt"), reverse=True)
    problems = []
    for path in files:
        try:
            return load_checkpoint(path)
        except CheckpointError as exc:
            problems.append(str(exc))
    detail = f" ({'; '.join(problems)})" if problems else ""
    raise SSLStudioError(f"The run in {run_dir} has no usable checkpoint to resume from{detail}.")


class Pretraining:
    """One pretraining run (new or resumed) on this process; see ``run``."""

    def __init__(self, cfg: PretrainConfig, report: Reporter, stop: StopToken) -> None:
        self.cfg = cfg
        self.report = report
        self.stop = stop
        self.world = distributed.world_from_env()

    def run(self) -> dict[str, Any]:
        world = self.world
        write = world.is_main
        with Store.open(self.cfg.project, write=write, purpose="ssl-studio pretrain") as store:
            resume = None
            if self.cfg.resume_run is not None:
                resume, self.cfg = self._resume_state(store)
            self.cfg.validate()
            dataset = store.dataset(self.cfg.dataset)
            if dataset is None:
                names = ", ".join(d["name"] for d in store.datasets()) or "none yet"
                raise ConfigError(f"No dataset '{self.cfg.dataset}'; the datasets are: {names}.")
            if dataset["modality"] != "image":
                raise ConfigError(
                    f"Dataset '{dataset['name']}' holds time series; choose an image task "
                    "for an image dataset (ssl-studio tasks lists them)."
                )
            items = store.items(dataset["id"])
            labels = store.latest_label_set(dataset["id"])
            device = pick_device(self.cfg.train.device, world.local_rank)
            distributed.init(world, device)
            try:
                return self._train(store, dataset, items, labels, device, resume)
            finally:
                distributed.shutdown()

    def _resume_state(self, store: Store) -> tuple[dict[str, Any], PretrainConfig]:
        run = store.run(self.cfg.resume_run)
        if run is None or run["kind"] != "pretrain":
            raise ConfigError(f"There is no pretraining run {self.cfg.resume_run} to resume.")
        state = latest_checkpoint(store.paths.root / run["folder"])
        cfg = PretrainConfig.from_dict({**state["config"], "project": self.cfg.project})
        cfg.resume_run = run["id"]
        return state, cfg

    def _train(
        self,
        store: Store,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        labels: dict[int, str],
        device: torch.device,
        resume: dict[str, Any] | None,
    ) -> dict[str, Any]:
        cfg, world = self.cfg, self.world
        if len(items) < MIN_ITEMS:
            raise ConfigError(
                f"Dataset '{dataset['name']}' has {len(items)} images; pretraining needs at "
                f"least {MIN_ITEMS} (hundreds or more to learn something useful)."
            )
        batch = min(cfg.train.batch_size, len(items) // world.size)
        if batch < cfg.train.batch_size and resume is None:
            self.report(
                Message(
                    JOB,
                    f"Batch size lowered to {batch}: the dataset has {len(items)} images.",
                    level="warning",
                )
            )
            cfg.train.batch_size = batch
        channels = max(int(i["channels"]) for i in items)
        torch.manual_seed(cfg.train.seed)
        backbone = build_backbone(cfg.backbone, in_channels=channels, image_size=cfg.image_size)
        modality = _main_modality(items)
        augment_cfg = dataclasses.replace(default_augment(modality, channels), **cfg.augment)
        augment = ImageAugment(augment_cfg, out_size=cfg.image_size)
        task = build_task(cfg.task, cfg.task_options, backbone, augment)
        reader = CacheReader(store.paths.dataset_cache(dataset["id"]))
        batches = ImageBatches(
            items,
            reader,
            batch_size=cfg.train.batch_size,
            channels=channels,
            seed=cfg.train.seed,
            world=world,
        )
        run_id = distributed.broadcast(
            self._open_run(store, dataset, items, device, resume) if world.is_main else None,
            world,
        )
        run_dir = store.paths.root / "runs" / str(run_id)
        snapshot = {
            "config": to_dict(cfg),
            "task": cfg.task,
            "backbone": cfg.backbone,
            "in_channels": channels,
            "image_size": cfg.image_size,
            "dataset": dataset["name"],
            "run_id": run_id,
            "augment": dataclasses.asdict(augment_cfg),
        }
        health = self._health(items, labels, reader, channels, device) if world.is_main else None
        trainer = Trainer(
            task,
            batches,
            cfg.train,
            device=device,
            run_dir=run_dir,
            world=world,
            report=self.report,
            stop=self.stop,
            recorder=StoreRecorder(store, run_id) if world.is_main else None,
            health=health,
            snapshot=snapshot,
            job=JOB,
        )
        try:
            summary = trainer.fit(resume)
        except BaseException as exc:
            if world.is_main:
                store.finish_run(run_id, "failed", error=str(exc) or type(exc).__name__)
            raise
        finally:
            batches.close()
        summary = {"run_id": run_id, "device": describe(device), **summary}
        if world.is_main:
            store.finish_run(run_id, summary["status"], summary)
        return summary

    def _open_run(
        self,
        store: Store,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        device: torch.device,
        resume: dict[str, Any] | None,
    ) -> int:
        store.mark_interrupted_runs()
        if resume is not None:
            store.resume_run(self.cfg.resume_run, describe(device), self.world.size)
            return int(self.cfg.resume_run)
        run_id = store.create_run(
            dataset["id"],
            "pretrain",
            {
                "task": self.cfg.task,
                "backbone": self.cfg.backbone,
                "config": to_dict(self.cfg),
                "device": describe(device),
                "world_size": self.world.size,
                "fingerprint": fingerprint(items),
                "versions": versions(),
            },
        )
        run_dir = store.paths.root / "runs" / str(run_id)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(json.dumps(to_dict(self.cfg), indent=2))
        self.report(
            Message(
                JOB,
                f"Run {run_id}: {self.cfg.task} on '{dataset['name']}' with "
                f"{self.cfg.backbone} at {self.cfg.image_size} px, on "
                f"{describe(device)}.",
            )
        )
        return run_id

    def _health(
        self,
        items: list[dict[str, Any]],
        labels: dict[int, str],
        reader: CacheReader,
        channels: int,
        device: torch.device,
    ) -> HealthMonitor:
        """A fixed probe set: the labeled items when there are enough (for kNN), else a
        spread of all items (the collapse gauges need no labels)."""
        labeled = [i for i in items if i["id"] in labels][:PROBE_ITEMS]
        classes = sorted({labels[i["id"]] for i in labeled})
        use_labels = len(classes) >= 2 and len(labeled) >= 10
        probe = labeled if use_labels else items[:: max(1, len(items) // PROBE_ITEMS)][:PROBE_ITEMS]
        views = evaluation_views(probe, reader, channels, self.cfg.image_size).to(device)
        label_tensor = (
            torch.tensor([classes.index(labels[i["id"]]) for i in probe]) if use_labels else None
        )

        def emit(step: int, spread: float, rank: float, knn: float | None) -> None:
            self.report(
                Health(JOB, step=step, embedding_std=spread, effective_rank=rank, knn_accuracy=knn)
            )

        return HealthMonitor(views, label_tensor, emit)


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
    """n augmented views of one cached item, as the pretraining would make them.

    augment: changes to the modality's default augmentation (as in PretrainConfig).
    Returns float32 [n, C, image_size, image_size] in [0, 1], for a preview grid.
    """
    with Store.open(project) as store:
        found = store.dataset(dataset)
        if found is None:
            raise ConfigError(f"No dataset '{dataset}'.")
        matches = [i for i in store.items(found["id"]) if i["id"] == item_id]
        if not matches:
            raise ConfigError(f"Dataset '{dataset}' has no item {item_id}.")
        reader = CacheReader(store.paths.dataset_cache(found["id"]))
    item = matches[0]
    channels = int(item["channels"])
    cfg = dataclasses.replace(default_augment(item["modality"] or "", channels), **(augment or {}))
    x = torch.from_numpy(reader.images([item], channels=channels))
    low, high = (torch.from_numpy(a) for a in item_ranges([item]))
    boxes = torch.tensor(
        [[item["box_x0"], item["box_y0"], item["box_x1"], item["box_y1"]]], dtype=torch.float32
    )
    return preview_views(x, low, high, boxes, cfg, image_size, n, seed).numpy()


def rebuild_task(state: dict[str, Any]):
    """The task of a checkpoint, built from the file alone and loaded (CPU, train mode off).

    state: a checkpoint dictionary (see engine/checkpoint.py) written by a pretraining run.
    """
    cfg = state["config"]
    backbone = build_backbone(
        state["backbone"], in_channels=state["in_channels"], image_size=state["image_size"]
    )
    augment = ImageAugment(ImageAugmentConfig(**state["augment"]), out_size=state["image_size"])
    task = build_task(state["task"], cfg.get("task_options", {}), backbone, augment)
    task.load_state_dict(state["model"])
    return task.eval()


def _main_modality(items: list[dict[str, Any]]) -> str:
    """The most common modality of the items (its defaults decide the augmentation)."""
    return Counter(item["modality"] or "" for item in items).most_common(1)[0][0]
