"""How many files per second ``predict`` reads, against its old per-file path and the import.

Predict decodes each file as the import does, then makes the evaluation view the model
reads. It made that view one file at a time: a chain of small torch calls on one
1 x C x 224 x 224 tensor, whose fixed cost (torch's threads woken for each) outweighed
the work and grew with the machine's load. Now the views are made a batch at a time.
Baselines, in the same process and on the same files: the old per-file path (decode,
then one ``center_view`` per item) and a cold import of the files into a new project.

    python tests/bench/bench_predict.py [--files 1000] [--folder DIR] [--export DIR]

Without --folder, writes that many 64 x 64 grayscale PNGs to a temporary folder. With
--export (an export folder of an image model), also times the whole ``predict`` (ONNX
model, CSV) with views made one by one (as before) and a batch at a time.
Prints a table, then one JSON line {"files", "threads", "old_read_files_per_s",
"read_files_per_s", "read_speedup", "import_files_per_s", "read_vs_import", and with
--export "old_predict_files_per_s", "predict_files_per_s", "predict_speedup",
"predict_vs_import"}. Target: predict reads files at a good share of the import's pace,
and no slower on a busy machine than on an idle one.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[1] / "core" / "finetune"))
from test_predict_batches import _one_by_one  # noqa: E402 (the old per-file view)

from ssl_studio.core.config import ImportConfig  # noqa: E402
from ssl_studio.core.data.decode import DecodeTask, decode  # noqa: E402
from ssl_studio.core.data.discovery import sniff  # noqa: E402
from ssl_studio.core.export import predict_job as job  # noqa: E402
from ssl_studio.core.export.preprocess import files_of, read_files  # noqa: E402
from ssl_studio.core.jobs import create_project, import_data  # noqa: E402

SPEC = {"modality": "image", "in_channels": 1, "image_size": 64, "cache_size": 224}


def write_pngs(folder: Path, n: int) -> None:
    """n 64 x 64 grayscale PNGs (a bright disc on noise), in two class folders."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:64, :64]
    for i in range(n):
        disc = ((xx - 32) ** 2 + (yy - 32) ** 2 < rng.integers(50, 400)) * 120
        pixels = (rng.normal(60, 20, (64, 64)) + disc).clip(0, 255).astype(np.uint8)
        (folder / f"class{i % 2}").mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels).save(folder / f"class{i % 2}" / f"img{i:06d}.png")


def old_read(folder: Path, spec: dict) -> int:
    """The old per-file path: decode a file, then one view per item; items read."""
    n = 0
    for found in files_of([folder]):
        result = decode(DecodeTask(str(found.path), sniff(found), spec["cache_size"], b"s"))
        for item in result.items:
            _one_by_one(item.array, item.fields, spec)
            n += 1
    return n


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def predict_s(export: Path, folder: Path, out: Path, at_once: int) -> float:
    """Seconds of a whole predict, views made ``at_once`` at a time (1: as before)."""
    saved = job.read_files
    job.read_files = functools.partial(read_files, at_once=at_once)
    try:
        return timed(lambda: job.predict(export, [folder], out, overwrite=True))
    finally:
        job.read_files = saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000, help="PNGs to write (no --folder)")
    parser.add_argument("--folder", type=Path, help="a folder of images to read instead")
    parser.add_argument("--export", type=Path, help="an image model's export folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "pngs"
        if args.folder is None:
            write_pngs(folder, args.files)
        spec = SPEC
        if args.export:
            card = json.loads((args.export / "model_card.json").read_text(encoding="utf-8"))
            spec = card["spec"]
        n = len(list(files_of([folder])))
        list(read_files(list(files_of([folder]))[:64], spec))  # warm: imports, first calls
        old = timed(old_read, folder, spec)
        new = timed(lambda: list(read_files(list(files_of([folder])), spec)))
        project = create_project(Path(tmp) / "project")
        imported = timed(import_data, ImportConfig(project=project, paths=[folder]))
        rows = [("read, one view per file (old)", old), ("read, views a batch at a time", new),
                ("import (cold, worker processes)", imported)]  # fmt: skip
        figures: dict[str, object] = {
            "files": n,
            "threads": torch.get_num_threads(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "old_read_files_per_s": round(n / old, 1),
            "read_files_per_s": round(n / new, 1),
            "read_speedup": round(old / new, 2),
            "import_files_per_s": round(n / imported, 1),
            "read_vs_import": round(imported / new, 2),
        }
        if args.export:
            out = Path(tmp) / "predictions.csv"
            before = predict_s(args.export, folder, out, at_once=1)
            after = predict_s(args.export, folder, out, at_once=64)
            rows += [("predict, one view per file (old)", before),
                     ("predict, views a batch at a time", after)]  # fmt: skip
            figures |= {
                "old_predict_files_per_s": round(n / before, 1),
                "predict_files_per_s": round(n / after, 1),
                "predict_speedup": round(before / after, 2),
                "predict_vs_import": round(imported / after, 2),
            }
    print(f"{'measurement':<36} {'seconds':>8} {'files/s':>8}")
    for name, seconds in rows:
        print(f"{name:<36} {seconds:>8.2f} {n / seconds:>8.0f}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
