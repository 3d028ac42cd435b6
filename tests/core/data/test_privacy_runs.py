"""Names glued to each other, to initials and to titles; numbers beside zeros or a time;
values read back from stored paths: all redacted, while class folders survive."""

from __future__ import annotations

import time
from pathlib import Path

import pydicom
import pytest
from redaction_checks import both, paths_after_a_second_import

from ssl_studio.core.data.privacy import (
    REDACTED,
    contains_identifier,
    hidden_values,
    identifier_values,
    message_redactor,
    redact,
    redactor,
)

R = REDACTED


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("García López^María José", "GarciaMaria"),
        ("García López^María José", "LOPEZMARIA"),
        ("García López^María José", "JoseGarcia"),
        ("García López^María José", "MariaJoseGarcia"),
        ("Doe^John^Paul", "DoePaul"),
        ("Doe^John^Paul", "JohnPaulDoe"),
        ("Meyer-Lüdenscheidt^Anna", "LUEDENSCHEIDTANNA"),
        ("Meyer-Lüdenscheidt^Anna", "MeyerAnna"),
    ],
)
def test_name_parts_glued_together_are_redacted(name: str, folder: str):
    assert both(f"data/{folder}/1.dcm", identifier_values([name])) == f"data/{R}/1.dcm"


def test_a_long_name_part_is_found_inside_a_word_a_short_one_is_not():
    names = identifier_values(["Lüdenscheidt^Anna", "Norma^Jane"])
    assert both("x/scanLuedenscheidt2/1.dcm", names) == f"x/scan{R}2/1.dcm"
    assert both("x/normal/1.dcm", names) == "x/normal/1.dcm"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("DoeJ_01.dcm", f"{R}_01.dcm"),
        ("JDoe.dcm", f"{R}.dcm"),
        ("JOHND/1.dcm", f"{R}/1.dcm"),
        ("JohnD.dcm", f"{R}.dcm"),
        ("MrDoe/1.dcm", f"Mr{R}/1.dcm"),
        ("PatientDoe/1.dcm", f"Patient{R}/1.dcm"),
        ("dr_mrs_HerrDoe.dcm", f"dr_mrs_Herr{R}.dcm"),
        ("xDoe/1.dcm", f"x{R}/1.dcm"),  # a case change joins two words
        ("xdoe/1.dcm", "xdoe/1.dcm"),  # a letter that is no initial, no case change: a word
        ("JJDoe/1.dcm", f"JJ{R}/1.dcm"),  # capitals, then a capitalised word
        ("jdoe_2.dcm", f"{R}_2.dcm"),
        ("doej_2.dcm", "doej_2.dcm"),  # after a name only a capital is an initial
        ("DoeX.dcm", f"{R}X.dcm"),
        ("doex.dcm", "doex.dcm"),
    ],
)
def test_names_glued_to_an_initial_or_a_title_are_redacted(path: str, expected: str):
    assert both(path, identifier_values(["Doe^John"])) == expected


@pytest.mark.parametrize(
    ("ids", "path", "expected"),
    [
        (["0012345"], "p/012345.dcm", f"p/{R}.dcm"),
        (["0012345"], "p/00012345.dcm", f"p/{R}.dcm"),
        (["12345"], "p/0012345.dcm", f"p/{R}.dcm"),
        (["0012345"], "p/10012345.dcm", f"p/1{R}.dcm"),  # (7 digits: found anywhere)
        (["19700315"], "p/19700315120000.dcm", f"p/{R}.dcm"),
        (["19700315"], "p/1970031512.dcm", f"p/{R}.dcm"),
        (["19700315"], "p/197003151.dcm", "p/197003151.dcm"),
        (["19700315"], "p/1197003151200.dcm", "p/1197003151200.dcm"),
    ],
)
def test_numbers_are_found_beside_leading_zeros_and_a_date_beside_a_time(
    ids: list[str], path: str, expected: str
):
    assert both(path, identifier_values(ids)) == expected


@pytest.mark.parametrize(
    "folder", ["normal", "Normal", "malignant", "emphysema", "grade_III", "weissbier"]
)
def test_class_folders_still_survive_with_initials_and_titles(folder: str):
    names = identifier_values(
        ["Norma^Lee", "Ali^Mehmet", "Ema^Sara", "Doe^John^^^III", "Weiß^Bert", "Maß^Ida"]
    )
    assert both(f"data/{folder}/1.dcm", names) == f"data/{folder}/1.dcm"


def test_values_read_back_from_stored_paths_are_found_anywhere():
    learned = hidden_values(f"a/scan{R}.png", "a/scanJohnDoe.png")
    assert learned == ["JohnDoe"]
    hide = redactor([], anywhere=learned)
    assert hide("a/scanJohnDoe_v2.png") == f"a/scan{R}_v2.png"
    hide_message = message_redactor([], anywhere=learned)
    assert hide_message("cannot read 'a/scanJohnDoe_v2.png'", "") == (
        f"cannot read 'a/scan{R}_v2.png'"
    )
    shown, raw = f"{R}/scan{R}.png", "03/15/1970/scanJohnDoe.png"
    assert hidden_values(shown, raw) == ["03/15/1970", "JohnDoe"]


