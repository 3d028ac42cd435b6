"""The import job keeps patients' names and identifiers out of the project: in folder,
file and dataset names, DICOM sequences, series columns and messages."""

from __future__ import annotations

import shutil

import numpy as np
import pydicom
import pytest
from import_folders import run
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.data.privacy import patient_key
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def test_patient_names_in_folder_names_are_redacted(project, tmp_path, dicom_file):
    # CT_small.dcm belongs to patient "CompressedSamples^CT1"
    folder = tmp_path / "CompressedSamples_CT1" / "study"
    folder.mkdir(parents=True)
    shutil.copy(dicom_file("CT_small.dcm"), folder / "CompressedSamples.dcm")
    shutil.copy(dicom_file("MR_small.dcm"), folder / "other.dcm")
    run(project, tmp_path / "CompressedSamples_CT1", name="p", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        items = sorted(store.items(1), key=lambda i: i["rel_path"])
        salt = store.salt
    assert [i["rel_path"] for i in items] == ["study/[redacted].dcm", "study/other.dcm"]
    assert items[0]["patient_key"] == patient_key(salt, "1CT1")  # PatientID of CT_small
    # an import that decodes nothing (all unchanged) knows no names: it keeps the redaction
    assert run(project, tmp_path / "CompressedSamples_CT1", name="p")["unchanged"] == 2
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw


def test_identifiers_inside_sequences_and_of_physicians_are_redacted(project, tmp_path, dicom_file):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    folder = tmp_path / "scans"
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    other, referenced = Dataset(), Dataset()
    other.PatientID = "ZQXOTHERID"
    referenced.PatientName = "Zqxref^Patient"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.ReferencedPatientSequence = Sequence([referenced])
    ds.PhysiciansOfRecord = "Zqxphys^Doctor"
    for name in ("ZQXOTHERID", "Zqxref_Patient", "Doctor Zqxphys"):
        (folder / name).mkdir(parents=True)
        ds.save_as(folder / name / f"{name}.dcm")
    run(project, folder, name="scans", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert not any(v in raw.lower() for v in (b"zqxotherid", b"zqxref", b"zqxphys"))
    with Store.open(project) as store:
        assert len(store.items(1)) == 3


def test_reading_only_the_identifiers_finds_those_inside_sequences_too(tmp_path, dicom_file):
    """A file an unfinished import recorded is read again for its identifiers only, to
    name its path and its neighbours': it must give every identifier a full decode gives."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    other = Dataset()
    other.PatientID = "ZQXOTHERID"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.save_as(tmp_path / "scan.dcm")
    full = decode(DecodeTask(str(tmp_path / "scan.dcm"), "dicom", 16, b"salt"))
    only = decode(
        DecodeTask(str(tmp_path / "scan.dcm"), "dicom", 16, b"salt", identifiers_only=True)
    )
    assert "ZQXOTHERID" in full.identifiers and not only.items
    assert sorted(only.identifiers) == sorted(full.identifiers)


def test_the_decoding_worker_hands_on_the_salted_patient_key_not_the_id(dicom_file):
    salt = b"project salt 123"
    out = decode(DecodeTask(str(dicom_file("CT_small.dcm")), "dicom", 16, salt))
    (item,) = out.items
    assert "patient_id" not in item.fields  # the slow key is made in parallel, in the worker
    assert item.fields["patient_key"] == patient_key(salt, "1CT1")


def test_a_dataset_named_after_a_patient_folder_is_stored_redacted(project, tmp_path, dicom_file):
    # CT_small.dcm belongs to patient "CompressedSamples^CT1"
    folder = tmp_path / "CompressedSamples_CT1_knee"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")
    shutil.copy(dicom_file("MR_small.dcm"), folder / "b.dcm")
    events: list = []
    cfg = ImportConfig(project=project, paths=[folder], cache_size=16)
    summary = import_data(cfg, report=events.append)  # named after the folder
    assert summary["dataset"] == "[redacted]_knee"
    assert any("stored as '[redacted]_knee'" in getattr(e, "text", "") for e in events)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    # the same folder again, or a file of it, goes into that dataset (found by its folder)
    assert run(project, folder)["unchanged"] == 2
    assert run(project, folder / "a.dcm", add=True)["dataset"] == "[redacted]_knee"
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["[redacted]_knee"]


def test_files_without_names_of_their_own_are_redacted_with_their_patients_names(
    project, tmp_path, dicom_file
):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")  # "CompressedSamples^CT1"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "CompressedSamples_photo.png")
    (folder / "CompressedSamples_note.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    summary = run(project, folder, cache_size=16)
    assert (summary["imported"], summary["failed"]) == (2, 1)
    assert summary["errors"][0]["path"] == "[redacted]_note.png"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        paths = sorted(i["rel_path"] for i in store.items(1))
    assert paths == ["[redacted]_photo.png", "ct.dcm"]


def test_a_name_given_with_a_patient_identifier_is_stored_redacted(project, tmp_path, dicom_file):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")
    run(project, tmp_path / "scans", name="x", cache_size=16)  # '[redacted]' is taken next
    with Store.open(project, write=True) as store:
        store.rename_dataset(1, "[redacted] chest")
    summary = run(project, folder, name="CompressedSamples chest", cache_size=16)
    assert summary["dataset"] == "[redacted] chest 2"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw  # nor in the import's stored options


def test_an_import_killed_before_naming_its_dataset_leaves_no_folder_name(
    project, tmp_path, dicom_file, monkeypatch
):
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")

    def killed(self, dataset, created, complete=True):
        raise KeyboardInterrupt  # as if the process died before the dataset got its name

    with monkeypatch.context() as patch:
        patch.setattr(Importer, "_redact_names", killed)
        with pytest.raises(KeyboardInterrupt):
            run(project, folder, name="CompressedSamples_CT1", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["(importing)"]
    # importing again finishes that dataset instead of starting another, and names it
    summary = run(project, folder, name="CompressedSamples_CT1")
    assert summary["unchanged"] == 1 and summary["dataset"] == "[redacted]"
    assert run(project, folder, retry_failed=True)["dataset"] == "[redacted]"
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["[redacted]"]


def test_a_series_named_after_its_patient_file_is_stored_redacted(project, tmp_path):
    folder = tmp_path / "ecgs"
    folder.mkdir()
    rows = "".join(f"{t},Roe Rick,{60 + t % 7}\n" for t in range(40))
    (folder / "ecg_Rick.csv").write_text("time,subject,hr\n" + rows)  # one series per file
    run(project, folder, name="ecgs")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Rick" not in raw  # not in the path, nor in the series' name
    with Store.open(project) as store:
        [item] = store.items(1)
    assert item["rel_path"] == "ecg_[redacted].csv" and "[redacted]" in item["meta"]


def test_series_id_columns_become_patient_keys_never_text(project, tmp_path):
    folder = tmp_path / "Doe_Jane_followup"
    folder.mkdir()
    text = "subject,v0,v1,v2,label\nDoe Jane,1,2,3,a\nDoe Jane,4,5,6,b\nRoe Rick,7,8,9,a\n"
    text += ",1,1,2,b\n"  # no subject: a patient of its own
    (folder / "visits.csv").write_text(text)
    run(project, folder, name="visits")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Jane" not in raw and b"Rick" not in raw
    with Store.open(project) as store:
        keys = [i["patient_key"] for i in store.items(1)]
        [root] = store.conn.execute("SELECT path FROM roots").fetchall()
        patients = store.patients_per_class(1, "imported")
    assert keys[0] == keys[1] != keys[2] and all(keys[:3]) and not keys[3]
    assert patients == {"a": 2, "b": 2}  # a: Jane, Rick; b: Jane and the unnamed one
    assert root[0].endswith("[redacted]_followup")  # "Doe_Jane" as one joined name


def test_a_problem_with_a_cell_never_quotes_the_cell(project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    rows = "".join(f"{t},{60 + t % 7},{t}\n" for t in range(20))
    (folder / "a.csv").write_text("time,hr,extra\n" + rows + "20,61,Quixote Zebulon\n")
    summary = run(project, folder, name="mixed")
    [error] = summary["errors"]
    assert "mixes numbers and text (first text on line 22" in error["message"]
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Quixote" not in raw and "Quixote" not in str(summary)


def test_a_file_that_fails_is_still_stored_redacted(project, tmp_path, dicom_file):
    import pydicom

    # CT_small.dcm belongs to patient "CompressedSamples^CT1"; this copy lost its pixels
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    del ds.PixelData
    ds.save_as(folder / "CompressedSamples_scan.dcm")
    summary = run(project, folder, name="lost")
    assert summary["failed"] == 1 and summary["errors"][0]["code"] == "dicom-truncated"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw and "CompressedSamples" not in str(summary)


@pytest.mark.parametrize(
    "header",
    ["patient", "Participant", "MRN", "case", "Patient Name", "PatientName", "patient_name"]
    + ["Surname", "Medical Record Number", "Date of birth", "Nachname"],
)
def test_patient_columns_are_grouping_keys_never_labels(project, tmp_path, header):
    folder = tmp_path / "visits"
    folder.mkdir()
    values = ",".join(str(v) for v in range(12))  # rows of 12 steps: one series per row
    rows = "".join(f"Quixote Zebulon,{values}\n" for _ in range(3)) + f"Xanthe Wil,{values}\n"
    header_row = ",".join([header, *(f"v{t}" for t in range(12))])
    (folder / "v.csv").write_text(header_row + "\n" + rows)
    run(project, folder, name="visits")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Quixote" not in raw and b"Xanthe" not in raw  # not a class label either
    with Store.open(project) as store:
        keys = [i["patient_key"] for i in store.items(1)]
    assert keys[0] == keys[1] == keys[2] != keys[3]


def test_messages_keep_their_own_words_when_a_name_part_is_an_ordinary_word(
    project, tmp_path, dicom_file
):
    """A station "Not connected" and a patient "Test^Phantom" made every message of the
    import lose "not" and "test" ("[redacted] a DICOM file"). Whole values still go from
    every message, and a name part from the paths the messages quote (Pillow quotes the
    absolute path, here through a folder named after the patient)."""
    folder = tmp_path / "Phantom_scans"
    folder.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.StationName, ds.PatientName = "Not connected", "Test^Phantom"
    ds.save_as(folder / "ct.dcm")
    (folder / "readme.txt").write_text("an image, a test pattern")  # skipped: not data
    (folder / "blank.dcm").write_bytes(bytes(200))
    (folder / "Phantom_photo.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    summary = run(project, folder, cache_size=16)
    with Store.open(project) as store:
        stored = {e["path"]: e["message"] for e in store.import_errors(1)}
    shown = {e["path"]: e["message"] for e in summary["errors"]}
    assert stored.keys() == {"readme.txt", "blank.dcm", "[redacted]_photo.png"}
    assert shown.keys() == {"blank.dcm", "[redacted]_photo.png"}
    for messages in (stored, shown):
        assert messages["blank.dcm"].startswith("Not a DICOM file:")
        assert "[redacted]_photo.png" in messages["[redacted]_photo.png"]
        assert "Phantom" not in messages["[redacted]_photo.png"]
    assert stored["readme.txt"].startswith("Not a DICOM file, an image")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Phantom" not in raw and b"Not connected" not in raw
