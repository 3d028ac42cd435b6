"""Import time per file as the number of patients grows (one patient per file, as in an
archive of chest X-rays): every patient's names must be redacted from the stored paths,
which once made the import quadratic in the number of patients.

    python tests/bench/bench_import_patients.py [--sizes 250,1000,2000]

Writes copies of pydicom's CT_small.dcm, each with its own patient name and ID, imports
each folder into a new project (cache 32 px) and prints seconds per file. Baseline: the
smallest folder in the same process. Ends with one JSON line {"files": {N: {"seconds",
"ms_per_file"}}, "per_file_growth"}: ms per file of the largest folder over the smallest.
Target: growth near 1 (linear); it was 2.3 from 500 to 2 000 files (91 s for 2 000).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pydicom
from pydicom.uid import generate_uid

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import create_project, import_data


def write_patients(folder: Path, n: int) -> Path:
    """``n`` one-patient DICOM files (new UIDs, PatientID and PatientName each)."""
    folder.mkdir(parents=True)
    ds = pydicom.dcmread(Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm")
    for i in range(n):
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
        ds.PatientID, ds.PatientName = f"MRN{i:07d}", f"Surname{i}^Given{i}"
        ds.save_as(folder / f"Surname{i}_Given{i}.dcm")  # names in the paths, too
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="250,1000,2000", help="comma-separated file counts")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            folder = write_patients(Path(tmp) / f"archive{n}", n)
            project = create_project(Path(tmp) / f"project{n}")
            start = time.perf_counter()
            summary = import_data(ImportConfig(project=project, paths=[folder], cache_size=32))
            seconds = time.perf_counter() - start
            assert summary["imported"] == n, summary
            results[n] = {"seconds": round(seconds, 2), "ms_per_file": 1000 * seconds / n}
    print(f"{'files':>6} {'seconds':>8} {'ms per file':>12}")
    for n, r in results.items():
        print(f"{n:>6} {r['seconds']:>8.2f} {r['ms_per_file']:>12.2f}")
    growth = results[sizes[-1]]["ms_per_file"] / results[sizes[0]]["ms_per_file"]
    for r in results.values():
        r["ms_per_file"] = round(r["ms_per_file"], 2)
    print(json.dumps({"files": results, "per_file_growth": round(growth, 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
