"""A short fuzz session of the file readers (DICOM, images, CSV). Not run in CI.

    python tests/bench/fuzz_readers.py [--engine hypothesis|random] [--cases 300] [--seed 0]

Takes real seed files (pydicom's CT, MR, JPEG 2000 and RLE files, a PNG, a TIFF and a
CSV), mutates them (flipped bytes, cut short, a chunk duplicated or zeroed, bytes
inserted) and decodes each mutant exactly as an import would (``decode.decode`` in a worker
process, so a crash in a C decoder is caught rather than killing the session). A reader
passes when every mutant comes back as items or a specific problem: never a crash, never
the catch-all "unexpected" code (a reader that forgot a case), never slower than
--slow seconds. Prints a table per reader and one JSON line of totals.

``--engine hypothesis`` (the default) lets Hypothesis choose the edits and, when one
fails, shrink it to the smallest edit list that still fails, which is printed;
``--engine random`` draws edits from a seeded generator (no shrinking, faster).
"""

from __future__ import annotations

import argparse
import json
import os
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


EDITS = ("flip", "cut", "duplicate", "zero", "insert")
Edit = tuple[str, float, int, int]  # (kind, where as a fraction of the length, size, byte)


def apply_edits(data: bytes, edits: list[Edit]) -> bytes:
    """``data`` with each edit applied in turn."""
    buf = bytearray(data)
    for kind, where, size, byte in edits:
        at = min(int(where * len(buf)), max(len(buf) - 1, 0))
        if kind == "flip":
            for i in range(at, min(len(buf), at + size)):
                buf[i] ^= 1 << (byte % 8)
        elif kind == "cut":
            del buf[at:]
        elif kind == "duplicate":
            buf[at:at] = buf[at : at + size]
        elif kind == "zero":
            buf[at : at + size] = bytes(len(buf[at : at + size]))
        else:
            buf[at:at] = bytes([byte]) * size
    return bytes(buf)


def random_edits(rng: random.Random) -> list[Edit]:
    """One to four edits drawn from ``rng``."""
    return [
        (rng.choice(EDITS), rng.random(), rng.randint(1, 512), rng.randrange(256))
        for _ in range(rng.randint(1, 4))
    ]


class Decoder:
    """Decodes mutants in a worker process; a crash or hang costs only the worker."""

    def __init__(self, folder: Path, slow: float) -> None:
        self.folder, self.slow = folder, slow
        self.pool = ProcessPoolExecutor(max_workers=1)

    def check(self, data: bytes, suffix: str) -> tuple[str, float, str]:
        """(code, seconds, message) of decoding ``data`` as a file ending in ``suffix``."""
        mutant = self.folder / f"mutant{suffix}"
        mutant.write_bytes(data)
        info = mutant.stat()
        try:  # what the import's walk would decide before decoding
            kind = sniff(Found(mutant, self.folder, info.st_size, info.st_mtime_ns))
        except ImportProblem as problem:
            return f"sniff: {problem.code}", 0.0, problem.message
        task = DecodeTask(str(mutant), kind, 32, b"fuzz-salt")
        try:
            return self.pool.submit(_decode_timed, task).result(60)
        except BrokenProcessPool:
            self.pool = ProcessPoolExecutor(max_workers=1)
            return "CRASH", 0.0, ""
        except TimeoutError:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = ProcessPoolExecutor(max_workers=1)
            return "HANG", 60.0, ""

    def failed(self, code: str, seconds: float) -> bool:
        return code in ("CRASH", "HANG", "unexpected") or seconds > self.slow


def fuzz_random(decoder: Decoder, seed: Path, cases: int, rng: random.Random) -> tuple:
    data, codes, worst, failures = seed.read_bytes(), Counter(), 0.0, []
    for case in range(cases):
        edits = random_edits(rng)
        code, seconds, message = decoder.check(apply_edits(data, edits), seed.suffix)
        codes[code] += 1
        worst = max(worst, seconds)
        if decoder.failed(code, seconds):
            failures.append(f"case {case}: {code} ({seconds:.1f} s) {message[:120]} {edits}")
    return codes, worst, failures


def fuzz_hypothesis(decoder: Decoder, seed: Path, cases: int, random_seed: int) -> tuple:
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(decoder.folder / ".hypothesis"))
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    data, codes, worst = seed.read_bytes(), Counter(), [0.0]
    edit = st.tuples(
        st.sampled_from(EDITS),
        st.floats(0, 1, allow_nan=False),
        st.integers(1, 512),
        st.integers(0, 255),
    )

    @hypothesis_seed(random_seed)
    @settings(max_examples=cases, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=False)  # fmt: skip
    @given(st.lists(edit, min_size=1, max_size=4))
    def decodes_cleanly(edits: list[Edit]) -> None:
        code, seconds, message = decoder.check(apply_edits(data, edits), seed.suffix)
        codes[code] += 1
        worst[0] = max(worst[0], seconds)
        assert not decoder.failed(code, seconds), f"{code} ({seconds:.1f} s) {message[:120]}"

    try:
        decodes_cleanly()
        failures = []
    except AssertionError as exc:  # Hypothesis re-raises the shrunk, smallest failure
        failures = [f"smallest failing edits: {str(exc).splitlines()[0]}"]
    return codes, worst[0], failures


def _decode_timed(task: DecodeTask) -> tuple[str, float, str]:
    start = time.perf_counter()
    result = decode(task)
    code = result.problems[0].code if result.problems else f"ok ({len(result.items)} items)"
    message = result.problems[0].message if result.problems else ""
    return code, time.perf_counter() - start, message


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=("hypothesis", "random"), default="hypothesis")
    parser.add_argument("--cases", type=int, default=300, help="mutants per seed file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--slow", type=float, default=10.0, help="seconds per file at most")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        decoder = Decoder(folder / "work", args.slow)
        decoder.folder.mkdir()
        for seed in seeds(folder):
            if args.engine == "hypothesis":
                result = fuzz_hypothesis(decoder, seed, args.cases, args.seed)
            else:
                result = fuzz_random(decoder, seed, args.cases, rng)
            rows.append((seed.name, *result))
        decoder.pool.shutdown()
    for name, codes, worst, failures in rows:
        common = ", ".join(f"{c} {n}" for c, n in codes.most_common(6))
        print(f"{name:28} slowest {worst:5.2f} s  {common}")
        for line in failures[:10]:
            print(f"    FAIL {line}")
    print(json.dumps({"engine": args.engine, "cases": sum(sum(r[1].values()) for r in rows),
                      "failures": sum(len(r[3]) for r in rows), "seeds": len(rows)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
