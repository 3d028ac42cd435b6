"""The card records how the training images were acquired (body part, view, photometric
interpretation, bit depth, pixel spacing; a PNG's pixel type), counts only, naming no
value outside the DICOM standard's terms; predict notes a real file acquired otherwise
(a CT of the head for a chest model, MONOCHROME1, a float TIFF for an 8-bit PNG model)
and keeps its answer; a file like the training ones gets no note."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pydicom
import pytest
from finetune_projects import quick_train, written_card
from PIL import Image
from pydicom.data import get_testdata_file

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.export.training_acquisition import acquisition_notes
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, predict, pretrain
from ssl_studio.core.labels import labels_from_folders

MAY_NOT_MEAN = "The answer may not be meaningful"


def _ct(path: Path, seed: int, **tags) -> Path:
    """A copy of pydicom's CT_small.dcm with its own patient, instance, noise and a bright
    square in one corner for class b, and ``tags`` set."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    rng = np.random.default_rng(seed)
    pixels = ds.pixel_array.astype(np.int32) + rng.integers(-30, 30, ds.pixel_array.shape)
    if path.parent.name == "b":
        pixels[10:40, 10:40] += 400
    ds.PixelData = pixels.clip(-1000, 3000).astype(ds.pixel_array.dtype).tobytes()
    ds.PatientID = f"P{seed:04d}"
    ds.SOPInstanceUID = f"{ds.SOPInstanceUID}.{seed}"
    ds.BodyPartExamined = "CHEST"
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path)
    return path


@pytest.fixture(scope="module")
def ct_export(tmp_path_factory):
    """(export folder, card): a kNN on 20 chest CT slices in a/ and b/, one of which
    says its body part is 'SMITH JOHN' (a name typed into the wrong field)."""
    root = tmp_path_factory.mktemp("acquisition")
    for i in range(20):
        extra = {"BodyPartExamined": "SMITH JOHN"} if i == 0 else {}
        _ct(root / "chest" / "ab"[i % 2] / f"s{i}.dcm", i, **extra)
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "chest"], cache_size=32, workers=1))
    run = pretrain(
        PretrainConfig(project=project, dataset="chest", image_size=32, train=quick_train())
    )["run_id"]
    labels_from_folders(project, "chest")
    config = FinetuneConfig(project=project, run=run, labels="folders", protocol="knn",
                            n_boot=10, baseline=False, train=quick_train())  # fmt: skip
    out = root / "model"
    return out, export(project, finetune(config)["run_id"], out)


def _notes(out: Path, folder: Path, csv_path: Path) -> dict[str, dict[str, str]]:
    predict(out, [folder], csv_path)
    return {Path(r["path"]).name: r for r in csv.DictReader(csv_path.open(encoding="utf-8-sig"))}


def test_the_card_counts_the_acquisition_and_names_no_free_text(ct_export):
    out, card = ct_export
    found = card["spec"]["training_images"]["acquisition"]
    train = sum(found["body_part"].values())
    assert found["dicom_items"] == train and found["image_file_items"] == 0
    assert set(found["body_part"]) <= {"CHEST", "other"}
    assert found["photometric"] == {"MONOCHROME2": train}
    assert found["bits_stored"] == {"16": train}
    assert found["pixel_spacing_mm"] == [pytest.approx(0.661468)] * 2
    assert "view_position" in found and found["view_position"] == {"unstated": train}
    saved, text = written_card(out)
    assert "SMITH" not in (out / "model_card.json").read_text() and "SMITH" not in text
    assert "- Photometric interpretation: MONOCHROME2" in text
    assert "- Pixel spacing: 0.661 mm" in text
    assert "or acquired unlike them (see how the training images were acquired)" in text


