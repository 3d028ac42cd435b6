"""What a CSV header says about its columns: which name is a time, a label or an id
column (in a few languages, 'Time (ms)', 'PatientID', 'case no'), which names a person
(always an id, never a label or a channel), and whether a ``#`` first line is the header
numpy.savetxt writes. The table itself: series_table.py."""

from __future__ import annotations

import re

from ssl_studio.core.data.csv_cells import fields, is_number

# "ts", "unix_ts", "ts_ms": the usual short names of a timestamp, but "ts" names a
# measured series just as often: a column named only so is a time where its values rise
# (series_table._find_roles), else a channel
_SHORT_TIMES = frozenset({"ts", "tstamp"})
# the English names of a time column (the model card lists them: export/series_recipe.py)
ENGLISH_TIME_NAMES = (
    *("time", "timestamp", "t", "date", "datetime"),
    *("seconds", "sec", "ms", "epoch", "elapsed"),
)
_ROLE_NAMES = {
    "time": (
        frozenset(ENGLISH_TIME_NAMES)
        | _SHORT_TIMES
        | {"zeit", "zeitpunkt", "datum", "uhrzeit", "zeitstempel", "heure", "fecha", "hora"}
        | {"tiempo", "tijd", "temps", "tempo", "tid"}
        | {"時間", "時刻", "日時", "日付", "タイムスタンプ", "时间", "時間軸"}
    ),
    "label": frozenset({"label", "class", "target", "y", "category", "diagnosis"}),
    "id": frozenset(
        {"id", "name", "series", "subject", "patient", "participant", "mrn", "pid", "case"}
    ),
}
# words that may stand beside a time name: "unix time", "Date Time", "time (ms)", "elapsed_s"
_TIME_UNITS = frozenset(
    {"s", "sec", "secs", "seconds", "ms", "utc", "unix", "local", "relative", "stamp"}
)
_ID_SUFFIXES = frozenset({"id", "no", "nr", "number", "code", "key"})  # "patient no", "case nr"
# a header with one of these words names a person ("Patient Name", "surname", "Date of
# birth", "Medical Record Number"): such a column is an id, never a label or a channel
_PERSON_WORDS = frozenset(
    {"name", "names", "surname", "forename", "firstname", "lastname", "givenname"}
    | {"familyname", "birth", "birthdate", "birthday", "dob", "initials", "record", "ssn"}
    | {"nachname", "vorname", "geburtsdatum", "nom", "prenom", "nombre", "apellido"}
    | {"氏名", "名前", "患者名", "生年月日", "姓名"}
)


def savetxt_header(text: str, top: str | None, delimiter: str) -> str:
    """``text`` with its ``#`` first line put back as the header when it is the one
    numpy.savetxt writes: 2 or more names, one of them a time, label or id column and none
    with a word that names a person, as many as the fields of the next line, which holds
    only numbers. Any other comment stays blank: "# Patient Jane Doe, DOB 1970-01-02" has
    the shape of a header too, and column names are stored."""
    if top is None:
        return text
    lines = text.split("\n")
    data = next((line for line in lines[1:] if line.strip()), "")
    names = fields(top, delimiter)
    cells = fields(data, delimiter)
    if len(names) < 2 or len(names) != len(cells) or not all(is_number(c) for c in cells):
        return text
    if not any(column_role(n) for n in names) or any(names_person(n) for n in names):
        return text
    lines[0] = top
    return "\n".join(lines)


def header_words(name: str | None) -> list[str]:
    """'Time (ms)' -> ['time', 'ms']; 'PatientID' -> ['patient', 'id']."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name or "")
    return "".join(c if c.isalnum() else " " for c in spaced.lower()).split()


def column_role(name: str | None) -> str | None:
    """'time' / 'label' / 'id' when a header name says so: 'time (s)', 'Date Time',
    'unix_time', 'ts' and 'unix_ts' are times; 'patient_id', 'PatientID', 'sensor id' and
    'case no' are ids, and so is anything that names a person ('Patient Name', 'surname',
    'Date of birth')."""
    words = header_words(name)
    if not words:
        return None
    times = _ROLE_NAMES["time"]
    if any(w in times for w in words) and all(w in times or w in _TIME_UNITS for w in words):
        return "time"
    if " ".join(words) in _ROLE_NAMES["label"]:
        return "label"
    ids = _ROLE_NAMES["id"]
    if " ".join(words) in ids or (len(words) > 1 and words[-1] == "id"):
        return "id"
    if len(words) > 1 and words[-1] in _ID_SUFFIXES and " ".join(words[:-1]) in ids:
        return "id"
    if names_person(name):
        return "id"
    return None


def short_time_name(name: str | None) -> bool:
    """Whether a time column is named only by a short name ('ts', 'TS', 'unix_ts',
    'ts_ms', 'tstamp'), which is a time only where its values rise."""
    words = header_words(name)
    return any(w in _SHORT_TIMES for w in words) and all(
        w in _SHORT_TIMES or w in _TIME_UNITS for w in words
    )


def names_person(name: str | None) -> bool:
    """Whether a header name has a word that names a person ('Patient Name', 'DOB')."""
    return any(w in _PERSON_WORDS for w in header_words(name))
