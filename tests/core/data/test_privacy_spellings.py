"""Redaction of identifiers however a path spells them: names in plain ASCII (as PACS
and DICOMDIR exports write them), IDs without their leading zeros, dates written with
separators, and the study's dates and UIDs."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from redaction_checks import both

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.dicom import identifiers_of
from ssl_studio.core.data.privacy import (
    REDACTED,
    hidden_values,
    identifier_values,
    redact,
    redactor,
)
from ssl_studio.core.jobs import import_data


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Weiß^Jörg", "WEISS JOERG"),
        ("Weiß^Jörg", "Weiss_Joerg"),
        ("Weiß^Jörg", "WEISS_JORG"),
        ("Müller^Jürgen", "MUELLER_JUERGEN"),
        ("Müller^Jürgen", "MULLER JURGEN"),
        ("Dupont^Hélène", "DUPONT HELENE"),
        ("Dupont^Hélène", "DUPONT_HÉLÈNE"),
        ("Ørsted^Åse", "ORSTED_AASE"),
        ("Ørsted^Åse", "orsted ase"),
        ("Lætitia^Cœur", "COEUR LAETITIA"),
        ("Mueller^Juergen", "Müller_Jürgen"),  # the other way round
    ],
)
def test_names_written_in_plain_ascii_are_found_whole(name: str, folder: str):
    names = identifier_values([name])
    for form in ("NFC", "NFD"):
        path = unicodedata.normalize(form, f"export/{folder}/IM0001.dcm")
        assert both(path, names) == f"export/{REDACTED}/IM0001.dcm", (folder, form)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("Yılmaz^Can", "YILMAZ"),
        ("Işık^Ayşe", "ISIK_AYSE"),
        ("Wałęsa^Łukasz", "LUKASZ_WALESA"),
        ("Jørgensen^Søren", "SOEREN_JOERGENSEN"),
        ("Jørgensen^Søren", "soren jorgensen"),
        ("Đorđević^Ana", "DJORDJEVIC"),
        ("Đorđević^Ana", "DORDEVIC_ANA"),
        ("Guðrún^Þór", "GUDRUN_THOR"),
        ("Ħabib^Ŀuis", "HABIB LUIS"),
    ],
)
def test_letters_with_no_accent_to_strip_are_written_as_ascii(name: str, folder: str):
    assert both(f"export/{folder}/1.dcm", identifier_values([name])) == f"export/{REDACTED}/1.dcm"


def test_a_folded_match_redacts_the_original_text_and_nothing_around_it():
    names = identifier_values(["Weiß^Jörg"])
    assert redact("a/Weiß-x/Jörg1.dcm", names) == f"a/{REDACTED}-x/{REDACTED}1.dcm"
    assert redact("a/weissbier/joerg.dcm", names) == f"a/weissbier/{REDACTED}.dcm"
    assert redact("a/weissjoerg/1.dcm", names) == f"a/{REDACTED}/1.dcm"  # joined: anywhere
    nfd = unicodedata.normalize("NFD", "JÖRG")
    assert redact(f"x/{nfd}_2.png", names) == f"x/{REDACTED}_2.png"  # no dangling accent


def test_short_parts_stay_guarded_after_folding():
    names = identifier_values(["Ng^Bo", "Ü^Li"])
    assert redact("data/Bonn/ulm/1.dcm", names) == "data/Bonn/ulm/1.dcm"
    assert redact("data/UE_LI/1.dcm", names) == f"data/{REDACTED}/1.dcm"
    # accents of other scripts are not dropped: が (ga) is not か (ka)
    assert redact("かな/1.dcm", identifier_values(["がな^x"])) == "かな/1.dcm"


def test_an_id_is_found_without_its_leading_zeros():
    ids = identifier_values(["0012345"])
    assert redact("scan_12345_ct.dcm", ids) == f"scan_{REDACTED}_ct.dcm"
    assert redact("scan_0012345_ct.dcm", ids) == f"scan_{REDACTED}_ct.dcm"
    assert identifier_values(["0000012"]) == ["0000012"]  # "12" alone is too short


@pytest.mark.parametrize(
    "written",
    [
        *("1970-03-15", "15.03.1970", "15-03-1970", "15.03.70", "15-03-70", "03/15/1970"),
        # as the UK, France and most of the world write it, and year first (folders)
        *("15/03/1970", "1970/03/15", "15/03/70", "03/15/70", "15_03_70"),
    ],
)
def test_a_birth_date_is_found_as_people_write_it_but_not_inside_numbers(written: str):
    dates = identifier_values(["19700315"])
    assert redact(f"p/{written}_knee.png", dates) == f"p/{REDACTED}_knee.png"
    assert redact(f"p/1{written}9.png", dates) == f"p/1{written}9.png"


def _with_header(tmp_path: Path) -> Path:
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "Weiß^Jörg", "0012345", "19700315"
    ds.StudyDate, ds.SeriesDate, ds.AcquisitionDate, ds.ContentDate = (
        "20040119",
        "20040120",
        "2004",  # not a full date: kept out
        "",
    )
    ds.StudyInstanceUID = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    path = tmp_path / "ct.dcm"
    ds.save_as(path)
    return path


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_study_dates_and_uids_are_identifying_values(tmp_path: Path):
    ds = pydicom.dcmread(_with_header(tmp_path))
    values = identifier_values(identifiers_of(ds))
    hide = redactor(values)
    uid_path = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322/img.dcm"
    assert hide(uid_path) == f"{REDACTED}/img.dcm"
    assert hide(f"x/{ds.SeriesInstanceUID}/{ds.SOPInstanceUID}.dcm") == (
        f"x/{REDACTED}/{REDACTED}.dcm"
    )
    assert hide("study_2004-01-19/20.01.2004/a.dcm") == f"study_{REDACTED}/{REDACTED}/a.dcm"
    assert hide("WEISS_JOERG_12345/2004/a.dcm") == f"{REDACTED}_{REDACTED}/2004/a.dcm"
    assert "2004" not in values and "" not in values


def test_a_date_written_with_slashes_is_read_back_with_what_else_a_path_hid():
    raw = "Doe_Jane/03/15/1970/x.png"
    shown = redact(raw, identifier_values(["Doe^Jane", "19700315"]))
    assert shown == f"{REDACTED}/{REDACTED}/x.png"
    assert hidden_values(shown, raw) == ["03/15/1970", "Doe_Jane"]


@pytest.mark.filterwarnings("ignore:Invalid value for VR DA")
def test_an_import_of_a_pacs_export_stores_no_spelling_of_the_patient(
    project: Path, tmp_path: Path
):
    header = _with_header(tmp_path)
    ds = pydicom.dcmread(header)
    folder = tmp_path / "export"
    target = (
        folder / "WEISS JOERG" / "15.03.70_12345" / ds.StudyInstanceUID / "20040119" / "IM1.dcm"
    )
    target.parent.mkdir(parents=True)
    header.rename(target)
    import_data(ImportConfig(project=project, paths=[folder], cache_size=16))
    stored = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file()).lower()
    for trace in ("weiss", "joerg", "15.03.70", "12345", ds.StudyInstanceUID, "20040119"):
        assert trace.encode() not in stored, trace
