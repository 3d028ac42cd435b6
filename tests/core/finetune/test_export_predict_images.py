"""Predict with an exported image model and nothing but its folder: real DICOM, files
read as training read the cache, patients' names hidden in paths, window tags."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pydicom
import pytest
import torch
from export_checks import PYDICOM_FILES

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
from ssl_studio.core.jobs import predict
from ssl_studio.core.project.store import Store


def test_predict_on_real_dicom_gives_one_row_per_file(image_export, tmp_path):
    _, _, out, card = image_export
    files = [PYDICOM_FILES / name for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")]
    result = predict(out, files, tmp_path / "predictions.csv")
    rows = list(csv.DictReader((tmp_path / "predictions.csv").open(encoding="utf-8-sig")))
    out_csv = str(tmp_path / "predictions.csv")
    said = {"out": out_csv, "cancelled": False, "disclaimer": NOT_FOR_DIAGNOSIS}
    # the RT plan is no image: skipped, as the import skips it, not an error
    assert result == {"items": 2, "errors": 0, "skipped": 1, "notes": 2, **said}
    names = [r["path"].rsplit("/", 1)[-1] for r in rows]  # in path order, errors too
    assert names == ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"]
    files.reverse()  # given in another order, or found in a folder: the same table
    predict(out, files, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == (tmp_path / "predictions.csv").read_text()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="No files found under .*empty: nothing to predict"):
        predict(out, [tmp_path / "empty"], tmp_path / "none.csv")
    assert not (tmp_path / "none.csv").exists()
    for row in rows:
        if row["status"] == "skipped":
            assert "without pixel data" in row["note"] and row["predicted"] == row["error"] == ""
            continue
        p = float(row["p_circle"]) + float(row["p_square"])
        assert p == pytest.approx(1, abs=1e-4) and row["predicted"] in card["classes"]


def test_a_stopped_prediction_writes_nothing(image_export, tmp_path):
    from ssl_studio.core.events import Progress, StopToken

    _, _, out, _ = image_export
    stop = StopToken()
    seen = []

    def report(event):
        seen.append(event)
        if isinstance(event, Progress):
            stop.stop()  # after the first batch

    files = [PYDICOM_FILES / "CT_small.dcm"] * 3 + [PYDICOM_FILES / "MR_small.dcm"]
    result = predict(out, files, tmp_path / "p.csv", report=report, stop=stop)
    assert result["cancelled"] and result["out"] is None and seen
    assert not list(tmp_path.iterdir())  # neither the table nor its temporary file


def test_predict_reads_files_as_training_read_the_cache(image_export, tmp_path):
    from ssl_studio.core.finetune.data import predict_proba
    from ssl_studio.core.finetune.setup import labeled_data

    project, result, out, _ = image_export
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
        model, state = load_model(folder / MODEL_FILE)
        data = labeled_data(store, "shapes", "folders", state["spec"], 3000, None)
        root = store.conn.execute("SELECT path FROM roots").fetchone()[0]
    expected = predict_proba(model, data, np.arange(len(data.items)), torch.device("cpu"))
    by_path = {item["rel_path"]: p for item, p in zip(data.items, expected, strict=True)}
    predict(out, [Path(root)], tmp_path / "all.csv")
    rows = list(csv.DictReader((tmp_path / "all.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 40 and not any(r["error"] for r in rows)
    for row in rows:
        want = by_path[Path(row["path"]).relative_to(root).as_posix()]
        got = [float(row["p_circle"]), float(row["p_square"])]
        assert np.abs(np.array(got) - want).max() < 1e-4, row["path"]


def test_predictions_hide_a_patient_s_name_in_the_paths_of_every_file_read(image_export, tmp_path):
    """A PNG has no names of its own: in its patient's folder (named after the patient in
    CT_small.dcm's header, "CompressedSamples^CT1") its path is redacted with the names
    of the other files of the prediction, as the import redacts it."""
    from PIL import Image

    _, _, out, _ = image_export
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    (folder / "ct.dcm").write_bytes((PYDICOM_FILES / "CT_small.dcm").read_bytes())
    scan = np.add.outer(np.arange(32), np.arange(32)).astype(np.uint8) * 4  # (not flat)
    Image.fromarray(scan).save(folder / "scan.png")
    (folder / "CompressedSamples_note.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    predict(out, [folder], tmp_path / "p.csv")
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "CompressedSamples" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert sorted(Path(r["path"]).name for r in rows) == [
        "[redacted]_note.png",
        "ct.dcm",
        "scan.png",
    ]
    assert {Path(r["path"]).parent.name for r in rows} == {"[redacted]"}
    assert sum(bool(r["error"]) for r in rows) == 1


def test_predictions_are_numbered_by_file_where_hidden_names_make_paths_alike(
    image_export, tmp_path
):
    """Two patients' folders holding files of the same name read alike once their names
    are hidden: rows keep the order of the real paths and a file number tells them apart."""
    _, _, out, _ = image_export
    for patient, source in (("Doe^Jane", "CT_small.dcm"), ("Roe^Rick", "MR_small.dcm")):
        ds = pydicom.dcmread(PYDICOM_FILES / source)
        ds.PatientName = patient
        folder = tmp_path / "in" / patient.replace("^", "_")
        folder.mkdir(parents=True)
        ds.save_as(folder / "scan.dcm")
        (tmp_path / patient[:3]).mkdir()
        ds.save_as(tmp_path / patient[:3] / "scan.dcm")  # alone, in a neutral folder
    predict(out, [tmp_path / "in"], tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    assert [Path(r["path"]).parent.name for r in rows] == ["[redacted]", "[redacted]"]
    assert [r["file_number"] for r in rows] == ["1", "2"]  # Doe_Jane/ before Roe_Rick/
    for row, alone in zip(rows, ("Doe", "Roe"), strict=True):
        predict(out, [tmp_path / alone], tmp_path / f"{alone}.csv")
        [own] = list(csv.DictReader((tmp_path / f"{alone}.csv").open(encoding="utf-8-sig")))
        assert own["file_number"] == "1"
        assert (own["p_circle"], own["note"]) == (row["p_circle"], row["note"])
    # (told apart: the MR file's window tags were set aside, the CT file has none)
    assert "tags were set aside" not in rows[0]["note"]
    assert "tags were set aside" in rows[1]["note"]


def test_a_model_trained_without_window_tags_reads_a_file_s_tags_as_absent(image_export, tmp_path):
    """MR_small.dcm's tags (600/1600) window it unlike the PNG training images: it is read
    as it would be without them, as they were, and the card says to do so."""
    _, _, out, card = image_export
    assert card["spec"]["training_images"]["windows"]["tags"] == 0
    assert "ignoring WindowCenter/WindowWidth" in card["preprocessing"]["window"]
    ds = pydicom.dcmread(PYDICOM_FILES / "MR_small.dcm")
    assert ds.WindowCenter is not None
    (tmp_path / "tags").mkdir()
    ds.save_as(tmp_path / "tags" / "mr.dcm")
    del ds.WindowCenter, ds.WindowWidth
    (tmp_path / "none").mkdir()
    ds.save_as(tmp_path / "none" / "mr.dcm")
    found = {}
    for name in ("tags", "none"):
        predict(out, [tmp_path / name], tmp_path / f"{name}.csv")
        [found[name]] = list(csv.DictReader((tmp_path / f"{name}.csv").open(encoding="utf-8-sig")))
    probabilities = [k for k in found["tags"] if k.startswith("p_")]
    assert [found["tags"][k] for k in probabilities] == [found["none"][k] for k in probabilities]
    assert "tags were set aside" in found["tags"]["note"]
    assert "tags were set aside" not in found["none"]["note"]
