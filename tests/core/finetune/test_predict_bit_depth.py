"""Predict notes a differing bit depth (BitsStored) only where it changes what a value
means: a DX, CR or MG in stored units. A CT (or any file whose modality LUT maps its values
to real units) is windowed in Hounsfield units whatever its bit depth, so a 16-bit CT for a
model of 12-bit CTs gets no bit-depth note (audit finding 10: it was in 328 of 402 answers
of a corpus run)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from made_dicom import dicom_dataset
from pydicom.uid import CTImageStorage, DigitalXRayImageStorageForPresentation, MRImageStorage
from test_predict_acquisition import _ct, ct_export  # noqa: F401 - a fixture, used below

from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.export.training_acquisition import acquisition, in_real_units
from ssl_studio.core.export.training_match import image_note
from ssl_studio.core.jobs import predict

BIT_DEPTH = "bit depth (BitsStored)"


def _file(path: Path, sop: str, modality: str, bits: int, **tags: Any) -> Path:
    """A 32 x 32 MONOCHROME2 image of ``bits`` stored bits (in 16 allocated), with
    ``tags`` (the rescale, when given) set."""
    ds = dicom_dataset(sop, modality)
    ds.Rows = ds.Columns = 32
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, bits, bits - 1, 0
    ds.BodyPartExamined, ds.PixelSpacing = "CHEST", [0.5, 0.5]
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    pixels = np.random.default_rng(bits).integers(0, 2**bits, (32, 32))
    ds.PixelData = pixels.astype(np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


def _fields(path: Path) -> dict[str, Any]:
    """The decoded fields of the file's one frame, as import and predict see them."""
    return decode_dicom(path, size=32, salt=b"salt").items[0].fields


def _spec(paths: list[Path]) -> dict[str, Any]:
    """The card's spec for a model trained on ``paths``: their acquisition and modalities."""
    fields = [_fields(p) for p in paths]
    items = [{"source_kind": "dicom", "meta": f["meta"]} for f in fields]
    modalities = {f["modality"]: len(fields) for f in fields}
    return {
        "training_images": {"acquisition": acquisition(items)},
        "training_modalities": modalities,
    }


CT_HU = {"RescaleSlope": 1, "RescaleIntercept": -1024, "RescaleType": "HU"}
DX_STORED = {"RescaleSlope": 1, "RescaleIntercept": 0, "RescaleType": "US"}  # (DX: required)


def test_a_16_bit_ct_for_a_model_of_12_bit_cts_gets_no_bit_depth_note(tmp_path):
    trained = [_file(tmp_path / f"t{i}.dcm", CTImageStorage, "CT", 12, **CT_HU) for i in range(3)]
    spec = _spec(trained)
    assert spec["training_images"]["acquisition"]["bits_stored"] == {"12": 3}
    deep = _fields(_file(tmp_path / "deep.dcm", CTImageStorage, "CT", 16, **CT_HU))
    assert in_real_units(deep) and image_note(deep, "dicom", spec) == ""
    # a CT without rescale tags in its top level (an enhanced CT keeps them in functional
    # groups): HU by definition all the same
    bare = _fields(_file(tmp_path / "bare.dcm", CTImageStorage, "CT", 16))
    assert in_real_units(bare) and image_note(bare, "dicom", spec) == ""


def test_an_unscaled_dx_of_another_bit_depth_still_gets_the_note(tmp_path):
    dx = DigitalXRayImageStorageForPresentation
    trained = [_file(tmp_path / f"t{i}.dcm", dx, "DX", 12, **DX_STORED) for i in range(3)]
    spec = _spec(trained)
    deep = _fields(_file(tmp_path / "deep.dcm", dx, "DX", 14, **DX_STORED))
    assert not in_real_units(deep)  # (an identity rescale of type US: stored units)
    note = image_note(deep, "dicom", spec)
    assert f"This file's {BIT_DEPTH} is 14; in training: 12 (3)." in note
    assert "The answer may not be meaningful" in note
    # a DX with a rescale that is not the identity is in real units: no bit-depth note
    scaled = _fields(_file(tmp_path / "scaled.dcm", dx, "DX", 14, RescaleSlope=0.5,
                           RescaleIntercept=0, RescaleType="US"))  # fmt: skip
    assert in_real_units(scaled) and BIT_DEPTH not in image_note(scaled, "dicom", spec)
    # an MR (no rescale) of another bit depth than the training MRs keeps its note too
    mr = _spec([_file(tmp_path / f"m{i}.dcm", MRImageStorage, "MR", 12) for i in range(2)])
    other = _fields(_file(tmp_path / "mr.dcm", MRImageStorage, "MR", 16))
    assert f"{BIT_DEPTH} is 16; in training: 12 (2)." in image_note(other, "dicom", mr)


def test_predict_answers_a_12_bit_ct_for_a_16_bit_ct_model_without_the_note(
    ct_export,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    out, card = ct_export
    assert set(card["spec"]["training_images"]["acquisition"]["bits_stored"]) == {"16"}
    folder = tmp_path / "new"
    # (CT_small's values are 128-2600 after noise: positive, in 12 unsigned bits)
    _ct(folder / "shallow.dcm", 200, BitsStored=12, HighBit=11, PixelRepresentation=0)
    predict(out, [folder], tmp_path / "p.csv")
    row = next(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    assert row["error"] == "" and row["predicted"] in ("a", "b")
    assert BIT_DEPTH not in row["note"] and row["status"] == "ok", row["note"]
