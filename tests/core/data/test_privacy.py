"""Redaction of identifiers in the text the project stores (paths, names, messages)."""

from __future__ import annotations

import unicodedata

from ssl_studio.core.data.privacy import (
    REDACTED,
    contains_identifier,
    hidden_values,
    identifier_values,
    message_redactor,
    redact,
    redactor,
    sentence_values,
)


def test_names_are_found_in_either_unicode_form_and_any_case():
    names = identifier_values(["Müller^Zoë"])  # as a DICOM header holds it (composed)
    path = unicodedata.normalize("NFD", "MÜLLER_Zoë/scan.dcm")  # as macOS names files
    assert redact(path, names) == f"{REDACTED}/scan.dcm"  # the joined name, as one
    assert contains_identifier(path, names)
    composed = unicodedata.normalize("NFC", "zoë_2.png")
    decomposed_names = [unicodedata.normalize("NFD", n) for n in names]
    assert redact(composed, decomposed_names) == f"{REDACTED}_2.png"


def test_short_name_parts_are_found_joined_as_folders_name_people():
    names = identifier_values(["Ng^Bo"])  # each part alone is too short to redact safely
    for folder in ("Ng_Bo", "bo_ng", "Ng Bo", "NgBo", "Bo-Ng"):
        assert redact(f"data/{folder}/1.dcm", names) == f"data/{REDACTED}/1.dcm", folder
    assert redact("data/Bonn/1.dcm", names) == "data/Bonn/1.dcm"  # parts alone are kept


def test_names_in_other_scripts_letters_and_written_dates_are_found():
    japanese = "Yamada^Tarou=山田^太郎=やまだ^たろう"  # alphabetic=ideographic=phonetic
    names = identifier_values([japanese, "王^伟", "Ng^Bo^Q", "19700315"])
    for path in (
        "山田太郎/1.dcm",  # the ideographic group, joined
        "山田/1.dcm",  # a two-character family name
        "王伟/1.dcm",  # a Chinese name of two one-character parts, joined
        "Yamada Tarou/1.dcm",
        "Ng, Bo/1.dcm",  # as letters and lists write names
        "Bo_Ng/1.dcm",  # family and given name without the middle one
        "15.03.1970/1.dcm",
        "15031970/1.dcm",
        "1970_03_15/1.dcm",
    ):
        assert REDACTED in redact(path, names) and "1.dcm" in redact(path, names), path
    assert redact("王/1.dcm", names) == "王/1.dcm"  # one character alone is too short


def test_the_redactor_for_many_texts_redacts_exactly_as_redact_does():
    names = identifier_values(["Müller^Zoë", "Ng^Bo", "19700101", "Doe^John^Paul", "0012345"])
    names += identifier_values(["García López^María José", "Norma^Lee", "Ali^Kemal"])
    texts = [
        unicodedata.normalize("NFD", "MÜLLER_Zoë/scan.dcm"),
        "data/NG_BO/1970-01-01.png",
        "GarciaMaria/JoseGarcia/DoePaul_JDoe/MrDoe_DoeJ_01.dcm",
        "normal/malignant/NormaL/012345/19700101120000.dcm",
        "data/Bonn/1.dcm",
        "",
        "plain/name.png",
    ]
    hide = redactor(names)
    assert [hide(t) for t in texts] == [redact(t, names) for t in texts]
    assert hide("data/NG_BO/x.png") == f"data/{REDACTED}/x.png"
    assert redactor([])("Müller") == "Müller"


def test_sentences_lose_whole_names_only_while_paths_lose_every_trace():
    names = identifier_values(["Ann^Lee", "Here"])  # a patient, an institution
    message = "The file cannot be read, so there is nothing to read: Ann_Lee_2.dcm"
    assert redact(message, names, words=True) == (
        f"The file cannot be read, so there is nothing to read: {REDACTED}_2.dcm"
    )
    assert redactor(names, words=True)(message) == redact(message, names, words=True)
    path = "annotated/AnnLee01.dcm"  # a path keeps no whole name, even glued to a number
    assert redact(path, names) == f"annotated/{REDACTED}01.dcm"  # nor a part as a word


def test_messages_lose_whole_values_and_the_names_in_their_paths_but_keep_their_words():
    names = identifier_values(["Doe^John", "Not connected", "PAT001"])
    assert "Not" not in sentence_values(names) and "Doe" not in sentence_values(names)
    assert {"Doe^John", "Doe_John", "Not connected", "PAT001"} <= set(sentence_values(names))
    hide = message_redactor(names)
    path = "/data/Doe/John_scan.dcm"
    message = (
        "Not a valid image: John_scan.dcm in Doe (header says Doe^John, id PAT001); "
        "the station is Not connected. Do not retry."
    )
    assert hide(message, path) == (
        f"Not a valid image: {REDACTED}_scan.dcm in {REDACTED} (header says {REDACTED}, "
        f"id {REDACTED}); the station is {REDACTED}. Do not retry."
    )
    assert hide("John_scan is truncated.", path) == f"{REDACTED}_scan is truncated."  # stem
    assert message_redactor([])(message, path) == message


def test_a_path_a_message_quotes_loses_every_trace_and_the_words_around_it_stay():
    """Decoders quote whole paths (Pillow: the absolute one), whose top folder may be
    the patient's; a file's stem may hold a dot; and "ann" of a path must not turn
    "cannot" into "c[redacted]ot"."""
    hide = message_redactor(identifier_values(["Wexford^Ann"]))
    pillow = "cannot identify image file '/data/Wexford/ann/x.png'"
    assert hide(pillow, "x.png") == (
        f"cannot identify image file '/data/{REDACTED}/{REDACTED}/x.png'"
    )
    assert hide("read /data/Wexford/x.png first", "x.png") == (f"read /data/{REDACTED}/x.png first")
    assert hide("ecg.Ann in ecg.Ann.csv is short", "sub/ecg.Ann.csv") == (
        f"ecg.{REDACTED} in ecg.{REDACTED}.csv is short"
    )
    assert hide("It cannot be read, annotated or scanned.", "/home/ann/x.png") == (
        "It cannot be read, annotated or scanned."
    )


def test_a_name_found_inside_the_redaction_marker_leaves_the_marker_whole():
    """A patient "Ted" turned a stored "[redacted]" into "[redac[redacted]]", and again at
    every later import."""
    values = identifier_values(["Ted^Ford"])
    assert redact("[redacted]/x_Ted.png", values) == "[redacted]/x_[redacted].png"
    assert redactor(values)("[redacted]/scan.png") == "[redacted]/scan.png"
    assert redact("[redacted]Ted", values, words=True) == "[redacted][redacted]"


def test_what_a_stored_path_hid_is_read_back_from_its_raw_path():
    shown = "normal/[redacted]/[redacted]_img.dcm"
    assert hidden_values(shown, "normal/Doe_Jane/PID123_img.dcm") == ["Doe_Jane", "PID123"]
    assert hidden_values("[redacted][redacted]_x.png", "DoeJane_x.png") == ["DoeJane"]
    assert hidden_values("/data/[redacted]_knee", "/data/Doe_knee") == ["Doe"]
    assert hidden_values("a/[redacted]/b.png", "c/d.png") == []  # another file
    assert hidden_values("a/b.png", "a/b.png") == []  # nothing hidden
    assert hidden_values("[redacted]_1.png", "Bo_1.png") == []  # too short to redact
