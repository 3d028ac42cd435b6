"""DICOM without preamble or meta header, named as PACS archives name files (by their SOP
instance UID, whose "extension" is a number) or ``.IMG``: read by content, as the same
bytes named ``.dcm`` or without extension already were (audit: they were skipped as
"not data"); other binary files whose first bytes only resemble a DICOM tag still are.
A DICOM waveform (ECG) is skipped saying how to import its signals as a series."""

from __future__ import annotations

import pydicom
import pytest
from pydicom.filebase import DicomBytesIO

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.discovery import Found, sniff
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store

NAMES = ("1.2.826.0.1.3680043.8.498.4711", "NOPRE.IMG", "scan.raw")


def found(path) -> Found:
    info = path.stat()
    return Found(path, path.parent, info.st_size, info.st_mtime_ns)


def test_preamble_less_dicom_named_by_uid_or_img_is_imported(tmp_path, dicom_file):
    folder = tmp_path / "archive"
    folder.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    del ds.file_meta
    raw = DicomBytesIO()  # no preamble, no DICM, no meta header: implicit VR from byte 0
    raw.is_little_endian, raw.is_implicit_VR = True, True
    pydicom.filewriter.write_dataset(raw, ds)
    for name in NAMES:
        (folder / name).write_bytes(raw.getvalue())
    assert {name: sniff(found(folder / name)) for name in NAMES} == dict.fromkeys(
        NAMES, "dicom-raw"
    )
    project = create_project(tmp_path / "project")
    summary = import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    assert summary["imported"] == len(NAMES) and summary["skipped"] == 0
    with Store.open(project) as store:
        items = store.items(store.dataset("scans")["id"])
    assert sorted(i["rel_path"] for i in items) == sorted(NAMES)


@pytest.mark.parametrize(
    "head",
    [
        b"\x08\x00\x10\x00" + bytes(range(200, 250)) * 4,  # a tag-like start, then no VR/length
        b"\x02\x00\x00\x00\xff\xff\xff\x7f" + bytes(200),  # an absurd implicit length
        bytes(256),  # an Analyze .img of zeros
    ],
)
def test_other_binary_files_with_another_name_are_still_not_data(tmp_path, head):
    path = tmp_path / "volume.img"
    path.write_bytes(head)
    with pytest.raises(ImportProblem) as caught:
        sniff(found(path))
    assert caught.value.code == "not-data"


def test_a_dicom_ecg_says_how_to_import_its_signals(dicom_file):
    from ssl_studio.core.data.dicom import decode_dicom

    with pytest.raises(ImportProblem) as caught:
        decode_dicom(dicom_file("waveform_ecg.dcm"), size=32, salt=b"s" * 32)
    problem = caught.value
    assert problem.code == "dicom-no-pixels" and problem.severity == "skipped"
    assert "a DICOM waveform, which SSL Studio does not read" in problem.message
    assert "save them as a series file (CSV or NPY, one column per channel" in problem.message
