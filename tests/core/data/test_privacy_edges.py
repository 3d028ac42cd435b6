"""Where redaction must stop: values read back from stored paths, titles inside words,
short IDs beside zeros, and DICOM facts that hold a name part."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from redaction_checks import both, paths_after_a_second_import

from ssl_studio.core.data.privacy import (
    REDACTED,
    contains_identifier,
    hidden_values,
    identifier_values,
    redact,
    redactor,
)

R = REDACTED


def test_a_value_read_back_as_a_whole_word_is_not_found_inside_words():
    glued: set[str] = set()
    assert hidden_values(f"study/{R}/ct.dcm", "study/Ali/ct.dcm", glued) == ["Ali"]
    assert glued == set()
    assert hidden_values(f"a/scan{R}.png", "a/scanJohnDoe.png", glued) == ["JohnDoe"]
    assert glued == {"JohnDoe"}
    hide = redactor(["Ali", "JohnDoe"], anywhere=glued)
    assert hide("malignant/a.png") == "malignant/a.png"
    assert hide("Ali/b.png") == f"{R}/b.png"
    assert hide("a/scanJohnDoe_v2.png") == f"a/scan{R}_v2.png"


def test_a_reimport_keeps_a_class_folder_a_patient_folder_name_is_inside(
    project: Path, tmp_path: Path, dicom_file
):
    """The patient folder "Ali/" was hidden as a whole word: learned back, "Ali" must
    not be found inside "malignant" when a new file is named."""
    patient = tmp_path / "study" / "Ali"
    patient.mkdir(parents=True)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.PatientName = "Ali^Ben"
    ds.save_as(patient / "ct.dcm")
    classes = tmp_path / "study" / "malignant"
    classes.mkdir()
    paths = paths_after_a_second_import(project, tmp_path / "study", classes)
    assert paths == [f"{R}/ct.dcm", "malignant/a.png", "malignant/later.png"]


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("Smith^Ella", "knee/patella/x.png"),
        ("Smith^Ella", "PATELLA/x.png"),
        ("Doe^Ose", "ptose/x.png"),
        ("Doe^Ile", "profile/x.png"),
        ("Doe^Ame", "drame/x.png"),
        ("Doe^Ame", "DRAME/x.png"),
    ],
)
def test_a_title_inside_a_word_is_no_title(name: str, path: str):
    assert both(path, identifier_values([name])) == path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("MrDoe/1.dcm", f"Mr{R}/1.dcm"),
        ("PatientDoe/1.dcm", f"Patient{R}/1.dcm"),
        ("DrAme/1.dcm", f"Dr{R}/1.dcm"),
        ("Mr_Ame/1.dcm", f"Mr_{R}/1.dcm"),
        ("dr_ame/1.dcm", f"dr_{R}/1.dcm"),
    ],
)
def test_a_title_glued_at_a_case_change_or_set_off_still_counts(path: str, expected: str):
    assert both(path, identifier_values(["Doe^Ame"])) == expected


@pytest.mark.parametrize(
    ("ids", "path", "expected"),
    [
        (["123"], "p/IM0123.dcm", "p/IM0123.dcm"),
        (["001"], "p/IM0001.dcm", "p/IM0001.dcm"),
        (["001"], "p/001/IM0001.dcm", f"p/{R}/IM0001.dcm"),
        (["0012345"], "p/IM00012345.dcm", f"p/IM{R}.dcm"),
    ],
)
def test_only_a_long_id_is_found_behind_more_leading_zeros(
    ids: list[str], path: str, expected: str
):
    assert both(path, identifier_values(ids)) == expected


def test_a_long_run_of_zeros_is_redacted_whole_or_kept():
    zeros = "0" * 5000
    assert both(f"a/{zeros}.dcm", identifier_values(["00000"])) == f"a/{R}.dcm"
    assert redact(f"a/{zeros}.dcm", identifier_values(["000"])) == f"a/{zeros}.dcm"
    assert redact(f"a/{zeros}12345_1.dcm", identifier_values(["12345"])) == f"a/{R}_1.dcm"


@pytest.mark.parametrize("fact", ["DoeHead CT", "CTDOE", "doej brain", "Head 19700315x"])
def test_a_dicom_fact_holding_an_identifier_anywhere_is_dropped(fact: str):
    names = identifier_values(["Doe^John", "19700315"])
    assert contains_identifier(fact, names)
    assert not contains_identifier("Head CT", names)
