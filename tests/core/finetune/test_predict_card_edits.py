"""Predict refuses a model card edited as a clinical-safety auditor did (classes swapped,
threshold lowered, an input setting changed, the checksums deleted so that another
model.onnx would pass): model.onnx carries the decision fields and their digest; older
exports, whose model lacks the digest or any metadata, still predict."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from finetune_projects import quick_train, strip_model_metadata
from PIL import Image

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import labels_from_folders

REEXPORT = "export the model again"


@pytest.fixture(scope="module")
def two_exports(image_project, tmp_path_factory):
    """(export with a chosen threshold, export of another run, an image folder)."""
    project, run = image_project
    labels_from_folders(project, "shapes")
    runs = [
        finetune(
            FinetuneConfig(
                project=project,
                run=run,
                labels="folders",
                protocol=protocol,
                n_boot=10,
                baseline=False,
                val_fraction=0.3,
                threshold="youden",
                train=quick_train(steps=2),
            )
        )["run_id"]  # fmt: skip
        for protocol in ("knn", "linear")
    ]
    root = tmp_path_factory.mktemp("card-trust")
    outs = [root / f"model{i}" for i in range(2)]
    for run_id, out in zip(runs, outs, strict=True):
        export(project, run_id, out)
    images = root / "images"
    images.mkdir()
    rng = np.random.default_rng(1)
    for i in range(2):
        gray = rng.integers(0, 255, (32, 32), dtype=np.uint8)
        Image.fromarray(gray).save(images / f"x{i}.png")
    return outs[0], outs[1], images


def _copy(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    return copy


def _card(folder: Path) -> dict:
    return json.loads((folder / "model_card.json").read_text(encoding="utf-8"))


def _save_card(folder: Path, card: dict) -> None:
    (folder / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")


def _refused(folder: Path, images: Path, tmp_path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        predict(folder, [images], tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()
    return str(caught.value)


def test_an_untouched_export_predicts(two_exports, tmp_path):
    out, other, images = two_exports
    for folder in (out, other):
        assert predict(folder, [images], tmp_path / f"{folder.name}.csv")["items"] == 2


def test_swapped_classes_are_refused(two_exports, tmp_path):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    card = _card(folder)
    card["classes"] = card["classes"][::-1]
    card["positive_class"] = card["classes"][1]
    _save_card(folder, card)
    said = _refused(folder, images, tmp_path)
    assert "the classes (card: ['square', 'circle']; model: ['circle', 'square'])" in said
    assert "the positive class" in said and REEXPORT in said


def test_a_lowered_threshold_is_refused(two_exports, tmp_path):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    card = _card(folder)
    chosen = card["threshold"]
    card["threshold"] = 0.001
    _save_card(folder, card)
    said = _refused(folder, images, tmp_path)
    assert f"the threshold (card: 0.001; model: {chosen!r})" in said and REEXPORT in said


def test_a_threshold_marked_default_is_refused(two_exports, tmp_path):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    card = _card(folder)
    assert card["threshold_is_default"] is False
    card["threshold_is_default"] = True  # (predict would take the argmax instead)
    _save_card(folder, card)
    assert "marked as the default" in _refused(folder, images, tmp_path)


def test_an_edited_input_setting_is_refused_by_the_digest(two_exports, tmp_path):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    card = _card(folder)
    card["spec"]["cache_size"] = 64  # (a valid size: the images read otherwise)
    _save_card(folder, card)
    said = _refused(folder, images, tmp_path)
    assert "decision_sha256" in said and REEXPORT in said
    card = _card(out)
    card["spec"]["training_images"]["windows"] = {"tags": 32, "auto": 0}  # (DICOM windows)
    _save_card(folder, card)
    assert "decision_sha256" in _refused(folder, images, tmp_path)
    # what predict's notes compare a file with: widened, a file unlike the training
    # images would pass as "ok" (a review)
    card = _card(out)
    card["spec"]["training_images"]["height"] = [1, 100_000]
    _save_card(folder, card)
    assert "decision_sha256" in _refused(folder, images, tmp_path)
    card = _card(out)
    card["training"]["data_fingerprint"]["modalities"] = {"CT": 40}
    _save_card(folder, card)
    assert "decision_sha256" in _refused(folder, images, tmp_path)
    card = _card(out)
    card["training"]["train_labels"] = 1  # (nothing predict reads: still predicts)
    _save_card(folder, card)
    assert predict(folder, [images], tmp_path / "still.csv")["items"] == 2


def test_deleted_checksums_are_refused_and_another_model_cannot_pass(two_exports, tmp_path):
    out, other, images = two_exports
    folder = _copy(out, tmp_path)
    card = _card(folder)
    del card["sha256"]
    _save_card(folder, card)
    said = _refused(folder, images, tmp_path)
    assert "lists no SHA-256 checksum of model.onnx" in said
    del card["card_format"]  # (a card made to look older: its model still says otherwise)
    _save_card(folder, card)
    assert "lists no SHA-256 checksum" in _refused(folder, images, tmp_path)
    # the auditor's case: another run's model, and the checksums deleted
    shutil.copy(other / "model.onnx", folder / "model.onnx")
    _refused(folder, images, tmp_path)


def test_an_older_model_without_the_digest_still_predicts_and_checks_what_it_can(
    two_exports, tmp_path
):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    strip_model_metadata(folder, lambda key: key != "decision_sha256")
    card = _card(folder)
    card["spec"]["cache_size"] = 64  # (undetectable without the digest)
    _save_card(folder, card)
    assert predict(folder, [images], tmp_path / "old.csv")["items"] == 2
    card["classes"] = card["classes"][::-1]
    _save_card(folder, card)
    assert "the classes (card:" in _refused(folder, images, tmp_path)


def test_an_export_from_before_checksums_still_predicts(two_exports, tmp_path):
    out, _, images = two_exports
    folder = _copy(out, tmp_path)
    strip_model_metadata(folder, lambda key: False)  # no metadata at all
    card = _card(folder)
    del card["sha256"], card["card_format"]
    _save_card(folder, card)
    assert predict(folder, [images], tmp_path / "older.csv")["items"] == 2
