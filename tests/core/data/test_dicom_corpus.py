"""Importing pydicom's whole test corpus and pydicom-data's clinical files.

Every file that pydicom itself can decode must become one item per frame (unless it is
under 8 x 8 pixels: then it is refused as too small); every other file must get a
specific error row; and no patient name, ID or birth date that occurs in
the corpus may appear anywhere in the project folder afterwards.
"""

from __future__ import annotations

import re
import sqlite3
import warnings
from pathlib import Path

import pydicom
import pytest
from dicom_corpora import PYDICOM_FILES, pydicom_data_dir
from pydicom.pixels.utils import get_nr_frames

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.dicom import SEGMENTATIONS
from ssl_studio.core.data.pixels import MIN_SIDE
from ssl_studio.core.data.privacy import keyed_hash
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store

CORPORA = {"test_files": PYDICOM_FILES, "pydicom_data": pydicom_data_dir()}


def frames_pydicom_decodes(path: Path) -> int:
    """How many frames pydicom alone decodes from ``path`` (0 when it cannot; -1 for an
    image smaller than SSL Studio's minimum, which must be refused as too small; -2 for a
    segmentation, which must be skipped as not an image)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True)
            ds.pixel_array  # noqa: B018 - decoding is the point
            if ds.get("SOPClassUID") in SEGMENTATIONS:
                return -2
            if min(ds.Rows, ds.Columns) < MIN_SIDE:
                return -1
            return get_nr_frames(ds, warn=False)
    except Exception:  # noqa: BLE001 - any failure means "not decodable"
        return 0


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    project = create_project(tmp_path_factory.mktemp("corpus") / "project")
    summaries = {
        name: import_data(ImportConfig(project=project, paths=[root], name=name, cache_size=32))
        for name, root in CORPORA.items()
    }
    return project, summaries


def rows(project: Path, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(project / "project.db")
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_every_decodable_frame_is_an_item_and_every_other_file_says_why(imported, corpus):
    project, summaries = imported
    root = CORPORA[corpus]
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    expected = {p.relative_to(root).as_posix(): frames_pydicom_decodes(p) for p in files}
    summary = summaries[corpus]
    assert summary["files_seen"] == len(files)
    assert summary["imported"] + summary["failed"] + summary["skipped"] == len(files)

    # files are matched by their salted path key: shown paths may be redacted
    with Store.open(project) as store:
        salt = store.salt
    key_of = {keyed_hash(salt, "path", str(root / path)): path for path in expected}
    status = {
        key_of[key]: (state, n)
        for key, state, n in rows(
            project,
            "SELECT f.path_key, f.status, f.n_items FROM files f JOIN datasets d "
            "ON d.id = f.dataset_id WHERE d.name = ?",
            summary["dataset"],  # a patient of the corpus is called 'Test': '[redacted]_files'
        )
    }
    errors = {
        key_of[key]: code
        for key, code in rows(
            project,
            "SELECT f.path_key, e.code FROM import_errors e JOIN files f ON f.id = e.file_id "
            "JOIN datasets d ON d.id = e.dataset_id WHERE d.name = ?",
            summary["dataset"],
        )
    }
    for path, n_frames in expected.items():
        if n_frames == -2:
            assert errors[path] == "dicom-not-image", path
        elif n_frames < 0:
            assert errors[path] == "image-too-small", path
        elif n_frames:
            assert status[path] == ("ok", n_frames), f"{path}: {n_frames} frames"
        elif status[path][0] != "ok":
            assert errors.get(path, "unexpected") != "unexpected", f"{path}: no specific reason"


def test_files_without_preamble_are_still_read(imported):
    project, _ = imported
    [(n_items,)] = rows(project, "SELECT n_items FROM files WHERE rel_path = 'OT-PAL-8-face.dcm'")
    assert n_items == 1  # no 'DICM' marker: found by its .dcm name, read with force


def standard_vocabulary() -> str:
    """Text of the DICOM standard that the project writes on purpose (UID names such as
    'JPEG Lossless, ..., First-Order Prediction'): a test placeholder name like 'First'
    cannot be told apart from it."""
    from pydicom._uid_dict import UID_dictionary

    return " ".join(entry[0] for entry in UID_dictionary.values())


def identifying_values() -> set[str]:
    """Patient names (and their parts), IDs and birth dates found in the corpora."""
    values: set[str] = set()
    for root in CORPORA.values():
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
                for keyword in ("PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs"):
                    value = ds.get(keyword)
                    if value:
                        text = str(value)
                        values.add(text)
                        values.update(text.split("^"))
            except Exception:  # noqa: BLE001 - unreadable files carry no identifiers to find
                continue
    vocabulary = standard_vocabulary()
    return {
        v.strip()
        for v in values
        # too short to mean anything, one repeated character ("^^^^"), or standard text
        if len(v.strip()) >= 4 and len(set(v.strip())) > 1 and v.strip() not in vocabulary
    }


def occurrences(data: bytes, value: str) -> bool:
    """``value`` in ``data`` as UTF-8 or UTF-16; values under 6 characters only as a whole
    token, so '0010' is not found inside 'IM000010'."""
    for encoded in (value.encode(), value.encode("utf-16-le")):
        if len(value) >= 6:
            if encoded in data:
                return True
        elif re.search(rb"(?<![A-Za-z0-9])" + re.escape(encoded) + rb"(?![A-Za-z0-9])", data):
            return True
    return False


def test_no_patient_identifier_is_written_anywhere_in_the_project(imported):
    project, _ = imported
    identifiers = identifying_values()
    assert len(identifiers) > 40 and "CompressedSamples^CT1" in identifiers
    files = [p for p in project.rglob("*") if p.is_file()]
    assert any(p.suffix == ".bin" for p in files) and any(p.name == "project.db" for p in files)
    found = [
        (path.name, value)
        for path in files
        for data in [path.read_bytes()]
        for value in identifiers
        if occurrences(data, value)
    ]
    assert found == []


def test_no_identifier_in_anything_the_whole_journey_writes(imported, tmp_path):
    """Pretrain, label, fine-tune, export and predict on the clinical corpus, then scan the
    project (database, cache, run folders, checkpoints, logs), the export (weights, model
    card, golden inputs) and the predictions CSV for every identifier of the sources."""
    from ssl_studio.core.config import PretrainConfig, TrainConfig
    from ssl_studio.core.finetune_config import FinetuneConfig
    from ssl_studio.core.jobs import export, finetune, predict, pretrain
    from ssl_studio.core.labels import set_labels

    project, _ = imported
    tiny = TrainConfig(steps=3, batch_size=16, health_every_steps=3, checkpoint_every_steps=3)
    run = pretrain(
        PretrainConfig(project=project, dataset="pydicom_data", image_size=32, train=tiny)
    )
    with Store.open(project) as store:
        items = store.items(store.dataset("pydicom_data")["id"])
    # two classes by acquisition (CT or not): labels the test derives from the data itself
    labels = {int(i["id"]): "ct" if i["modality"] == "CT" else "other" for i in items}
    set_labels(project, "pydicom_data", labels, name="kind")
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run["run_id"],
            labels="kind",
            protocol="linear",
            n_boot=50,
            train=TrainConfig(steps=3, batch_size=16),
        )
    )
    out = tmp_path / "export"
    export(project, result["run_id"], out)
    predictions = tmp_path / "predictions" / "predictions.csv"
    predictions.parent.mkdir()
    predict(out, [CORPORA["pydicom_data"]], predictions)

    # A placeholder patient name that is an ordinary word ("Test") cannot be told apart
    # from the same word in the card's fixed text ("Test metrics"), as with the standard's
    # vocabulary above: words of the card template are left out of the search.
    from ssl_studio.core.export import card, card_markdown, card_text

    text = "".join(Path(m.__file__).read_text() for m in (card, card_markdown, card_text))
    template = set(re.findall(r"[A-Za-z]+", text))
    identifiers = {v for v in identifying_values() if v not in template}
    assert len(identifiers) > 40
    files = [p for root in (project, out) for p in root.rglob("*") if p.is_file()]
    files.append(predictions)
    kinds = {p.suffix for p in files}
    assert {".db", ".bin", ".pt", ".onnx", ".safetensors", ".csv", ".json"} <= kinds
    found = [
        (str(path.relative_to(path.parents[1])), value)
        for path in files
        for data in [without_weights(path)]
        for value in identifiers
        if occurrences(data, value)
    ]
    assert found == []


def without_weights(path: Path) -> bytes:
    """A file's bytes with the numbers of tensors left out: everything that could hold
    text (pickles, TorchScript code, headers, ONNX graph and metadata) stays. Raw float
    weights, different on every run, would otherwise match a 4-letter ID now and then."""
    import io
    import zipfile

    import onnx

    data = path.read_bytes()
    if path.suffix == ".safetensors":  # 8-byte header length, then the JSON header
        return data[8 : 8 + int.from_bytes(data[:8], "little")]
    if path.suffix == ".onnx":
        model = onnx.load_from_string(data)
        for tensor in model.graph.initializer:
            tensor.ClearField("raw_data")
        return model.SerializeToString()
    if zipfile.is_zipfile(io.BytesIO(data)):  # torch.save, TorchScript, NPZ archives
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = []
            for name in archive.namelist():
                member = archive.read(name)
                if re.search(r"(^|/)data/\d+$", name):  # a tensor's storage
                    continue
                if name.endswith(".npy"):  # keep the header, not the numbers
                    member = member[: member.index(b"\n") + 1]
                parts.append(name.encode() + b"\n" + member)
            return b"\n".join(parts)
    return data
