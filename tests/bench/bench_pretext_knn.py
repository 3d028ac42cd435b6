"""Does pretraining help? kNN accuracy on the labeled demo X-rays, before and after.

    python tests/bench/bench_pretext_knn.py [--tasks simclr,moco,...] [--steps 150]
        [--seeds 0,1,2] [--image-size 64] [--batch-size 64] [--task-option NAME=VALUE ...]

For each pretext task and seed: the leave-one-out 20-NN accuracy (cosine, weighted) of
the encoder's embeddings of the 400 demo chest X-rays (normal vs pneumonia, labels from
resources/demo/chest-xray-labels.csv) at random initialisation, and again after a short
CPU pretraining run with the app's defaults (no labels used). Prints a line per finished
run (task and seed), a line per task with mean ± std over seeds, and ends with one JSON
line.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from task_options import add_task_option, task_options

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.config_fields import from_dict
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.engine.health import knn_accuracy
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.embeddings import embed_images
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.pretrain_setup import rebuild_task
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS, trains
from ssl_studio.resources import demo_dir

IMAGE_TASKS = [name for name, cls in TASKS.items() if trains(cls, "image")]


def backbone_for(task: str) -> str:
    """cnn-small, or the first backbone the task trains when it cannot train cnn-small
    (mae: vit-tiny)."""
    cls = TASKS[task]
    return "cnn-small" if trains(cls, "image", "cnn-small") else cls.backbones[0]


def demo_project(tmp: Path) -> tuple[Path, list[dict], torch.Tensor]:
    project = create_project(tmp / "project")
    import_data(
        ImportConfig(
            project=project, paths=[demo_dir() / "chest-xray"], name="chest-xray", cache_size=64
        )
    )
    with open(demo_dir() / "chest-xray-labels.csv") as f:
        labels = {row["path"]: row["label"] for row in csv.DictReader(f)}
    with Store.open(project) as store:
        items = store.items(store.dataset("chest-xray")["id"])
    classes = sorted(set(labels.values()))
    y = torch.tensor([classes.index(labels[i["rel_path"]]) for i in items])
    return project, items, y


def knn_of(encoder, items, reader, args) -> float:
    z = embed_images(
        encoder, items, reader, channels=1, image_size=args.image_size, device=torch.device("cpu")
    )
    return knn_accuracy(z, args.labels, k=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--tasks", default=",".join(IMAGE_TASKS), help="image tasks, comma-separated"
    )
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    add_task_option(parser)
    args = parser.parse_args()
    options = task_options(args)
    tasks = args.tasks.split(",")
    others = [t for t in tasks if t not in IMAGE_TASKS]
    if others:  # (the demo X-rays are images)
        parser.error(f"not image tasks: {', '.join(others)}; choose of {', '.join(IMAGE_TASKS)}")
    for task in tasks:  # (before minutes of runs: an option one of them does not have)
        try:
            from_dict(TASKS[task].Config, dict(options), "task")
        except ConfigError as exc:
            parser.error(f"{task}: {exc} Choose --tasks that all have the option.")
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        project, items, args.labels = demo_project(Path(tmp))
        reader = CacheReader(project / "cache" / f"dataset-{items[0]['dataset_id']}")
        for task in tasks:
            backbone = backbone_for(task)
            before, after, seconds = [], [], []
            for seed in seeds:
                torch.manual_seed(seed)
                untrained = build_backbone(backbone, in_channels=1, image_size=args.image_size)
                before.append(knn_of(untrained.module, items, reader, args))
                start = time.perf_counter()
                summary = pretrain(
                    PretrainConfig(
                        project=project,
                        dataset="chest-xray",
                        task=task,
                        backbone=backbone,
                        image_size=args.image_size,
                        task_options=options,
                        train=TrainConfig(
                            steps=args.steps,
                            batch_size=args.batch_size,
                            seed=seed,
                            health_every_steps=10**6,
                        ),
                    )
                )
                seconds.append(time.perf_counter() - start)
                state = latest_checkpoint(project / "runs" / str(summary["run_id"]))
                after.append(knn_of(rebuild_task(state).encoder, items, reader, args))
                print(
                    f"{task:<9} {backbone:<10} seed {seed}: random {before[-1]:.3f}"
                    f"   pretrained {after[-1]:.3f}   {seconds[-1]:.0f} s",
                    flush=True,
                )
            results[task] = {
                "backbone": backbone,
                "random_knn": statistics.mean(before),
                "random_std": statistics.pstdev(before),
                "ssl_knn": statistics.mean(after),
                "ssl_std": statistics.pstdev(after),
                "better": statistics.mean(after) > statistics.mean(before),
                "seconds_per_run": statistics.mean(seconds),
            }
            r = results[task]
            print(
                f"{task:<9} {backbone:<10} random {r['random_knn']:.3f} ± {r['random_std']:.3f}"
                f"   pretrained {r['ssl_knn']:.3f} ± {r['ssl_std']:.3f}"
                f"   {r['seconds_per_run']:.0f} s/run",
                flush=True,
            )
    print(
        json.dumps(
            {
                "steps": args.steps,
                "seeds": seeds,
                "image_size": args.image_size,
                "items": len(items),
                "task_options": options,
                "tasks": results,
            }
        )
    )


if __name__ == "__main__":
    main()
