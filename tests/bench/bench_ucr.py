"""Time-series representations on UCR/UEA, the TS2Vec protocol, with the app's defaults.

    python tests/bench/bench_ucr.py [NPZ ...] [--seeds 0,1,2] [--task TASK]
                                    [--task-option NAME=VALUE ...]

Default files: the four in ../shared/data/ucr/. Any .npz with the keys X_train, y_train,
X_test, y_test (X float32 [N, C, T], NaN-padded) works unchanged. For each file and seed:
import the training and test series into a fresh project, pretrain on the training
series WITHOUT labels with the app's default time-series task and settings (nothing
tuned per data set), embed both splits with the run's encoder, fit an RBF SVM on the
training representations and labels (C chosen by 5-fold cross-validation on the
training set only), and score the test set. Prints a table with the published T-Loss
and DTW accuracies beside ours, and ends with one JSON line:
{"datasets": {NAME: {"acc_mean", "acc_std", "seconds"}}, "mean_acc"}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from task_options import add_task_option, task_options

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.evaluation.probes import svm_probe
from ssl_studio.core.jobs import create_project, embed, import_data, pretrain
from ssl_studio.core.project.store import Store

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "ucr"
# published accuracies (../shared/data/README.md): T-Loss (K=10), DTW
REFERENCE = {
    "GunPoint": (0.980, 0.907),
    "ItalyPowerDemand": (0.954, 0.950),
    "BasicMotions": (1.000, 0.975),
    "JapaneseVowels": (0.986, 0.949),
}


def split_project(npz: Path, tmp: Path) -> tuple[Path, dict[str, np.ndarray]]:
    """A project with datasets "train" and "test" (series only, no labels) and the labels."""
    data = np.load(npz, allow_pickle=False)
    labels = {"train": data["y_train"].astype(str), "test": data["y_test"].astype(str)}
    for split in ("train", "test"):
        folder = tmp / split
        folder.mkdir()
        np.save(folder / "series.npy", data[f"X_{split}"].astype(np.float32))
    project = create_project(tmp / "project")
    for split in ("train", "test"):
        import_data(ImportConfig(project=project, paths=[tmp / split], name=split, workers=1))
    return project, labels


def item_labels(project: Path, split: str, labels: np.ndarray) -> dict[int, str]:
    """Item id -> label: item ``idx`` is the series' row in the array."""
    with Store.open(project) as store:
        items = store.items(store.dataset(split)["id"])
    return {item["id"]: labels[item["idx"]] for item in items}


def one_run(
    project: Path,
    labels: dict[str, np.ndarray],
    seed: int,
    task: str | None,
    options: dict[str, Any],
) -> float:
    summary = pretrain(
        PretrainConfig(
            project=project,
            dataset="train",
            task=task,
            task_options=options,
            train=TrainConfig(seed=seed, health_every_steps=10**6),
        )
    )
    run_id = summary["run_id"]
    splits = {}
    for split in ("train", "test"):
        ids, z = embed(project, run_id, split)
        by_id = item_labels(project, split, labels[split])
        splits[split] = (z, np.array([by_id[i] for i in ids]))
    (train_z, train_y), (test_z, test_y) = splits["train"], splits["test"]
    return svm_probe(train_z, train_y, test_z, test_y, seed=seed).accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--task", default=None, help="default: the app's default series task")
    add_task_option(parser)
    args = parser.parse_args()
    options = task_options(args)
    files = args.files or sorted(SHARED.glob("*.npz"))
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {}
    print(f"{'data set':<18}{'ours':>16}{'T-Loss':>9}{'DTW':>8}{'seconds':>10}")
    for npz in files:
        start = time.perf_counter()
        accuracies = []
        with tempfile.TemporaryDirectory() as tmp:
            project, labels = split_project(npz, Path(tmp))
            for seed in seeds:
                accuracies.append(one_run(project, labels, seed, args.task, options))
        seconds = time.perf_counter() - start
        name = npz.stem
        results[name] = {
            "acc_mean": round(statistics.mean(accuracies), 4),
            "acc_std": round(statistics.pstdev(accuracies), 4),
            "seconds": round(seconds, 1),
            "accuracies": [round(a, 4) for a in accuracies],
        }
        tloss, dtw = REFERENCE.get(name, (float("nan"), float("nan")))
        r = results[name]
        print(
            f"{name:<18}{r['acc_mean']:>9.3f} ± {r['acc_std']:.3f}{tloss:>9.3f}{dtw:>8.3f}"
            f"{seconds:>10.0f}",
            flush=True,
        )
    mean = statistics.mean(r["acc_mean"] for r in results.values())
    summary = {"datasets": results, "mean_acc": round(mean, 4), "seeds": seeds}
    print(json.dumps({**summary, "task_options": options}))


if __name__ == "__main__":
    main()
