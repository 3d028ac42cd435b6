"""Engine and data-path overhead, each against a bare PyTorch baseline in the same process.

    python tests/bench/bench_engine.py [--task simclr] [--backbone cnn-small]
        [--image-size 64] [--batch-size 64] [--steps 40] [--items 1024]

engine_overhead: time per step of the SSL Studio engine (scheduler, AMP context,
accumulation bookkeeping, throttled logging, stop checks) divided by a bare loop doing
the same forward / backward / optimiser step on the same task, batch and in-memory data.
data_path_overhead: an epoch read from the on-disk cache (memory-mapped, read ahead in a
thread, augmented on the device) divided by the same epoch on batches already in memory.
Targets: engine_overhead <= 1.05, data_path_overhead <= 1.10. Runs on CUDA unchanged
(the device is picked automatically). Ends with one JSON line of figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ssl_studio.core.config import ImportConfig, TrainConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.loaders import ImageBatches
from ssl_studio.core.engine.device import describe, pick_device
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import build_task
from ssl_studio.core.transforms.image_augment import ImageAugment
from ssl_studio.core.transforms.image_defaults import default_augment


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def make_task(args: argparse.Namespace, device: torch.device):
    torch.manual_seed(0)
    backbone = build_backbone(args.backbone, in_channels=1, image_size=args.image_size)
    augment = ImageAugment(default_augment("CR", 1), out_size=args.image_size)
    return build_task(args.task, {}, backbone, augment).to(device)


class Repeat:
    """A loader that hands out the same in-memory batches (the engine's interface)."""

    def __init__(self, batches: list) -> None:
        self.items = batches
        self.batch_size = len(batches[0])

    def __len__(self) -> int:
        return len(self.items)

    def epoch(self, epoch: int, skip: int = 0):
        yield from self.items[skip // self.batch_size :]


def bare_seconds_per_step(task, batch, steps: int, device: torch.device) -> float:
    """A plain loop: forward, backward, step; timed over the whole run (one sync at the end,
    so the CPU may queue work ahead of the GPU as it would in practice)."""
    optimizer = torch.optim.AdamW([p for p in task.parameters() if p.requires_grad], lr=1e-3)

    def step() -> None:
        loss, _ = task(batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        task.on_step_end(1, steps)

    for _ in range(3):  # warm-up
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return (time.perf_counter() - start) / steps


def engine_seconds_per_step(task, batch, steps: int, device: torch.device, tmp: Path) -> float:
    """The engine with its default logging (a device sync at most every 0.5 s): the time
    from step 3's event to the last step's event, per step."""
    stamps: dict[int, float] = {}

    def report(event) -> None:
        if type(event).__name__ == "Step":
            sync(device)
            stamps[event.step] = time.perf_counter()

    cfg = TrainConfig(
        steps=steps + 3,
        batch_size=len(batch),
        grad_clip=0.0,
        amp="off",
        checkpoint_every_steps=10**9,
        checkpoint_every_minutes=1e9,
        health_every_steps=10**9,
        warmup_fraction=0.0,
    )
    trainer = Trainer(
        task, Repeat([batch] * (steps + 3)), cfg, device=device, run_dir=tmp, report=report
    )
    trainer.fit()
    first = min(s for s in stamps if s >= 3)
    last = max(stamps)
    return (stamps[last] - stamps[first]) / (last - first)


def epoch_seconds(task, loader, device: torch.device, tmp: Path) -> float:
    cfg = TrainConfig(
        epochs=1,
        batch_size=loader.batch_size,
        grad_clip=0.0,
        amp="off",
        checkpoint_every_steps=10**9,
        checkpoint_every_minutes=1e9,
        health_every_steps=10**9,
    )
    trainer = Trainer(task, loader, cfg, device=device, run_dir=tmp)
    sync(device)
    start = time.perf_counter()
    trainer.fit()
    sync(device)
    return time.perf_counter() - start


def build_cache(tmp: Path, n: int, size: int) -> tuple[list, CacheReader]:
    folder = tmp / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (size, size), dtype=np.uint8)).save(
            folder / f"{i}.png"
        )
    project = create_project(tmp / "project")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=size, name="bench"))
    with Store.open(project) as store:
        items = store.items(store.dataset("bench")["id"])
    return items, CacheReader(project / "cache" / f"dataset-{items[0]['dataset_id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="simclr")
    parser.add_argument("--backbone", default="cnn-small")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--items", type=int, default=1024)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = pick_device(args.device)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        items, reader = build_cache(tmp, args.items, args.image_size)
        disk = ImageBatches(
            items,
            reader,
            batch_size=args.batch_size,
            channels=1,
            seed=0,
            pin_memory=device.type == "cuda",
        )
        memory = Repeat(
            [
                disk.read(range(b * args.batch_size, (b + 1) * args.batch_size))
                for b in range(len(disk))
            ]
        )
        batch = memory.items[0].to(device)

        bare = bare_seconds_per_step(make_task(args, device), batch, args.steps, device)
        engine = engine_seconds_per_step(
            make_task(args, device), batch, args.steps, device, tmp / "engine"
        )
        bare_again = bare_seconds_per_step(make_task(args, device), batch, args.steps, device)
        bare = min(bare, bare_again)  # the faster of two baselines: no credit for warm-up

        in_memory = epoch_seconds(make_task(args, device), memory, device, tmp / "mem")
        from_disk = epoch_seconds(make_task(args, device), disk, device, tmp / "disk")
        in_memory_again = epoch_seconds(make_task(args, device), memory, device, tmp / "mem2")
        in_memory = min(in_memory, in_memory_again)
        disk.close()

    figures = {
        "engine_overhead": round(engine / bare, 3),
        "data_path_overhead": round(from_disk / in_memory, 3),
        "bare_ms_per_step": round(bare * 1000, 2),
        "engine_ms_per_step": round(engine * 1000, 2),
        "epoch_in_memory_s": round(in_memory, 3),
        "epoch_from_cache_s": round(from_disk, 3),
        "device": describe(device),
        "task": args.task,
        "backbone": args.backbone,
        "batch_size": args.batch_size,
        "image_size": args.image_size,
    }
    print(
        f"{args.task} on {args.backbone}, {args.image_size} px, batch {args.batch_size}, "
        f"{describe(device)}"
    )
    print(f"{'measurement':<34}{'value':>12}{'ratio':>10}")
    print(f"{'bare PyTorch loop, ms/step':<34}{bare * 1000:>12.2f}{1:>10.3f}")
    print(f"{'SSL Studio engine, ms/step':<34}{engine * 1000:>12.2f}{engine / bare:>10.3f}")
    print(f"{'epoch on in-memory batches, s':<34}{in_memory:>12.3f}{1:>10.3f}")
    print(f"{'epoch read from the cache, s':<34}{from_disk:>12.3f}{from_disk / in_memory:>10.3f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
