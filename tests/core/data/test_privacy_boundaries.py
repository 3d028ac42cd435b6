"""Where an identifier may be found: whole names anywhere, a single name part only as a
word (class folders such as "malignant" survive a patient "Ali"), numbers, dates and
UIDs only where no digit touches them; names with apostrophes and hyphens; what a
redaction hid, read back; many IDs of one prefix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid
from redaction_checks import both

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.privacy import (
    REDACTED,
    hidden_values,
    identifier_values,
    message_redactor,
    redact,
    redactor,
)
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store

R = REDACTED
CLASSES = ("normal", "malignant", "mass", "gross_lesion", "emphysema", "grade_III", "weissbier")
# every patient's name is inside a class folder's name as letters of a word
PATIENTS = ("Norma^Jane", "Ali^Kemal", "Ema^Rossi", "Doe^John^^^III", "Weiß^Jörg")


@pytest.mark.parametrize("folder", CLASSES)
def test_class_folders_survive_patients_named_inside_them(folder: str):
    names = identifier_values(PATIENTS)
    assert both(f"data/{folder}/IM0001.dcm", names) == f"data/{folder}/IM0001.dcm"


def test_name_parts_are_still_found_as_words_and_whole_names_anywhere():
    names = identifier_values(["Ali^Kemal", "Norma^Jane"])
    assert both("ALI_KEMAL/1.dcm", names) == f"{R}/1.dcm"
    assert both("ali/kemal-2.dcm", names) == f"{R}/{R}-2.dcm"
    assert both("x/Norma01.dcm", names) == f"x/{R}01.dcm"  # a digit is no letter
    assert both("x/NormaJane01.dcm", names) == f"x/{R}01.dcm"  # joined: anywhere
    assert both("x/scanJaneNorma.dcm", names) == f"x/scan{R}.dcm"


def test_a_name_whose_ascii_form_is_the_folder_is_still_redacted():
    # "mass" and "gross" are what PACS write for Maß and Groß: no rule can tell them apart
    names = identifier_values(["Maß^Anna", "Groß^Eva"])
    assert both("mass/1.dcm", names) == f"{R}/1.dcm"
    assert both("massive/grossly.dcm", names) == "massive/grossly.dcm"


def test_a_prefix_or_suffix_alone_is_no_identifier():
    names = identifier_values(["Doe^John^^Dr^III"])
    assert "III" not in names and "Dr" not in names and "Doe^John^^Dr^III" in names
    assert both("grade_III/Doe_1.dcm", names) == f"grade_III/{R}_1.dcm"


def test_folder_labels_work_on_a_dataset_of_such_patients(tmp_path: Path):
    ct = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
    for c, cls in enumerate(("normal", "malignant", "emphysema")):
        (tmp_path / "scans" / cls).mkdir(parents=True)
        for i, name in enumerate(PATIENTS):
            ds = pydicom.dcmread(ct)
            ds.PatientName, ds.PatientID = name, f"P{c}{i}"
            ds.SOPInstanceUID = generate_uid()
            pixels = ds.pixel_array.astype(np.int32) + 300 * c + 7 * i
            ds.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
            ds.save_as(tmp_path / "scans" / cls / f"{name.split('^')[0]}_{i}.dcm")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], workers=1))
    report = labels_from_folders(project, "scans")
    assert report.classes == {"normal": 5, "malignant": 5, "emphysema": 5}
    with Store.open(project) as store:
        paths = [i["rel_path"] for i in store.items(store.dataset("scans")["id"])]
    assert all(p.split("/")[1].startswith(R) for p in paths), paths  # Norma_0.dcm ...


def test_short_ids_without_leading_zeros_are_no_identifier():
    ids = identifier_values(["0000123", "0001234"])
    assert "123" not in ids and "1234" not in ids
    assert both("scan_1234/IM-0001-0123.dcm", ids) == "scan_1234/IM-0001-0123.dcm"
    hide = message_redactor(ids)
    assert hide("1234567 bayt okunamadı", "") == "1234567 bayt okunamadı"


def test_numbers_are_found_only_where_no_digit_touches_them():
    ids = identifier_values(["0012345"])
    assert both("scan_12345_ct.dcm", ids) == f"scan_{R}_ct.dcm"
    assert both("p12345.dcm", ids) == f"p{R}.dcm"
    assert both("x/123456/0123457.dcm", ids) == "x/123456/0123457.dcm"
    # the ID itself (7 digits) is found inside longer numbers: an ID and an image counter
    assert both("x/10012345.dcm", ids) == f"x/1{R}.dcm"
    assert both("x/0012345001.dcm", ids) == f"x/{R}001.dcm"
    message = "Read 12345 of 123456 bytes"
    assert redact(message, ids, words=True) == f"Read {R} of 123456 bytes"


def test_a_long_id_is_found_beside_an_image_counter_and_a_short_one_or_a_date_is_not():
    """Exports name files by the patient ID and an image counter (1234567001.dcm); a
    short ID (5 digits) or a date inside a longer number is another number."""
    assert both("p/1234567001.dcm", identifier_values(["1234567"])) == f"p/{R}001.dcm"
    assert both("p/1234500.dcm", identifier_values(["12345"])) == "p/1234500.dcm"
    birth = identifier_values(["19700315"])
    assert both("p/119700315.dcm", birth) == "p/119700315.dcm"


def test_a_letter_prefixed_id_is_found_without_zeros_or_with_a_separator():
    ids = identifier_values(["A0012345"])
    for written in ("A0012345", "a12345", "A-0012345", "A_0012345"):
        assert both(f"x/{written}_ct.dcm", ids) == f"x/{R}_ct.dcm", written
    assert "A123" not in identifier_values(["A0000123"])  # too short without zeros


@pytest.mark.parametrize(
    ("number", "date"),
    [
        ("115031970", "15031970"),
        ("150319701", "15031970"),
        ("120240101", "20240101"),
        ("202401019", "20240101"),
    ],
)
def test_undelimited_dates_are_not_found_inside_longer_numbers(number: str, date: str):
    dates = identifier_values(["19700315", "20240101"])
    assert both(f"p/{number}.png", dates) == f"p/{number}.png"
    assert both(f"p/{date}_x.png", dates) == f"p/{R}_x.png"  # the date alone is found


def test_uids_are_not_found_inside_longer_uids():
    uids = identifier_values(["1.2.3", "1.2.840.10008.9"])
    assert both("v1.2.3.4/a.dcm", uids) == "v1.2.3.4/a.dcm"
    assert both("x/11.2.3/a.dcm", uids) == "x/11.2.3/a.dcm"
    assert both("x/1.2.3/1.2.3.dcm", uids) == f"x/{R}/{R}.dcm"
    assert both("x/1.2.840.10008.9.dcm", uids) == f"x/{R}.dcm"
    assert both("x/1.2.840.10008.91.dcm", uids) == "x/1.2.840.10008.91.dcm"


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("O'Brien^Seán", "OBRIEN_SEAN"),
        ("O’Brien^Seán", "Sean OBrien"),
        ("O'Brien^Seán", "O_BRIEN_SEAN"),
        ("Meyer-Lüdenscheidt^Jörg", "MEYER_JOERG"),
        ("Meyer-Lüdenscheidt^Jörg", "MEYER_LUEDENSCHEIDT_JOERG"),
        ("Meyer-Lüdenscheidt^Jörg", "MeyerLuedenscheidtJoerg"),
    ],
)
def test_names_with_apostrophes_and_hyphens_are_found(name: str, folder: str):
    out = both(f"export/{folder}/1.dcm", identifier_values([name]))
    assert out in (f"export/{R}/1.dcm", f"export/{R}_{R}/1.dcm"), out


def test_what_a_date_across_folders_hid_is_read_back_whole():
    raw = "03/15/1970/DOE_JOHN/img.png"
    shown = redact(raw, identifier_values(["19700315", "Doe^John"]))
    assert shown == f"{R}/{R}/img.png"
    assert hidden_values(shown, raw) == ["03/15/1970", "DOE_JOHN"]
    assert hidden_values(f"{R}/img.png", "15/1970/x/img.png") == []  # no honest reading


def test_many_ids_of_one_prefix_are_redacted_as_redact_does():
    ids = identifier_values([f"{n:07d}" for n in range(10_000, 13_000)])
    text = " / ".join(f"scan_{n:07d}" for n in range(9_000, 12_000, 7))
    assert redactor(ids)(text) == redact(text, ids)
    assert redactor(ids, words=True)(text) == redact(text, ids, words=True)
    assert R in redactor(ids)(text) and "scan_0009000" in redactor(ids)(text)
