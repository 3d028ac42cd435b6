"""Predict compares each image with what the card records about the training images and
notes a file of another modality, colour or scale (keeping its answer); predict given a
project folder, and export given a used folder, say what to do before anything starts."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from finetune_projects import quick_train, strip_model_metadata
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Failed, Message, Started
from ssl_studio.core.export.training_match import image_note
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import labels_from_folders

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
MAY_NOT_MEAN = "The answer may not be meaningful"


@pytest.fixture(scope="module")
def shapes_export(image_project):
    """(project, fine-tuning run id, export folder inside the project's exports/): a
    1-channel model trained on 32 x 32 grayscale PNG shapes."""
    project, run = image_project
    labels_from_folders(project, "shapes")
    config = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="knn", train=quick_train()
    )
    run_id = finetune(config)["run_id"]
    out = project / "exports" / "shapes-model"
    export(project, run_id, out)
    return project, run_id, out


def _rows(path: Path) -> dict[str, dict[str, str]]:
    return {Path(r["path"]).name: r for r in csv.DictReader(path.open(encoding="utf-8-sig"))}


def _new_cases(folder: Path) -> Path:
    """Real DICOM files of other modalities (CT, MR, colour US) and PNG/JPEG images like
    and unlike the training shapes, in a folder named after a patient."""
    folder.mkdir(parents=True)
    for name in ("CT_small.dcm", "MR_small.dcm", "examples_rgb_color.dcm"):
        shutil.copy(PYDICOM_FILES / name, folder / name)
    rng = np.random.default_rng(0)
    gray = rng.integers(0, 255, (32, 32), dtype=np.uint8)
    Image.fromarray(gray).save(folder / "like.png")
    Image.fromarray(gray).save(folder / "like.jpg")  # another image format: image files too
    colour = rng.integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(colour).save(folder / "colour.png")
    Image.fromarray(rng.integers(0, 255, (40, 200), dtype=np.uint8)).save(folder / "wide.png")
    Image.fromarray(rng.integers(0, 255, (120, 120), dtype=np.uint8)).save(folder / "big.png")
    return folder


def test_the_card_records_the_training_images_colour_and_sizes(shapes_export):
    _, _, out = shapes_export
    card = json.loads((out / "model_card.json").read_text())
    assert card["spec"]["training_images"] == {
        "channels": [1],
        "height": [32, 32],
        "width": [32, 32],
        "windows": {"tags": 0, "auto": 32},  # PNG files: each by its own range
        "acquisition": {"dicom_items": 0, "image_file_items": 32, "dtype": {"uint8": 32}},
    }
    assert card["training"]["data_fingerprint"]["modalities"] == {"PNG": 32}
    assert (
        "grayscale images of 32 x 32 pixels (width x height); predict notes a file"
        in (out / "MODEL_CARD.md").read_text()
    )


def test_images_unlike_the_training_images_keep_their_answer_with_a_note(shapes_export, tmp_path):
    _, _, out = shapes_export
    folder = _new_cases(tmp_path / "newcases" / "Lestrade_G")
    result = predict(out, [folder], tmp_path / "p.csv")
    rows = _rows(tmp_path / "p.csv")
    assert result["items"] == len(rows) == 8 and result["errors"] == 0
    assert result["notes"] == 5  # CT, MR, colour US, colour PNG, wide PNG
    for row in rows.values():  # a note, never an error: the answer is kept
        assert row["error"] == "" and row["predicted"] in ("circle", "square")
    notes = {name: row["note"] for name, row in rows.items()}
    assert notes["like.png"] == notes["like.jpg"] == notes["big.png"] == ""  # 120 < 4 x 32
    assert notes["CT_small.dcm"] == (
        "This file is a CT DICOM image; the model was trained on PNG images. "
        f"{MAY_NOT_MEAN}: use this model on files like its training data."
    )
    assert notes["MR_small.dcm"].startswith("This file is an MR DICOM image; the model was")
    # its window tags (600/1600) set aside: no training image (PNG) was windowed by tags
    assert "PNG images. Its WindowCenter and WindowWidth tags were set aside" in notes[
        "MR_small.dcm"
    ] and notes["MR_small.dcm"].endswith(
        f"{MAY_NOT_MEAN}: use this model on files like its training data."
    )
    us = notes["examples_rgb_color.dcm"]
    assert us.startswith("This file is a US DICOM image; the model was trained on PNG images.")
    assert "This file is in colour (its colours were averaged to grey" in us
    assert "the model was trained on grayscale images" in us and us.count(MAY_NOT_MEAN) == 1
    assert notes["colour.png"].startswith("This file is in colour")
    assert "PNG" not in notes["colour.png"]  # a PNG: the kind the model knows
    assert notes["wide.png"].startswith(
        "This image is 200 x 40 pixels; the training images were 32 x 32 (width x height)"
    )
    assert "This image is 320 x 240 pixels; the training images were 32 x 32" in us
    assert not [n for n in notes.values() if "Lestrade" in n]  # notes hold no folder names


def test_an_older_card_without_training_sizes_still_notes_modality_and_colour(
    shapes_export, tmp_path
):
    _, _, out = shapes_export
    older = tmp_path / "older-export"
    shutil.copytree(out, older)
    card = json.loads((older / "model_card.json").read_text())
    del card["spec"]["training_images"]  # as exports made before it was recorded
    (older / "model_card.json").write_text(json.dumps(card))
    strip_model_metadata(older, lambda key: key != "decision_sha256")  # (nor was that)
    folder = _new_cases(tmp_path / "cases")
    predict(older, [folder], tmp_path / "p.csv")
    notes = {name: row["note"] for name, row in _rows(tmp_path / "p.csv").items()}
    assert notes["wide.png"] == ""  # sizes unknown: not checked
    assert notes["CT_small.dcm"].startswith("This file is a CT DICOM image")
    assert notes["colour.png"].startswith("This file is in colour")  # a 1-channel model


def test_the_command_line_counts_the_predictions_with_a_note(shapes_export, tmp_path, capsys):
    _, _, out = shapes_export
    files = [str(PYDICOM_FILES / "CT_small.dcm"), str(PYDICOM_FILES / "MR_small.dcm")]
    assert main(["predict", str(out), *files, "--out", str(tmp_path / "p.csv")]) == 0
    printed = capsys.readouterr().out
    assert "2 predictions, 0 files with errors" in printed
    assert "2 of the predictions have a note (the note column): read it with the answer" in (
        printed
    )


def test_an_image_far_smaller_than_the_training_images_is_noted():
    training = {"channels": [1], "height": [512, 1024], "width": [400, 1024]}
    spec = {"in_channels": 1, "training_images": training, "training_modalities": {"DX": 9}}
    fields = {"modality": "CR", "channels": 1, "height": 120, "width": 600}  # CR is DX
    assert image_note(fields, "dicom", spec).startswith(
        "This image is 600 x 120 pixels; the training images were 400-1024 x 512-1024 "
        "(width x height), so its details are at a very different scale for the model. "
        "The answer may not be meaningful"
    )
    assert image_note({**fields, "height": 128}, "dicom", spec) == ""  # 4 x 128 = 512


def test_a_note_never_names_a_patient(shapes_export, tmp_path):
    _, _, out = shapes_export
    folder = tmp_path / "Holmes_Sherlock"
    folder.mkdir()
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    ds.PatientName = "Holmes^Sherlock"
    ds.Modality = "HOLMES"  # a name typed into the wrong field: a valid code string
    ds.save_as(folder / "scan.dcm")
    predict(out, [folder], tmp_path / "p.csv")
    [row] = _rows(tmp_path / "p.csv").values()
    assert row["note"].startswith("This file is a DICOM image of another modality; the model")
    assert "holmes" not in (tmp_path / "p.csv").read_text().lower()


def test_predict_on_a_project_folder_points_to_its_exports(shapes_export, tmp_path, capsys):
    project, _, out = shapes_export
    with pytest.raises(ConfigError) as info:
        predict(project, [PYDICOM_FILES / "CT_small.dcm"], tmp_path / "p.csv")
    message = str(info.value)
    assert message.startswith(f"{project} is an SSL Studio project, not an export")
    assert f"Give one of its exports instead ({out})" in message
    assert f"ssl-studio export {project} --run RUN_ID --out DIR" in message
    assert not (tmp_path / "p.csv").exists()
    argv = [
        "predict",
        str(project),
        str(PYDICOM_FILES / "CT_small.dcm"),
        "--out",
        str(tmp_path / "p.csv"),
    ]
    assert main(argv) == 1
    assert "is an SSL Studio project, not an export" in capsys.readouterr().err


def test_an_export_to_a_used_folder_is_refused_before_it_is_announced(shapes_export, capsys):
    project, run_id, out = shapes_export
    said: list[object] = []
    with pytest.raises(ConfigError, match="already exists and is not empty; choose a new"):
        export(project, run_id, out, report=said.append)
    assert not [e for e in said if isinstance(e, Message)]  # nothing claimed to start
    said.clear()
    with pytest.raises(ConfigError, match="Unknown export format"):
        export(project, run_id, out.parent / "new", ("pickle",), report=said.append)
    # only the job's frame: started, then failed with the reason (jobs.py's contract)
    assert [type(e) for e in said] == [Started, Failed] and "pickle" in said[1].error
    assert not (out.parent / "new").exists()
    (out.parent / "afile").write_text("x")  # (it stopped at the end: "File exists")
    with pytest.raises(ConfigError, match=r"afile is a file, not a folder, so .* cannot be"):
        export(project, run_id, out.parent / "afile" / "x", report=said.append)
    capsys.readouterr()
    assert main(["export", str(project), "--run", str(run_id), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "already exists and is not empty" in printed.err
    assert "Exporting" not in printed.out + printed.err


def test_an_image_model_refuses_predicting_in_windows(shapes_export, tmp_path, capsys):
    _, _, out = shapes_export
    folder = _new_cases(tmp_path / "cases")
    with pytest.raises(ConfigError, match="this model reads images, which have no time"):
        predict(out, [folder], tmp_path / "p.csv", windows="10s")
    argv = ["predict", str(out), str(folder), "--out", str(tmp_path / "q.csv"), "--windows"]
    assert main(argv) == 1
    assert "which have no time to cut" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "q.csv").exists()


def test_checksums_of_a_damaged_card_are_not_a_crash(tmp_path):
    """A card whose sha256 is not a table (damaged, or crafted) checks nothing, rather than
    ending predict in an unexpected AttributeError; a listed file that differs is named."""
    from ssl_studio.core.export.self_description import changed_files, sha256_of

    (tmp_path / "model.onnx").write_bytes(b"weights")
    names = ("model.onnx", "model.onnx.data")
    for damaged in ([1], "x", {"files": ["model.onnx"]}, None):
        assert changed_files(tmp_path, {"sha256": damaged}, names) == []
    right = {"sha256": {"files": {"model.onnx": sha256_of(tmp_path / "model.onnx")}}}
    assert changed_files(tmp_path, right, names) == []
    (tmp_path / "model.onnx").write_bytes(b"weights, changed")
    assert changed_files(tmp_path, right, names) == ["model.onnx"]
