"""Names the app makes from what users called things (a dataset, a label set) work as
file names on Windows and everywhere else; names users type are refused with a reason."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.file_names import (
    FORBIDDEN,
    MAX_BYTES,
    check_new_folder_name,
    is_device_name,
    name_problem,
    safe_name,
)

DEVICES = ["CON", "con", "Prn", "AUX", "nul", "COM1", "com9", "LPT1", "lpt9", "COM\u00b9"]


@pytest.mark.parametrize(
    ("given", "suffix", "safe"),
    [
        ("Thorax: Erwachsene-finding", ".csv", "Thorax_ Erwachsene-finding.csv"),
        ("ct/2024-finding", ".csv", "ct_2024-finding.csv"),
        ('a\\b<c>d"e|f?g*h', "", "a_b_c_d_e_f_g_h"),
        ("tab\there\x00\x1f", "", "tab_here__"),
        ("Befund ä-Lunge 肺", ".csv", "Befund ä-Lunge 肺.csv"),
        ("run. . ", "", "run"),
        ("version 2.", ".csv", "version 2.csv"),
        ("", ".csv", "unnamed.csv"),
        ("...", "", "unnamed"),
        ("  ", "", "unnamed"),
        ("CON", "", "_CON"),
        ("con", ".csv", "_con.csv"),
        ("nul .x", "", "_nul .x"),
        ("COM1.tar", ".gz", "_COM1.tar.gz"),
        ("CONSOLE", ".csv", "CONSOLE.csv"),
        ("COM10", "", "COM10"),
    ],
)
def test_safe_name_makes_a_name_every_machine_takes(given, suffix, safe):
    assert safe_name(given, suffix) == safe
    assert name_problem(safe) is None
    # one name, not a path: no folder is made of a part of it on either system
    assert PureWindowsPath(safe).name == safe and PurePosixPath(safe).name == safe


def test_a_very_long_name_is_cut_between_whole_characters():
    name = safe_name("ä" * 300, ".csv")
    assert name.endswith(".csv") and len(name.encode("utf-8")) <= MAX_BYTES + 4
    assert set(name.removesuffix(".csv")) == {"ä"}


@pytest.mark.parametrize("name", [*DEVICES, "con.csv", "NUL.tar.gz", "aux .txt"])
def test_device_names_are_known_in_any_case_and_with_an_extension(name):
    assert is_device_name(name)
    assert "device" in (name_problem(name) or "")
    assert not is_device_name(safe_name(name))


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("a:b", "has ':' in it"),
        ("x?*", "has '*', '?' in it"),
        ("bell\x07", "has U+0007 in it"),
        ("run.", "ends with a dot or a space"),
        ("run ", "ends with a dot or a space"),
        ("   ", "is empty"),
        ("ä" * 130, "is longer than a file name may be"),
    ],
)
def test_name_problem_says_what_is_wrong(name, said):
    assert said in (name_problem(name) or "")


@pytest.mark.parametrize("name", ["run-3", "Befund ä", "model v1.2", "肺", ".hidden", "CONSOLE"])
def test_ordinary_names_have_no_problem(name):
    assert name_problem(name) is None


def test_every_forbidden_character_is_replaced():
    assert set(safe_name("".join(sorted(FORBIDDEN)))) == {"_"}


@pytest.mark.parametrize(
    ("folder", "shown", "suggested"),
    [
        (PurePosixPath("/data/exports/CON"), "'CON' is a name Windows keeps", "'_CON'"),
        (PurePosixPath("/data/exports/a:b"), "'a:b' has ':' in it", "'a_b'"),
        (PurePosixPath("/data/exports/run."), "'run.' ends with a dot", "'run'"),
        (PureWindowsPath(r"D:\exports\lpt1.model"), "'lpt1.model' is a name", "'_lpt1.model'"),
    ],
)
def test_a_new_folder_name_that_fails_on_windows_is_refused_with_a_better_one(
    folder, shown, suggested
):
    with pytest.raises(ConfigError) as caught:
        check_new_folder_name(folder, "give --out another name")
    said = str(caught.value)
    assert shown in said and f"give --out another name, such as {suggested}." in said


@pytest.mark.parametrize(
    "folder",
    [
        PurePosixPath("/data/odd: parent?/run-3"),  # only the new name is the user's to fix
        PurePosixPath("."),
        PurePosixPath("/data/.."),
        PureWindowsPath("D:\\"),
        PureWindowsPath(r"\\server\share\Befund ä"),
    ],
)
def test_only_the_last_part_of_a_folder_is_checked(folder):
    check_new_folder_name(folder)
