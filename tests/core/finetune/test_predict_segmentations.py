"""Predict answers no segmentation object (DICOM SEG mask): it is skipped as the import
skips it, one row with the reason, and the image beside it is answered (audit finding 2)."""

from __future__ import annotations

import csv
from pathlib import Path

import data_store
from export_checks import PYDICOM_FILES

from ssl_studio.core.jobs import predict

LIVER = Path(data_store.__file__).parent / "data" / "liver.dcm"  # a real dcmqi SEG


def test_predict_refuses_a_segmentation_per_file(image_export, tmp_path):
    out = image_export[2]
    files = [PYDICOM_FILES / "CT_small.dcm", LIVER]
    result = predict(out, files, tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    seg = [r for r in rows if r["path"].endswith("liver.dcm")]
    assert len(seg) == 1 and seg[0]["predicted"] == ""  # one row, not one per mask frame
    assert seg[0]["status"] == "skipped" and not seg[0]["error"]
    assert "a segmentation (mask), not an image" in seg[0]["note"]
    assert result["items"] == 1 and result["errors"] == 0 and result["skipped"] == 1
