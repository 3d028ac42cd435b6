"""The command line never shows a patient's name, ID or birth date: not in progress lines,
summaries, problem reports or JSON events, also where a folder is named after the patient
and a file of that patient cannot be read."""

from __future__ import annotations

import re
from pathlib import Path

import pydicom

from ssl_studio.cli import EXIT_OK, main

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
PATIENTS = {  # (name, ID, birth date) -> class folder
    ("Quixley^Marguerite", "PX738291", "19440312"): "normal",
    ("Brannigan^Oswaldo", "QZ550417", "19510923"): "fracture",
}


def identifiers() -> list[str]:
    """Every spelling of the patients' identifiers a message could use."""
    values = []
    for name, patient_id, born in PATIENTS:
        family, given = name.split("^")
        values += [family, given, patient_id, born, f"{born[:4]}-{born[4:6]}-{born[6:]}"]
    return values


def shown(text: str) -> list[str]:
    return [v for v in identifiers() if re.search(re.escape(v), text, re.IGNORECASE)]


def scans(root: Path) -> Path:
    """class/<patient's name>/N.dcm: three images of each patient (real DICOM, their
    patient tags set), and a fourth cut short, which cannot be read."""
    for (name, patient_id, born), label in PATIENTS.items():
        folder = root / label / name.replace("^", "_")
        folder.mkdir(parents=True)
        for n, source in enumerate(("CT_small.dcm", "MR_small.dcm", "CT_small.dcm")):
            ds = pydicom.dcmread(PYDICOM_FILES / source)
            ds.PatientName, ds.PatientID, ds.PatientBirthDate = name, patient_id, born
            ds.SOPInstanceUID = pydicom.uid.generate_uid()
            ds.save_as(folder / f"{n}.dcm")
        whole = (folder / "0.dcm").read_bytes()
        (folder / "3.dcm").write_bytes(whole[: len(whole) * 2 // 3])
    return root


def test_no_command_shows_a_patient_identifier(tmp_path, capsys):
    data = scans(tmp_path / "scans")
    assert shown(" ".join(str(p) for p in data.rglob("*.dcm")))  # they are in the paths
    project = tmp_path / "project"
    commands = [
        ["new", str(project)],
        ["import", str(project), str(data), "--cache-size", "16"],
        ["import", str(project), str(data), "--cache-size", "16", "--jsonl", "--retry-failed"],
        ["info", str(project)],
        ["info", str(project), "--json"],
        ["report", str(project)],
        ["report", str(project), "--json"],
        ["labels", str(project), "--dataset", "scans", "--from-folders"],
        ["labels", str(project), "--dataset", "scans", "--export", str(tmp_path / "l.csv")],
    ]
    capsys.readouterr()
    said = {}
    for command in commands:
        assert main(command) == EXIT_OK, command
        out, err = capsys.readouterr()
        said[" ".join(command[:1] + command[2:])] = out + err
    # the commands did tell of the patients' files: items, the unreadable ones, labels
    imported = said[f"import {data} --cache-size 16"]
    assert "6 imported" in imported and "2 failed" in imported
    assert "2 files left out" in said["report"] and "normal/[redacted]/3.dcm" in said["report"]
    assert "(fracture 3, normal 3)" in said["labels --dataset scans --from-folders"]
    leaks = {command: shown(text) for command, text in said.items() if shown(text)}
    assert leaks == {}
    assert shown((tmp_path / "l.csv").read_text()) == []
