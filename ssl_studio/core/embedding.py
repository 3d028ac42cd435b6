"""Embedding a dataset with a trained encoder (the ``embed`` job)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.engine.device import pick_device
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.embeddings import embed_images, embed_series
from ssl_studio.core.events import Progress, Reporter, StopToken, ignore
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.pretrain_setup import rebuild_task
from ssl_studio.core.project.store import Store

JOB = "embed"


def embed_dataset(
    project: Path,
    run_id: int,
    dataset: str | None,
    *,
    per_timestep: bool,
    device: str,
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> tuple[list[int], Any]:
    """See jobs.embed."""
    with Store.open(project) as store:
        run = store.run(run_id)
        if run is None:
            raise ConfigError(f"There is no run {run_id} in this project.")
        state = latest_checkpoint(store.paths.root / run["folder"])
        name = dataset or state["dataset"]
        found = store.dataset_named(name)
        modality = state.get("modality", "image")
        if found["modality"] != modality:
            raise ConfigError(
                f"Run {run_id} learned from {modality} data; dataset '{name}' holds "
                f"{found['modality']} data."
            )
        items = store.items(found["id"])
        reader = CacheReader(
            store.paths.dataset_cache(found["id"]), store.cache_extents(found["id"])
        )
    if not items:
        raise ConfigError(f"Dataset '{name}' has no items to embed.")
    if per_timestep and modality == "image":
        raise ConfigError("Per-time-step representations exist for time series only.")
    task = rebuild_task(state)
    target = pick_device(device)
    encoder = task.trained_encoder.to(target)
    channels = state["in_channels"]

    def progress(done: int, total: int) -> None:
        report(Progress(JOB, done=done, total=total, phase="embedding"))

    with torch.no_grad():
        if modality == "image":
            z = embed_images(
                encoder,
                items,
                reader,
                channels=channels,
                image_size=state["image_size"],
                device=target,
                stop=stop,
                progress=progress,
            )
            vectors: Any = z.numpy()
        else:
            z = embed_series(
                encoder,
                items,
                reader,
                channels=channels,
                device=target,
                per_timestep=per_timestep,
                stop=stop,
                progress=progress,
            )
            vectors = [t.numpy() for t in z] if per_timestep else z.numpy()
    return [int(i["id"]) for i in items], vectors
