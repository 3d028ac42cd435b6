"""Predict tells what it could not read, as the import does: the frames of a multi-frame
DICOM file after a damaged one are error rows of their own (not dropped), and a DICOM
object that is not an image (a structured report) is skipped, not an error."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from made_dicom import dicom_dataset
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.uid import RLELossless

from ssl_studio.cli import main
from ssl_studio.core.jobs import predict

NAME = "Oddkase^Kasimir"  # a patient name that must never reach the table


def _dataset(sop: str, modality: str) -> Dataset:
    return dicom_dataset(sop, modality, "OID4471XX", NAME)


def _damaged_frames(path: Path) -> Path:
    """A 10-frame RLE NM file whose 7th frame cannot be decoded (frames 1-6 can)."""
    xx = np.mgrid[:32, :32][1]
    frames = np.stack([((xx + 10 * f) * 20).astype(np.uint16) for f in range(10)])
    ds = _dataset("1.2.840.10008.5.1.4.1.1.20", "NM")
    ds.NumberOfFrames, (ds.Rows, ds.Columns) = 10, frames.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit, ds.PixelRepresentation = 15, 0
    ds.PixelData = frames.tobytes()
    encoded = [RLELosslessEncoder.encode(ds, index=i) for i in range(10)]
    encoded[6] = b"\x10\x00\x00\x00" + b"\xff" * 60  # a segment table that lies
    ds.PixelData = encapsulate(encoded, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.save_as(path, enforce_file_format=True)
    return path


def _report(path: Path) -> Path:
    """A Basic Text SR object: DICOM, but no image (the import skips it)."""
    ds = _dataset("1.2.840.10008.5.1.4.1.1.88.11", "SR")
    ds.save_as(path, enforce_file_format=True)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig")))


def test_frames_after_a_damaged_one_are_error_rows(image_export, tmp_path):
    _, _, out, _ = image_export
    folder = tmp_path / NAME.replace("^", "_")
    folder.mkdir()
    dicom = _damaged_frames(folder / "nm.dcm")
    result = predict(out, [dicom], tmp_path / "p.csv")
    rows = _rows(tmp_path / "p.csv")
    assert [int(r["index"]) for r in rows] == list(range(10))  # every frame has its row
    answered, lost = rows[:6], rows[6:]
    assert all(r["status"] in ("ok", "note") and r["predicted"] for r in answered)
    assert all(r["status"] == "error" and not r["predicted"] for r in lost)
    assert lost[0]["error"].startswith("Frame 7 of 10 was not read. Frame 7 and later: ")
    assert lost[-1]["error"].startswith("Frame 10 of 10 was not read.")
    assert result["items"] == 6 and result["errors"] == 1  # the file is among the errors
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "Oddkase" not in text and "OID4471XX" not in text


def test_a_dicom_object_that_is_no_image_is_skipped(image_export, tmp_path, capsys):
    _, _, out, _ = image_export
    report = _report(tmp_path / "report.dcm")
    png = tmp_path / "like.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32), np.uint8)).save(png)
    result = predict(out, [report, png], tmp_path / "p.csv")
    assert result["errors"] == 0 and result["skipped"] == 1 and result["items"] == 1
    rows = {Path(r["path"]).name: r for r in _rows(tmp_path / "p.csv")}
    skipped = rows["report.dcm"]
    assert skipped["status"] == "skipped" and not skipped["error"] and not skipped["predicted"]
    assert "not an image" in skipped["note"]  # the import's reason, word for word
    assert result["notes"] == (rows["like.png"]["status"] == "note")  # not a note
    code = main(["predict", str(out), str(report), str(png), "--out", str(tmp_path / "q.csv")])
    said = capsys.readouterr().out
    assert code == 0
    assert "0 files with errors, 1 file skipped (not data)" in said


def test_only_files_that_are_no_images_give_no_answers(image_export, tmp_path, capsys):
    _, _, out, _ = image_export
    report = _report(tmp_path / "report.dcm")
    code = main(["predict", str(out), str(report), "--out", str(tmp_path / "q.csv")])
    captured = capsys.readouterr()
    assert code == 1  # a script must not take the table for answers
    assert "1 file skipped" in captured.out
    assert "no file could be predicted" in captured.err
