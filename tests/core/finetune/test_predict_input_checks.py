"""Predict checks each file's values before the model answers: garbage (a blank or white
page, an image or series mostly missing, a recording without signal or in other units)
gets an error row instead of a sure answer, milder cases a note; every row says its
status and the model that made it, and the command line says what the model is not for.
The training files of a small export get status ok and no note."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
from finetune_projects import quick_train
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.export.preprocess import read_inputs
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import labels_from_folders

IMAGE_SPEC = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 32,
              "training_images": {"channels": [1], "height": [32, 32], "width": [32, 32],
                                  "windows": {"tags": 0, "auto": 40}}}  # fmt: skip
SCALING = {"channels": ["hr", "resp"], "mean": [70.0, 0.0], "std": [5.0, 1.0]}
SERIES_SPEC = {"modality": "timeseries", "in_channels": 2, "channel_names": ["hr", "resp"],
               "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
               "fewest_channels": 2, "channel_standardisation": SCALING}  # fmt: skip


def _one(path: Path, spec: dict):
    [item] = read_inputs([path], spec)
    return item


def _series(path: Path, hr: np.ndarray, resp: np.ndarray) -> Path:
    """A CSV with columns hr, resp (NaN written as an empty cell)."""
    cell = lambda v: "" if np.isnan(v) else f"{v:.6g}"  # noqa: E731
    rows = [f"{cell(a)},{cell(b)}" for a, b in zip(hr, resp, strict=True)]
    path.write_text("hr,resp\n" + "".join(f"{r}\n" for r in rows))
    return path


def _normal(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 70 + rng.normal(0, 3, n), np.sin(np.arange(n) / 3) + rng.normal(0, 0.1, n)


def test_blank_white_and_flat_images_are_errors_not_answers(tmp_path):
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "blank.png")
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(tmp_path / "white.png")
    Image.fromarray(np.full((64, 48), 1234, np.uint16)).save(tmp_path / "flat16.png")
    almost = np.full((32, 32), 90, np.uint8)
    almost[3, 4] = 200  # one bright pixel: the percentile window still sees one value
    Image.fromarray(almost).save(tmp_path / "almost.png")
    for name in ("blank.png", "white.png", "flat16.png", "almost.png"):
        item = _one(tmp_path / name, IMAGE_SPEC)
        assert item.x is None and item.error.startswith("This image has no contrast"), name
        assert "no answer is given" in item.error
    shapes = np.random.default_rng(0).integers(0, 255, (32, 32), dtype=np.uint8)
    Image.fromarray(shapes).save(tmp_path / "noise.png")  # not detected: said in the README
    assert _one(tmp_path / "noise.png", IMAGE_SPEC).error is None


def test_an_image_mostly_nan_is_an_error_and_one_with_some_nan_a_note(tmp_path):
    rng = np.random.default_rng(1)
    picture = rng.uniform(0, 1, (28, 28)).astype(np.float32)
    mostly = picture.copy()
    mostly.reshape(-1)[rng.permutation(784)[:745]] = np.nan  # 95 %
    tifffile.imwrite(tmp_path / "mostly_nan.tif", mostly)
    item = _one(tmp_path / "mostly_nan.tif", IMAGE_SPEC)
    assert item.x is None and item.error.startswith(
        "95 % of this image's pixel values are missing (NaN or infinite)"
    )
    some = picture.copy()
    some[0, :2] = [np.nan, np.inf]
    tifffile.imwrite(tmp_path / "some_nan.tif", some)
    item = _one(tmp_path / "some_nan.tif", IMAGE_SPEC)
    assert item.error is None and item.x is not None
    assert item.note.startswith(
        "2 of this image's pixel values (0 %) are missing (NaN or infinite) and were read "
        "as its lowest value."
    )
    tifffile.imwrite(tmp_path / "whole.tif", picture)
    assert _one(tmp_path / "whole.tif", IMAGE_SPEC).note == ""


def test_a_series_mostly_missing_is_an_error_and_some_missing_a_note(tmp_path):
    hr, resp = _normal(100)
    ended = hr.copy(), resp.copy()
    for column in ended:
        column[3:] = np.nan  # rows 4-100 without a cell: nothing (the file has 3 steps)
    item = _one(_series(tmp_path / "ended.csv", *ended), SERIES_SPEC)
    assert item.error is None and item.x.shape == (2, 3) and item.note == ""
    few = np.full(100, np.nan), np.full(100, np.nan)
    few[0][::12], few[1][::12] = hr[::12], resp[::12]  # 9 steps of 97 hold a value
    item = _one(_series(tmp_path / "few.csv", *few), SERIES_SPEC)
    assert item.x is None and item.error.startswith(
        "Only 9 of this series' steps hold a value: no answer is given for a series with "
        "fewer than 10"
    )
    sparse = np.full(100, np.nan), np.full(100, np.nan)
    sparse[0][9::10], sparse[1][0] = hr[9::10], resp[0]  # 10 + 1 of 200 values: 94.5 % missing
    item = _one(_series(tmp_path / "sparse.csv", *sparse), SERIES_SPEC)
    assert item.x is None and item.error.startswith(
        "94 % of this series' values are missing (empty cells, NaN or infinite): no answer "
        "is given for a series more than 90% missing."
    )
    # the model reads a mask of what was observed: half a recording missing is a note
    holes = hr.copy(), resp.copy()
    holes[0][::2], holes[1][1::2] = np.nan, np.nan  # 50 %
    holes[0][1], holes[1][2] = np.nan, np.nan  # and two more
    item = _one(_series(tmp_path / "holes.csv", *holes), SERIES_SPEC)
    assert (
        item.error is None
        and item.x is not None
        and item.note
        == (
            "51 % of its values are missing (read as missing values, which the model reads masked)."
        )
    )
    trained = {**SERIES_SPEC, "most_missing": 0.6}  # the card's, from the training items
    assert _one(tmp_path / "holes.csv", trained).note == (
        "51 % of its values are missing (read as missing values; training recordings had "
        "up to 60 %)."
    )
    some = hr.copy(), resp.copy()
    some[0][10:30] = np.nan  # 10 % of the values
    some[1][10:14] = np.nan
    item = _one(_series(tmp_path / "some.csv", *some), SERIES_SPEC)
    assert item.error is None and item.note.startswith("12 % of its values are missing")
    tall = hr.copy()
    tall[5] = 1e39  # too large for float32: infinite, read as missing
    item = _one(_series(tmp_path / "inf.csv", tall, resp), SERIES_SPEC)
    assert item.error is None and item.note == (
        "1 of its values is infinite (too large to store, such as 1e39): read as missing values."
    )
    assert _one(_series(tmp_path / "fine.csv", hr, resp), SERIES_SPEC).note == ""


def test_a_series_without_signal_is_an_error_and_a_flat_channel_a_note(tmp_path):
    hr, resp = _normal()
    item = _one(_series(tmp_path / "zeros.csv", hr * 0, resp * 0), SERIES_SPEC)
    assert item.x is None and item.error.startswith(
        "Every channel of this series holds a single value from start to end"
    )
    item = _one(_series(tmp_path / "idle.csv", hr, resp * 0), SERIES_SPEC)
    assert item.error is None and item.note == "'resp' holds a single value from start to end."


def test_a_series_far_from_the_training_scale_is_an_error_or_a_note(tmp_path):
    hr, resp = _normal()
    item = _one(_series(tmp_path / "huge.csv", hr * 1e6, resp), SERIES_SPEC)
    assert item.x is None and item.error.startswith(
        "This series' values are far outside what the model was trained on, more than 100 "
        "training standard deviations away: 'hr' (median 7"
    )
    assert "training: mean 70, std 5" in item.error and "Convert them" in item.error
    item = _one(_series(tmp_path / "e30.csv", hr * 1e30, resp), SERIES_SPEC)
    assert item.x is None and "far outside" in item.error
    item = _one(_series(tmp_path / "x20.csv", hr, resp * 20), SERIES_SPEC)
    assert item.error is None and item.note.startswith(
        "Its values lie more than 10 training standard deviations from what the model was "
        "trained on: 'resp' (median"
    )
    # a recording at a different level within a few training stds: no note
    assert _one(_series(tmp_path / "fast.csv", hr + 12, resp * 3), SERIES_SPEC).note == ""
    # a card without standardisation (older exports, other backbones): not checked
    plain = {**SERIES_SPEC, "channel_standardisation": None}
    assert _one(_series(tmp_path / "huge2.csv", hr * 1e6, resp), plain).error is None


@pytest.fixture(scope="module")
def shapes_model(image_project, tmp_path_factory):
    """(export folder, the shapes it was trained on): a kNN model on 32 px PNG shapes."""
    project, run = image_project
    labels_from_folders(project, "shapes")
    config = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="knn", train=quick_train()
    )
    run_id = finetune(config)["run_id"]
    out = tmp_path_factory.mktemp("checks") / "shapes-model"
    export(project, run_id, out)
    return out, project.parent / "shapes"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.open(encoding="utf-8-sig")))


def test_training_images_are_ok_and_garbage_is_marked_with_the_model(shapes_model, tmp_path):
    out, shapes = shapes_model
    card = json.loads((out / "model_card.json").read_text())
    result = predict(out, [shapes], tmp_path / "train.csv")
    rows = _rows(tmp_path / "train.csv")
    assert len(rows) == 40 and result["errors"] == result["notes"] == 0
    assert {(r["status"], r["note"], r["error"]) for r in rows} == {("ok", "", "")}
    digest = card["sha256"]["files"]["model.onnx"][:16]
    assert {(r["model"], r["model_sha256"]) for r in rows} == {("shapes-model", digest)}
    assert result["disclaimer"] == card["not_for_clinical_diagnosis"] == NOT_FOR_DIAGNOSIS
    header = next(csv.reader((tmp_path / "train.csv").open(encoding="utf-8-sig")))
    assert header == ["path", "file_number", "index", "p_circle", "p_square", "predicted",
                      "status", "model", "model_sha256", "error", "note"]  # fmt: skip
    bad = tmp_path / "bad"
    bad.mkdir()
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(bad / "blank.png")
    some = np.asarray(Image.open(next(shapes.rglob("*.png")))).astype(np.float32)
    some[0, 0] = np.nan
    tifffile.imwrite(bad / "some_nan.tif", some)
    predict(out, [bad], tmp_path / "bad.csv")
    got = {Path(r["path"]).name: r for r in _rows(tmp_path / "bad.csv")}
    assert got["blank.png"]["status"] == "error" and got["blank.png"]["predicted"] == ""
    assert got["some_nan.tif"]["status"] == "note" and got["some_nan.tif"]["predicted"]


def test_the_command_line_says_the_model_is_not_for_diagnosis(shapes_model, tmp_path, capsys):
    out, shapes = shapes_model
    assert main(["predict", str(out), str(shapes), "--out", str(tmp_path / "p.csv")]) == 0
    said = capsys.readouterr()
    assert f"ssl-studio: {NOT_FOR_DIAGNOSIS}" in said.err
    assert "Not for clinical diagnosis" not in said.out
