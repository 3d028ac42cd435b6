"""Reading one long CSV recording: the whole-text reader (as before csv_stream) vs the
reader in pieces, on the same files, with the same result. Prints a table and one JSON
line of figures.

    python tests/bench/bench_csv_import.py [--rows 1000000] [--channels 12] [--keep DIR]
        [--before DIR]

Writes two recordings of ``--rows`` rows x ``--channels`` channels at 500 Hz to a temporary
folder (deleted at the end): one with a time column in seconds, one with ISO date-times
(``2024-03-01T00:00:00.002``). Each file is read by ``decode_series_file`` (what an import's
decoder runs: the table, its timeline and items) in a fresh Python process per reader, so
that one reader's freed memory cannot hide the other's peak. Peak memory is the process'
peak resident set (``VmHWM``, reset after the imports through ``/proc/self/clear_refs``;
``ru_maxrss`` where that is not Linux) less its resident set before the file is read:
the memory the reading took, all allocations included (text, lists, numpy); divided by
the file's size it gives "x file". Also checks that both readers give the same
arrays and fields, and counts the within-file progress reports of the reader in pieces.
The whole-text reader shares what follows the reading (timeline, items) with the reader in
pieces; ``--before DIR`` (a folder holding an older ``ssl_studio`` package, e.g. from
``git archive <commit> ssl_studio | tar -x -C DIR``) adds a row for that code as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RATE = 500

_CHILD = r"""
import hashlib, json, resource, sys, time
from pathlib import Path
import contextlib
from ssl_studio.core.data import series_table
from ssl_studio.core.data.timeseries import decode_series_file
try:
    from ssl_studio.core.data import file_progress
except ImportError:  # (older code: no progress within a file)
    file_progress = None

def status_mb(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key)) / 1024

def rss_mb():
    try:  # the peak so far forgotten (Linux): what importing modules took does not count
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return status_mb("VmRSS")

def peak_mb():
    try:
        return status_mb("VmHWM")
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

path, way = Path(sys.argv[1]), sys.argv[2]
if way == "whole":
    series_table.read_lean = lambda *a, **k: None  # the reader as it was: text read whole
reports = []
before = rss_mb()
start = time.perf_counter()
hook = lambda done, total: reports.append(done)
with file_progress.reporting_to(hook) if file_progress else contextlib.nullcontext():
    result = decode_series_file(path)
seconds = time.perf_counter() - start
peak = peak_mb()
item = result.items[0]
digest = hashlib.sha256(item.array.tobytes()).hexdigest()[:16]
fields = {k: v for k, v in item.fields.items() if k != "meta"}
print(json.dumps({"seconds": seconds, "peak_mb": peak - before, "base_mb": before,
                  "digest": digest, "shape": list(item.array.shape), "fields": repr(fields),
                  "meta": repr(item.fields["meta"]), "reports": len(reports),
                  "problems": [p.message for p in result.problems]}))
"""


def write_recording(path: Path, rows: int, channels: int, iso: bool) -> None:
    """An ECG-like recording, written 200 000 rows at a time."""
    rng = np.random.default_rng(0)
    start = np.datetime64("2024-03-01T00:00:00.000")
    with path.open("w") as f:
        names = ",".join(f"lead{i + 1}" for i in range(channels))
        f.write(f"{'timestamp' if iso else 'time'},{names}\n")
        for at in range(0, rows, 200_000):
            n = min(rows, at + 200_000) - at
            t = (at + np.arange(n)) / RATE
            beat = np.sin(2 * np.pi * 1.2 * t)[:, None] * rng.uniform(0.2, 1, channels)
            x = beat + 0.05 * rng.standard_normal((n, channels))
            cells = np.char.mod("%.4f", x)
            body = cells[:, 0]
            for c in range(1, channels):
                body = np.char.add(np.char.add(body, ","), cells[:, c])
            if iso:
                steps = ((at + np.arange(n)) * (1000 // RATE)).astype("timedelta64[ms]")
                times = np.datetime_as_string(start + steps, unit="ms")
            else:
                times = np.char.mod("%.3f", t)
            f.write("\n".join(np.char.add(np.char.add(times, ","), body).tolist()) + "\n")


def measure(path: Path, way: str, root: Path | None = None) -> dict:
    root = root or Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), way],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--keep", help="write the files here and keep them")
    parser.add_argument("--before", help="a folder holding an older ssl_studio package")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench_csv_"))
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict = {"rows": args.rows, "channels": args.channels}
    print(f"one CSV recording, {args.rows} rows x {args.channels} channels at {RATE} Hz")
    print(f"{'file':<8}{'MB':>7}{'reader':>8}{'seconds':>9}{'peak MB':>9}{'x file':>8}")
    try:
        for kind in ("numeric", "iso"):
            path = folder / f"{kind}.csv"
            write_recording(path, args.rows, args.channels, iso=kind == "iso")
            size = path.stat().st_size / 2**20
            runs = {way: measure(path, way) for way in ("whole", "pieces")}
            if args.before:
                runs["before"] = measure(path, "whole", Path(args.before).resolve())
            same = all(
                run[k] == runs["pieces"][k]
                for run in runs.values()
                for k in ("digest", "shape", "fields", "meta", "problems")
            )
            for way, run in runs.items():
                ratio = run["peak_mb"] / size
                print(
                    f"{kind:<8}{size:>7.0f}{way:>8}{run['seconds']:>9.1f}"
                    f"{run['peak_mb']:>9.0f}{ratio:>8.2f}"
                )
            whole, pieces = runs["whole"], runs["pieces"]
            print(f"{'':<8}same result: {same}; progress reports in pieces: {pieces['reports']}")
            figures[kind] = {
                "file_mb": round(size, 1),
                "whole_s": round(whole["seconds"], 2),
                "pieces_s": round(pieces["seconds"], 2),
                "whole_peak_mb": round(whole["peak_mb"]),
                "pieces_peak_mb": round(pieces["peak_mb"]),
                "whole_x_file": round(whole["peak_mb"] / size, 2),
                "pieces_x_file": round(pieces["peak_mb"] / size, 2),
                "speedup": round(whole["seconds"] / pieces["seconds"], 2),
                "memory_ratio": round(whole["peak_mb"] / max(pieces["peak_mb"], 1), 2),
                "same_result": same,
                **(
                    {
                        "before_s": round(runs["before"]["seconds"], 2),
                        "before_peak_mb": round(runs["before"]["peak_mb"]),
                        "before_x_file": round(runs["before"]["peak_mb"] / size, 2),
                        "memory_ratio_before": round(
                            runs["before"]["peak_mb"] / max(pieces["peak_mb"], 1), 2
                        ),
                        "speedup_before": round(runs["before"]["seconds"] / pieces["seconds"], 2),
                    }
                    if args.before
                    else {}
                ),
                "progress_reports": pieces["reports"],
            }
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            for leftover in folder.glob("*.csv"):
                leftover.unlink()
            folder.rmdir()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
