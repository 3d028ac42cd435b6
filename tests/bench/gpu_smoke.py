"""The CUDA paths of the engine, on a GPU machine: every image task with mixed precision, fp16
with its gradient scaler, torch.compile, and a real out-of-memory halving.

    python tests/bench/gpu_smoke.py [--steps 20] [--items 2048]

Needs a CUDA GPU. Prints one line per check and ends with one JSON line. Not part of the
test suite (CI has no GPU).
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

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.events import Message, Step
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.tasks.registry import TASKS, trains


def make_project(tmp: Path, n: int, size: int) -> Path:
    folder = tmp / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(0, 255, (size, size), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    project = create_project(tmp / "project")
    import_data(ImportConfig(project=project, paths=[folder], name="gpu", cache_size=size))
    return project


def image_task_runs() -> list[tuple[str, str]]:
    """(task, backbone) for every image task (the project holds images; a series task
    would be refused): resnet18, or the largest backbone the task trains when it cannot
    train resnet18 (mae: vit-small)."""
    return [
        (name, "resnet18" if trains(cls, "image", "resnet18") else cls.backbones[-1])
        for name, cls in TASKS.items()
        if trains(cls, "image")
    ]


def run(project: Path, task: str, backbone: str, size: int, steps: int, **train) -> dict:
    events: list = []
    torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    cfg = PretrainConfig(
        project=project,
        dataset="gpu",
        task=task,
        backbone=backbone,
        image_size=size,
        train=TrainConfig(steps=steps, log_every_seconds=0.0, health_every_steps=10, **train),
    )
    summary = pretrain(cfg, report=events.append)
    steps_seen = [e for e in events if isinstance(e, Step)]
    warnings = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
    return {
        "task": task,
        "backbone": backbone,
        "status": summary["status"],
        "steps": summary["steps"],
        "final_loss": summary["final_loss"],
        "finite": all(np.isfinite(s.loss) for s in steps_seen),
        "img_per_s": round(max(s.samples_per_s for s in steps_seen[2:] or steps_seen), 1),
        "peak_mb": round(torch.cuda.max_memory_allocated() / 2**20),
        "batch_size": summary["batch_size"],
        "accumulate": summary["accumulate"],
        "seconds": round(time.perf_counter() - start, 1),
        "warnings": warnings,
        **{k: v for k, v in train.items() if k in ("amp", "compile")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--items", type=int, default=2048)
    args = parser.parse_args()
    assert torch.cuda.is_available(), "this check needs a CUDA GPU"
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), args.items, 224)
        for task, backbone in image_task_runs():
            results.append(run(project, task, backbone, 128, args.steps, batch_size=256))
            print(results[-1], flush=True)
        results.append(
            run(project, "simclr", "resnet18", 128, args.steps, batch_size=256, amp="fp16")
        )
        print(results[-1], flush=True)
        results.append(
            run(project, "byol", "cnn-small", 64, args.steps, batch_size=256, compile=True)
        )
        print(results[-1], flush=True)
        # far too large a batch for the GPU: the engine must halve it until it fits
        results.append(
            run(project, "simclr", "resnet50", 224, 6, batch_size=2048, checkpoint_every_steps=3)
        )
        print(results[-1], flush=True)
    oom = results[-1]
    print(
        json.dumps(
            {
                "device": torch.cuda.get_device_name(),
                "all_finite": all(r["finite"] for r in results),
                "all_done": all(r["status"] == "done" for r in results),
                "oom_halved_to": [oom["batch_size"], oom["accumulate"]],
                "img_per_s": {
                    f"{r['task']}/{r['backbone']}/{r.get('amp', 'auto')}": r["img_per_s"]
                    for r in results
                },
            }
        )
    )


if __name__ == "__main__":
    main()