def test_dicom_facts_that_hold_a_name_part_anywhere_are_dropped():
    """Facts are stored whole, so they stay conservative (unlike paths)."""
    names = identifier_values(["Ali^Norma"])
    assert contains_identifier("malignant tumour", names)
    assert contains_identifier("normal study", names)
    assert not contains_identifier("chest study", names)
    assert contains_identifier("study of AliNorma", names)
    assert contains_identifier("Dr Ali's study", names)
    assert contains_identifier("MrAli", names)


def test_a_file_name_of_many_overlapping_name_parts_is_redacted_quickly():
    hide = redactor(identifier_values(["Aaa^Aab", "Ann^Nan"]))
    start = time.perf_counter()
    assert hide("x" + "aaa" * 85 + "x.dcm") == "x" + "aaa" * 85 + "x.dcm"
    assert hide("aaa" * 85 + ".dcm") == f"{R}.dcm"
    assert time.perf_counter() - start < 0.5


def test_a_reimport_redacts_a_new_file_in_a_folder_a_glued_name_hid(
    project: Path, tmp_path: Path, dicom_file
):
    """The DICOM file is unchanged, so its header is not read again: the name is learned
    back from the stored path ("scan[redacted]") as "JoDoe", found inside "scanJoDoe"."""
    folder = tmp_path / "study" / "normal" / "scanJoDoe"
    folder.mkdir(parents=True)
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.PatientName = "Doe^Jo"
    ds.save_as(folder / "ct.dcm")
    paths = paths_after_a_second_import(project, tmp_path / "study", folder)
    assert paths == [f"normal/scan{R}/{name}" for name in ("a.png", "ct.dcm", "later.png")]


def test_a_class_folder_starting_with_m_is_no_title_before_a_name():
    from ssl_studio.core.data.privacy import identifier_values

    ids = identifier_values(["Ali^Kemal"])
    assert redact("Mali/scan1.png", ids) == "Mali/scan1.png"
    assert redact("MrAli/scan1.png", ids) == "Mr[redacted]/scan1.png"


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        ("Smith^Jane", "s/seriesSmith.png", f"s/series{R}.png"),
        ("Weiß^Hélène", "m/massWeiß.png", f"m/mass{R}.png"),
        ("Rose^Grey", "t/trainRose.png", f"t/train{R}.png"),
        ("Doe^John", "g/DoeGrossing.png", f"g/{R}Grossing.png"),
        ("Ali^Kemal", "malignant/a.png", "malignant/a.png"),  # (no case change)
        ("Ali^Kemal", "MALIGNANT/a.png", "MALIGNANT/a.png"),
    ],
)
def test_a_name_part_glued_to_a_word_at_a_case_change_is_redacted(name, path, expected):
    """Generated file names join words in camel case ("seriesSmith"); the old rule found a
    name part anywhere, the word rule had let these through (regression sweep)."""
    assert both(path, identifier_values([name])) == expected


def test_a_capitalised_word_is_no_initial_before_a_name():
    """ "Mali/" for a patient Ali^Mehmet was read as the initial M glued to Ali."""
    ids = identifier_values(["Ali^Mehmet"])
    assert both("Mali/x.png", ids) == "Mali/x.png"
    assert both("MAli/x.png", ids) == f"{R}/x.png"
    assert both("mali_2/x.png", ids) == f"{R}_2/x.png"


def test_a_kanji_name_beside_latin_letters_is_redacted():
    """A Latin letter beside a kanji is no part of its word: "Mr山田" kept 山田."""
    ids = identifier_values(["山田^太郎"])
    assert both("Ellipse/Mr山田_0014.png", ids) == f"Ellipse/Mr{R}_0014.png"
    assert both("stain山田.png", ids) == f"stain{R}.png"
    assert both("malignant/山田太郎.png", identifier_values(["Ali^Ben", "山田^太郎"])) == (
        f"malignant/{R}.png"
    )


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("x/JMDoe.dcm", f"x/JM{R}.dcm"),  # two initials before the name
        ("x/CTDoe_01.dcm", f"x/CT{R}_01.dcm"),  # a modality before it
        ("x/DoeJM.dcm", f"x/{R}JM.dcm"),
        ("MALIGNANT/a.png", "MALIGNANT/a.png"),
    ],
)
def test_capitals_before_a_capitalised_name_are_a_word_of_their_own(path, expected):
    """ "JMDoe", "CTDoe": capitals, then a capitalised word, join two words (as in
    "HTMLParser"); the name leaked there."""
    assert both(path, identifier_values(["Doe^John^Michael", "Ali^Ben"])) == expected
