"""Import speed: cold import, unchanged re-import and cache reads against plain pydicom.

    python tests/bench/bench_import.py [FOLDER ...]

Default folders: pydicom's test files and pydicom-data's clinical files. The baseline
is a plain single-process ``pydicom.dcmread(f).pixel_array`` loop over the files of
those folders that pydicom can decode; the cold import does all the real work on every
file (discovery, headers, decoding, modality LUT, resizing, cache writes, database) and
its rate counts the same decodable files. All files are read once first, so every
measurement starts from a warm OS file cache. Baseline and import runs alternate;
the figures are medians of --repeat (default 5) pairs.

Prints a table and ends with one JSON line: files, baseline_files_per_s,
cold_files_per_s, cold_speedup, reimport_ratio, cache_read_images_per_s.
Targets (2 cores): cold_speedup >= 1.5, reimport_ratio <= 0.05.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pydicom

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store


def default_folders() -> list[Path]:
    folders = [Path(pydicom.__file__).parent / "data" / "test_files"]
    try:
        import data_store

        folders.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    return folders


def all_files(folders: list[Path]) -> list[Path]:
    return sorted(p for f in folders for p in f.rglob("*") if p.is_file())


def decodable(files: list[Path]) -> list[Path]:
    out = []
    for path in files:
        try:
            pydicom.dcmread(path).pixel_array  # noqa: B018
            out.append(path)
        except Exception:  # noqa: BLE001 - not decodable: not in the baseline
            continue
    return out


def baseline_seconds(files: list[Path]) -> float:
    start = time.perf_counter()
    for path in files:
        pydicom.dcmread(path).pixel_array  # noqa: B018
    return time.perf_counter() - start


def import_seconds(project: Path, folders: list[Path], size: int) -> tuple[float, dict]:
    start = time.perf_counter()
    summary = import_data(
        ImportConfig(project=project, paths=folders, name="bench", cache_size=size)
    )
    return time.perf_counter() - start, summary


def cache_read_rate(project: Path, batch: int, seconds: float) -> float:
    with Store.open(project) as store:
        items = store.items(store.dataset("bench")["id"])
    reader = CacheReader(project / "cache" / f"dataset-{items[0]['dataset_id']}")
    rng = np.random.default_rng(0)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        picks = rng.choice(len(items), size=min(batch, len(items)), replace=False)
        reader.images([items[i] for i in picks], channels=1)
        done += len(picks)
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache-size", type=int, default=224)
    args = parser.parse_args()
    folders = args.folders or default_folders()
    warnings.simplefilter("ignore")

    files = all_files(folders)
    for path in files:  # warm the OS file cache for every measurement alike
        path.read_bytes()
    good = decodable(files)

    # baseline and import alternate, so a machine that slows down over the run (shared
    # cores) affects both alike; the figures are medians over the repeats
    bases, colds, reimports, summary = [], [], [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            bases.append(baseline_seconds(good))
            project = create_project(Path(tmp) / f"p{run}")
            cold, summary = import_seconds(project, folders, args.cache_size)
            colds.append(cold)
            reimports.append(import_seconds(project, folders, args.cache_size)[0])
        read_rate = cache_read_rate(project, batch=64, seconds=3.0)
    base, cold, reimport = (statistics.median(x) for x in (bases, colds, reimports))
    speedup = statistics.median(b / c for b, c in zip(bases, colds, strict=True))
    reimport_ratio = statistics.median(r / c for r, c in zip(reimports, colds, strict=True))

    figures = {
        "files": len(good),
        "files_seen": len(files),
        "items": summary["items"],
        "baseline_files_per_s": round(len(good) / base, 1),
        "cold_files_per_s": round(len(good) / cold, 1),
        "cold_speedup": round(speedup, 3),
        "reimport_ratio": round(reimport_ratio, 4),
        "cache_read_images_per_s": round(read_rate, 1),
        "cores": os.cpu_count(),
    }
    rows = [
        ("pydicom loop (baseline)", base, len(good) / base, 1.0),
        ("cold import", cold, len(good) / cold, base / cold),
        ("unchanged re-import", reimport, len(files) / reimport, base / reimport),
    ]
    print(
        f"{len(files)} files in {', '.join(str(f) for f in folders)}; "
        f"{len(good)} decodable by pydicom; {summary['items']} items; "
        f"cache {args.cache_size} px; {os.cpu_count()} cores; median of {args.repeat}"
    )
    print(f"{'measurement':<26}{'seconds':>10}{'files/s':>12}{'vs baseline':>13}")
    for name, seconds, rate, ratio in rows:
        print(f"{name:<26}{seconds:>10.3f}{rate:>12.1f}{ratio:>12.2f}x")
    print(f"{'cache reads (batches of 64)':<26}{'':>10}{read_rate:>12.1f}  images/s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
