"""A short mutation-fuzz session of the file readers (DICOM, images, CSV). Not run in CI.

    python tests/bench/fuzz_readers.py [--cases 300] [--seed 0]

Takes real seed files (pydicom's CT, MR, JPEG 2000 and RLE files, a PNG, a TIFF and a
CSV), mutates them at random (flipped bytes, cut short, a chunk duplicated or zeroed, bytes
inserted) and decodes each mutant exactly as an import would (``decode.decode`` in a worker
process, so a crash in a C decoder is caught rather than killing the session). A reader
passes when every mutant comes back as items or a specific problem: never a crash, never
the catch-all "unexpected" code (a reader that forgot a case), never slower than
--slow seconds. Prints a table per reader and one JSON line of totals.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.discovery import Found, sniff
from ssl_studio.core.data.records import ImportProblem

CORPUS = Path(pydicom.__file__).parent / "data" / "test_files"
DICOM_SEEDS = ("CT_small.dcm", "MR_small.dcm", "MR_small_jp2klossless.dcm", "MR_small_RLE.dcm")


def seeds(folder: Path) -> list[Path]:
    out = [shutil.copy(CORPUS / name, folder / name) for name in DICOM_SEEDS]
    picture = (np.arange(32 * 32) % 251).reshape(32, 32).astype(np.uint8)
    Image.fromarray(picture).save(folder / "seed.png")
    Image.fromarray(picture).save(folder / "seed.tif")
    t = np.linspace(0, 6, 64)
    np.savetxt(folder / "seed.csv", np.c_[t, np.sin(t), np.cos(t)], delimiter=",",
               header="time,a,b", comments="")  # fmt: skip
    return [Path(p) for p in out] + [folder / "seed.png", folder / "seed.tif", folder / "seed.csv"]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits of ``data``."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(("flip", "cut", "duplicate", "zero", "insert"))
        at = rng.randrange(max(1, len(buf)))
        if kind == "flip":
            for i in rng.sample(range(len(buf)), min(len(buf), rng.randint(1, 16))):
                buf[i] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            del buf[at:]
        elif kind == "duplicate":
            buf[at:at] = buf[at : at + rng.randint(1, 512)]
        elif kind == "zero":
            n = rng.randint(1, 256)
            buf[at : at + n] = bytes(len(buf[at : at + n]))
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(buf)


def _decode_timed(task: DecodeTask) -> tuple[str, float, str]:
    start = time.perf_counter()
    result = decode(task)
    code = result.problems[0].code if result.problems else f"ok ({len(result.items)} items)"
    message = result.problems[0].message if result.problems else ""
    return code, time.perf_counter() - start, message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=300, help="mutants per seed file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=10.0, help="seconds per file at most")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    totals = Counter()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in seeds(folder):
            data = seed.read_bytes()
            codes: Counter = Counter()
            worst = 0.0
            failures = []
            pool = ProcessPoolExecutor(max_workers=2)
            for case in range(args.cases):
                mutant = folder / f"mutant-{case}{seed.suffix}"
                mutant.write_bytes(mutate(data, rng))
                info = mutant.stat()
                try:  # what the import's walk would decide before decoding
                    kind = sniff(Found(mutant, folder, info.st_size, info.st_mtime_ns))
                except ImportProblem as problem:
                    codes[f"sniff: {problem.code}"] += 1
                    continue
                task = DecodeTask(str(mutant), kind, 32, b"fuzz-salt")
                try:
                    code, seconds, message = pool.submit(_decode_timed, task).result(60)
                except BrokenProcessPool:
                    code, seconds, message = "CRASH", 0.0, ""
                    pool = ProcessPoolExecutor(max_workers=2)
                except TimeoutError:
                    code, seconds, message = "HANG", 60.0, ""
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = ProcessPoolExecutor(max_workers=2)
                codes[code] += 1
                worst = max(worst, seconds)
                if code in ("CRASH", "HANG", "unexpected") or seconds > args.slow:
                    failures.append(f"case {case}: {code} ({seconds:.1f} s) {message[:120]}")
            pool.shutdown()
            rows.append((seed.name, codes, worst, failures))
            totals["cases"] += args.cases
            totals["failures"] += len(failures)
    for name, codes, worst, failures in rows:
        common = ", ".join(f"{c} {n}" for c, n in codes.most_common(6))
        print(f"{name:28} slowest {worst:5.2f} s  {common}")
        for line in failures[:10]:
            print(f"    FAIL {line}")
    print(json.dumps({"cases": totals["cases"], "failures": totals["failures"],
                      "seeds": len(rows)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
