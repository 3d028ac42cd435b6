"""Does pretraining pay off with 1 % of the labels? PneumoniaMNIST, the app's defaults.

    python tests/bench/bench_pneumonia.py [--data NPZ] [--test-npz NPZ]
        [--label-fraction 0.01] [--draws 3] [--task-option NAME=VALUE ...]

1. Import every train image of ``--data`` (default ../shared/data/pneumoniamnist_28_dev.npz)
   as PNG files into a fresh project and pretrain with the app's default image task and
   settings (labels unused).
2. For each label draw (seeded, stratified): take ``label-fraction`` of the train labels,
   train the app's recommended protocol for that many labels per class on the pretrained
   encoder, and the from-scratch baseline (same labels, architecture and budget).
3. Score both on ``val`` of --data, or on --test-npz (keys test_images, test_labels):
   ROC AUC and accuracy (threshold 0.5 on p(pneumonia)).

Prints a table per draw and ends with one JSON line:
{"labels": N, "ssl_auc", "ssl_acc", "scratch_auc", "scratch_acc" (means over draws),
 "ssl_auc_std", "scratch_auc_std", "protocol", "minutes"}.
Published reference: ResNet-18 at 28 px trained with ALL labels, test AUC 0.944.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from task_options import add_task_option, task_options

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.engine.device import pick_device
from ssl_studio.core.evaluation.metrics import point_metrics
from ssl_studio.core.finetune.data import predict_proba
from ssl_studio.core.finetune.protocols import fit_protocol
from ssl_studio.core.finetune.setup import labeled_data, recommended_protocol, source_of, spec_of
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.pretrain_setup import rebuild_task
from ssl_studio.core.project.store import Store

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
CLASSES = ("normal", "pneumonia")


def write_pngs(images: np.ndarray, labels: np.ndarray, folder: Path) -> list[tuple[str, str]]:
    """One PNG per image in folder/; returns (file name, class) rows."""
    folder.mkdir(parents=True)
    rows = []
    for i, (image, label) in enumerate(zip(images, labels.reshape(-1), strict=True)):
        name = f"{i:05d}.png"
        Image.fromarray(image).save(folder / name)
        rows.append((name, CLASSES[int(label)]))
    return rows


def set_labels(project: Path, dataset: str, rows: list[tuple[str, str]], name: str) -> None:
    with Store.open(project, write=True) as store:
        found = store.dataset(dataset)
        by_path = {i["rel_path"]: int(i["id"]) for i in store.items(found["id"])}
        store.add_label_set(found["id"], name, "bench", {by_path[p]: c for p, c in rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "pneumoniamnist_28_dev.npz")
    parser.add_argument("--test-npz", type=Path)
    parser.add_argument("--label-fraction", type=float, default=0.01)
    parser.add_argument("--draws", type=int, default=3)
    add_task_option(parser)
    args = parser.parse_args()
    options = task_options(args)
    start = time.perf_counter()
    data = np.load(args.data)
    if args.test_npz:
        test = np.load(args.test_npz)
        test_x, test_y = test["test_images"], test["test_labels"]
    else:
        test_x, test_y = data["val_images"], data["val_labels"]
    device = pick_device("auto")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        train_rows = write_pngs(data["train_images"], data["train_labels"], root / "train")
        test_rows = write_pngs(test_x, test_y, root / "test")
        project = create_project(root / "project")
        for name in ("train", "test"):
            import_data(
                ImportConfig(project=project, paths=[root / name], name=name, cache_size=64)
            )
        set_labels(project, "test", test_rows, "labels")
        summary = pretrain(PretrainConfig(project=project, dataset="train", task_options=options))
        pretrain_minutes = (time.perf_counter() - start) / 60
        print(
            f"pretrained run {summary['run_id']}: {summary['steps']} steps, "
            f"{pretrain_minutes:.1f} min since start",
            flush=True,
        )
        y_all = np.array([c for _, c in train_rows])
        n_labels = max(2, round(args.label_fraction * len(y_all)))
        results = {"ssl": [], "scratch": []}
        print(
            f"{'draw':>4} {'labels':>6} {'protocol':>9} {'ssl AUC':>8} {'acc':>6} "
            f"{'scratch AUC':>12} {'acc':>6}"
        )
        for draw in range(args.draws):
            rng = np.random.default_rng(draw)
            picked = []
            for c in CLASSES:  # stratified: each class in proportion, at least one
                mine = np.flatnonzero(y_all == c)
                share = max(1, round(n_labels * len(mine) / len(y_all)))
                picked += rng.choice(mine, share, replace=False).tolist()
            name = f"draw{draw}"
            set_labels(project, "train", [train_rows[i] for i in picked], name)
            cfg = FinetuneConfig(project=project, run=summary["run_id"], labels=name, seed=draw)
            with Store.open(project) as store:
                _, state = source_of(store, summary["run_id"])
                spec = spec_of(state)
                train = labeled_data(store, "train", name, spec, 3000, "pneumonia")
                held = labeled_data(store, "test", "labels", spec, 3000, "pneumonia")
            encoder = rebuild_task(state).encoder
            per_class = int(np.bincount(train.y).min())
            protocol = recommended_protocol(per_class)
            scores = {}
            for key, proto in (("ssl", protocol), ("scratch", "scratch")):
                with tempfile.TemporaryDirectory() as run_dir:
                    fitted = fit_protocol(
                        proto,
                        encoder,
                        spec,
                        train,
                        np.arange(len(train.y)),
                        cfg,
                        device=device,
                        run_dir=Path(run_dir),
                    )
                proba = predict_proba(
                    fitted.classifier.to(device), held, np.arange(len(held.y)), device
                )
                m = point_metrics(held.y, proba, 0.5)
                scores[key] = (m["roc_auc"], m["accuracy"])
                results[key].append(scores[key])
            print(
                f"{draw:>4} {len(picked):>6} {protocol:>9} {scores['ssl'][0]:>8.3f} "
                f"{scores['ssl'][1]:>6.3f} {scores['scratch'][0]:>12.3f} "
                f"{scores['scratch'][1]:>6.3f}",
                flush=True,
            )
    minutes = (time.perf_counter() - start) / 60

    def mean(key: str, i: int) -> float:
        return round(statistics.fmean(r[i] for r in results[key]), 4)

    def std(key: str, i: int) -> float:
        values = [r[i] for r in results[key]]
        return round(statistics.stdev(values), 4) if len(values) > 1 else 0.0

    print(
        f"mean over {args.draws} draws: ssl AUC {mean('ssl', 0):.3f} ± {std('ssl', 0):.3f}, "
        f"scratch AUC {mean('scratch', 0):.3f} ± {std('scratch', 0):.3f} "
        f"(reference, all labels: 0.944)"
    )
    print(
        json.dumps(
            {
                "labels": n_labels,
                "ssl_auc": mean("ssl", 0),
                "ssl_acc": mean("ssl", 1),
                "scratch_auc": mean("scratch", 0),
                "scratch_acc": mean("scratch", 1),
                "ssl_auc_std": std("ssl", 0),
                "scratch_auc_std": std("scratch", 0),
                "protocol": protocol,
                "draws": args.draws,
                "task_options": options,
                "threads": torch.get_num_threads(),
                "minutes": round(minutes, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