def test_a_file_acquired_otherwise_gets_a_note_and_keeps_its_answer(ct_export, tmp_path):
    out, _ = ct_export
    folder = tmp_path / "new"
    _ct(folder / "like.dcm", 100)
    _ct(folder / "head.dcm", 101, BodyPartExamined="HEAD")
    _ct(folder / "mono1.dcm", 102, PhotometricInterpretation="MONOCHROME1")
    _ct(folder / "coarse.dcm", 103, PixelSpacing=[2.0, 2.0])
    _ct(folder / "lateral.dcm", 104, ViewPosition="LL")  # (training images had none)
    rows = _notes(out, folder, tmp_path / "p.csv")
    assert all(r["error"] == "" and r["predicted"] in ("a", "b") for r in rows.values())
    assert rows["like.dcm"]["note"] == "" and rows["like.dcm"]["status"] == "ok"
    assert rows["lateral.dcm"]["note"] == ""  # (the training images did not say)
    head = rows["head.dcm"]["note"]
    assert "This file's body part (BodyPartExamined) is HEAD; in training: CHEST (" in head
    assert head.endswith("use this model on files like its training data.")
    assert (
        "photometric interpretation is MONOCHROME1; in training: MONOCHROME2"
        in (rows["mono1.dcm"]["note"])
    )
    assert (
        "This file's pixels are 2 x 2 mm; the training images' were 0.661 mm"
        in (rows["coarse.dcm"]["note"])
    )
    for name in ("head.dcm", "mono1.dcm", "coarse.dcm"):
        assert rows[name]["status"] == "note" and MAY_NOT_MEAN in rows[name]["note"]


def test_a_real_mr_file_is_noted_only_for_what_differs(ct_export, tmp_path):
    out, _ = ct_export
    folder = tmp_path / "mr"
    folder.mkdir()
    (folder / "MR_small.dcm").write_bytes(Path(get_testdata_file("MR_small.dcm")).read_bytes())
    note = _notes(out, folder, tmp_path / "p.csv")["MR_small.dcm"]["note"]
    assert note.startswith("This file is an MR DICOM image; the model was trained on CT")
    # 0.3125 mm: more than 2 times finer than 0.661; no body part, 16 bits, MONOCHROME2
    assert "This file's pixels are 0.312 x 0.312 mm; the training images' were 0.661" in note
    assert "body part" not in note and "bit depth" not in note and "photometric" not in note
    spec = written_card(out)[0]["spec"]
    meta = {"photometric": "MONOCHROME2", "bits_stored": 12, "pixel_spacing": [0.4, 0.4]}
    notes = acquisition_notes({"meta": {**meta, "body_part": "SMITH JOHN"}}, "dicom", spec)
    assert (
        len(notes) == 1 and "bit depth (BitsStored) is 12; in training: 16 (" in (notes[0])
    )  # (a value the card may not name: the training's unnamed one may have been it)


@pytest.fixture(scope="module")
def png_export(image_project, tmp_path_factory):
    project, run = image_project
    labels_from_folders(project, "shapes")
    config = FinetuneConfig(project=project, run=run, labels="folders", protocol="knn",
                            n_boot=10, baseline=False, train=quick_train())  # fmt: skip
    out = tmp_path_factory.mktemp("acquisition-png") / "model"
    export(project, finetune(config)["run_id"], out)
    return out


def test_a_float_tiff_or_16_bit_png_for_an_8_bit_png_model_gets_a_note(png_export, tmp_path):
    import tifffile

    folder = tmp_path / "new"
    folder.mkdir()
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (32, 32))
    Image.fromarray(gray.astype(np.uint8)).save(folder / "like.png")
    Image.fromarray((gray * 200).astype(np.uint16)).save(folder / "deep.png")
    tifffile.imwrite(folder / "float.tif", (gray / 255).astype(np.float32))
    rows = _notes(png_export, folder, tmp_path / "p.csv")
    assert rows["like.png"]["note"] == ""
    assert "This file's pixel type is float32; in training: uint8 (" in (rows["float.tif"]["note"])
    assert "pixel type is uint16; in training: uint8 (" in rows["deep.png"]["note"]
    _, text = written_card(png_export)
    assert "- Pixel type: uint8 (32)" in text
