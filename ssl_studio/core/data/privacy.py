"""Keeping patients anonymous: salted keys, identifier lists and redaction.

Nothing identifying is ever stored. Grouping keys (patient, study, series) and the
lookup key of a file path are keyed hashes with a secret salt that is made once per
project, so equal inputs give equal keys inside one project and nothing can be read
back. Patient IDs are short and guessable, so their key uses a slow key-derivation
function: trying every possible ID against a stolen project is impractical.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence

from ssl_studio.core.data.name_folding import keys_of, text_keys
from ssl_studio.core.keyed_hash import keyed_hash as keyed_hash  # (where it was)

# dates of the study that count only as full dates (YYYYMMDD; dicom.identifiers_of
# drops others): a day and a place can name a patient
DATE_KEYWORDS = ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate")
# Tags of the DICOM basic de-identification profile (PS3.15 E.1-1) whose values we
# collect only to redact them from paths and messages; they are never stored.
IDENTIFYING_KEYWORDS = (
    "PatientName",
    "PatientID",
    "OtherPatientIDs",
    "OtherPatientNames",
    "PatientBirthName",
    "PatientMotherBirthName",
    "PatientBirthDate",
    "PatientAddress",
    "PatientTelephoneNumbers",
    "AccessionNumber",
    "ReferringPhysicianName",
    "PerformingPhysicianName",
    "OperatorsName",
    "InstitutionName",
    "InstitutionAddress",
    "StationName",
    "StudyID",
    "MedicalRecordLocator",
    "PhysiciansOfRecord",
    "RequestingPhysician",
    "NameOfPhysiciansReadingStudy",
    "ScheduledPerformingPhysicianName",
    "InstitutionalDepartmentName",
    "ResponsiblePerson",
    "PersonName",
    "StudyInstanceUID",  # folders are named by UIDs ("1.3.6.1.4.1.5962.1.2.1.2004...")
    "SeriesInstanceUID",
    "SOPInstanceUID",
    *DATE_KEYWORDS,
)
# read wherever they are: at the top of the header and inside its sequences (Other
# Patient IDs, Referenced Patient, Request Attributes, ...); see dicom.identifiers_of
MIN_REDACT_LENGTH = 3  # shorter values ("1", "AB") would redact half of every path
REDACTED = "[redacted]"
PATIENT_KEY_ROUNDS = 20_000


@functools.lru_cache(maxsize=4096)
def patient_key(salt: bytes, patient_id: str) -> str:
    """The grouping key of a patient: PBKDF2-SHA256 of the ID with the project salt."""
    raw = hashlib.pbkdf2_hmac("sha256", patient_id.strip().encode(), salt, PATIENT_KEY_ROUNDS)
    return raw.hex()[:24]


def identifier_values(values: Iterable[object]) -> list[str]:
    """Split raw identifier values into the strings to redact (names by component).

    ``"Doe^John"`` gives ``"Doe^John"``, ``"Doe"``, ``"John"`` and the parts joined as
    folders and letters name people (``"Doe_John"``, ``"John Doe"``, ``"Doe, John"``,
    ``"DoeJohn"``, ...; with a middle name also family and given name alone). A DICOM
    name's groups (``"Yamada^Tarou=山田^太郎=やまだ^たろう"``: alphabetic, ideographic,
    phonetic) are joined each on its own (``"山田太郎"``). A date ``"19700315"`` also gives
    the ways people write it (``"1970-03-15"``, ``"15.03.1970"``, ``"15.03.70"``,
    ``"03/15/1970"``, ``"15031970"``, ...), and an ID with leading zeros (``"0012345"``)
    also gives the ID without them (``"12345"``).
    Values shorter than MIN_REDACT_LENGTH are dropped (so "Ng^Bo" is still found as
    "Ng_Bo", not as "Ng" alone), except two-letter names in scripts such as Chinese,
    where a whole given or family name often has two characters ("王伟", "山田").
    """
    found: set[str] = set()
    for value in values:
        many = isinstance(value, Sequence) and not isinstance(value, str | bytes)
        for item in value if many else [value]:
            text = str(item).strip()
            if not text:
                continue
            found.add(text)
            for group in text.split("="):
                found.add(group.strip(" ^"))
                found.update(_joined_names([p for p in re.split(r"[\^\s,]+", group) if p]))
            if re.fullmatch(r"\d{8}", text):
                found.update(_written_dates(text[:4], text[4:6], text[6:]))
            if re.fullmatch(r"0+\d+", text):  # an ID "0012345" written "12345"
                found.add(text.lstrip("0"))
    return sorted((v for v in found if _long_enough(v)), key=len, reverse=True)


def _joined_names(parts: list[str]) -> set[str]:
    """The parts of one name, alone and joined in both orders with the separators
    folders and letters use; with more than two parts, the first two (family and given
    name) are joined too."""
    found = set(parts)
    if len(parts) > 1:
        for order in (parts, parts[::-1], parts[:2], parts[1::-1]):
            found.update(sep.join(order) for sep in ("_", " ", "-", ".", "", ", "))
    return found


def _written_dates(year: str, month: str, day: str) -> set[str]:
    """The ways a date (DICOM's YYYYMMDD) is written in folder and file names."""
    return {
        *(sep.join((year, month, day)) for sep in ("-", "_", ".")),
        *(sep.join((day, month, year)) for sep in (".", "-", "_", "")),
        *(sep.join((month, day, year)) for sep in ("-", "_", "/")),
        *(sep.join((day, month, year[2:])) for sep in (".", "-")),
    }


# a date written with separators is found only where no digit touches it ("15.03.70"
# must not eat part of "115.03.701"); see _written_dates
_DATE_SHAPE = re.compile(r"\d{2,4}[-_./]\d\d[-_./]\d{2,4}")


def _long_enough(value: str) -> bool:
    """Long enough to redact without hollowing out every path (see identifier_values)."""
    if len(value) >= MIN_REDACT_LENGTH:
        return True
    return len(value) == 2 and all(c.isalpha() and not c.isascii() for c in value)


def redact(text: str, identifiers: Iterable[str], *, words: bool = False) -> str:
    """``text`` with every occurrence of an identifier (any case) replaced by [redacted].

    Paths are searched for identifiers anywhere ("DoeJane01.dcm"); ``words``: only where
    no letter touches them, for sentences (a patient "Ann" must not turn "cannot" into
    "c[redacted]ot"). Everything the project stores about a path passes here, so bytes
    of a file name that are not valid UTF-8 (kept by Python as surrogates, which SQLite
    refuses) become U+FFFD.
    """
    text = _storable(text)
    if REDACTED in text:  # a patient "Ted" must not turn "[redacted]" into "[redac[redacted]]"
        return REDACTED.join(redact(p, identifiers, words=words) for p in text.split(REDACTED))
    spans: list[tuple[int, int]] = []
    forms = text_keys(text)
    # longest first, in a fixed order: "Doe_Jane" goes whole before "Doe" alone, and the
    # result never depends on the order of a set of identifiers. Both are folded
    # (name_folding): "Zoë" composed or decomposed, "Weiß" as "WEISS", "Jörg" as
    # "JOERG" or "JORG"; the span found is redacted in the text as it is written
    for value in sorted(set(identifiers), key=lambda v: (-len(v), v)):
        digits = bool(_DATE_SHAPE.fullmatch(value))
        for key in keys_of(value):
            for form, starts, ends in forms:
                at = form.find(key)
                while at >= 0:
                    span = (starts[at], ends[at + len(key) - 1])
                    if _fits(text, span, words=words, digits=digits):
                        spans.append(span)
                    at = form.find(key, at + 1)
    return _replaced(text, spans)


def _fits(text: str, span: tuple[int, int], *, words: bool, digits: bool) -> bool:
    """Whether a match may be redacted: ``words``, no letter touches it; ``digits``, no
    digit touches it."""
    before = text[span[0] - 1] if span[0] > 0 else ""
    after = text[span[1]] if span[1] < len(text) else ""
    if words and (before.isalpha() or after.isalpha()):
        return False
    return not (digits and (before.isdigit() or after.isdigit()))


def _replaced(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span (overlapping spans as one) replaced by [redacted]."""
    if not spans:
        return text
    out, end = [], 0
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    for start, stop in merged:
        out.append(text[end:start] + REDACTED)
        end = stop
    return "".join(out) + text[end:]
    return text


def _storable(text: str) -> str:
    """``text`` as SQLite can store it: bytes of a file name that are not valid UTF-8
    (kept by Python as surrogates) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_MARKERS = re.compile(f"(?:{re.escape(REDACTED)})+")


def hidden_values(shown: str, raw: str) -> list[str]:
    """What an earlier redaction hid of the path ``raw``, read back from ``shown``, the
    form of it that was stored: the text behind each [redacted] (markers side by side
    count as one). The project never keeps identifiers, but a re-import sees the raw
    path of every file and folder it met before, so it learns again what was hidden and
    hides it as well in the paths it stores now (a changed PNG in a folder named after
    its patient, whose DICOM file is unchanged and not read again). A marker holds no
    slash unless nothing else matches (a date "03/15/1970" spans three folders). Nothing comes back
    when the two do not match, nor pieces under MIN_REDACT_LENGTH characters."""
    if REDACTED not in shown:
        return []
    pieces = [re.escape(piece) for piece in _MARKERS.split(shown)]
    found = re.fullmatch(r"([^/\\]+?)".join(pieces), _storable(raw), re.DOTALL)
    if found is None:  # a date written "03/15/1970" hid folders with their slashes
        found = re.fullmatch(r"(.+?)".join(pieces), _storable(raw), re.DOTALL)
    if found is None:
        return []
    return sorted({v for v in found.groups() if len(v) >= MIN_REDACT_LENGTH})


_TAIL = 8


def redactor(identifiers: Iterable[str], *, words: bool = False) -> Callable[[str], str]:
    """``redact`` for many texts and many identifiers (an import of thousands of patients):
    each text is scanned once for the identifiers it may hold, by their first three
    letters (long ones, such as UIDs, by their last eight), and only those are
    redacted; a text that holds none comes back as it is (storable, as ``redact``
    makes it)."""
    values = sorted(set(identifiers))
    short: list[tuple[str, str]] = []  # identifiers under 3 characters, if given any
    buckets: dict[str, list[tuple[str, str]]] = {}  # by their first 3 characters
    tails: dict[str, list[tuple[str, str]]] = {}  # long ones (UIDs) by their last 8
    for value in values:
        for key in keys_of(value):
            if len(key) < 3:
                short.append((key, value))
            elif len(key) >= _TAIL:  # UIDs share long prefixes ("1.2.826.0.1.3680043.")
                tails.setdefault(key[-_TAIL:], []).append((key, value))
            else:
                buckets.setdefault(key[:3], []).append((key, value))

    def hide(text: str) -> str:
        if not text or not values:
            return _storable(text)
        found = set()
        for low, _, _ in text_keys(_storable(text)):
            found.update(value for part, value in short if part in low)
            for i in range(len(low) - 2):
                for part, value in buckets.get(low[i : i + 3], ()):
                    if low.startswith(part, i):
                        found.add(value)
                for part, value in tails.get(low[i : i + _TAIL], ()):
                    if low.startswith(part, i + _TAIL - len(part)):
                        found.add(value)
        return redact(text, found, words=words) if found else _storable(text)

    return hide


_NAME_SEPARATORS = re.compile(r"[\^=\s,_.\-]+")


def sentence_values(identifiers: Iterable[str]) -> list[str]:
    """The identifiers a sentence loses: whole values ("Doe^John", "Doe_John", a station
    "Not connected"), not the single parts of a longer one ("Doe", "Not"). The app's
    own words must survive ("[redacted] a DICOM file" after a station "Not connected"
    was met); a part alone reaches a message only in its file's path, which
    ``message_redactor`` redacts as paths are."""
    values = set(identifiers)
    parts = set()
    for value in values:
        tokens = [t for t in _NAME_SEPARATORS.split(value) if t]
        if len(tokens) > 1:
            parts.update(t.lower() for t in tokens)
    return sorted(v for v in values if v.lower() not in parts)


# what a message quotes as a path: quoted text with a slash, or a word with one
_QUOTED_PATH = re.compile(r"'[^'\n]*[/\\][^'\n]*'" + r'|"[^"\n]*[/\\][^"\n]*"')
# (possessive and anchored at a token's start: a long token without a slash is given
# up in one pass, where backtracking took seconds for a 20 000-character message)
_BARE_PATH = re.compile(r"""(?<![^\s'"])[^\s'"/\\]*+[/\\][^\s'"]*""")


def message_redactor(identifiers: Iterable[str]) -> Callable[[str, str], str]:
    """``hide(message, path)`` for problem messages about the file at ``path``. What the
    message quotes as a path (any text with a slash, as decoders quote whole paths) and
    the pieces of ``path`` it names alone (a folder, the file name, its stem) lose every
    trace of an identifier, as stored paths do; the rest loses whole identifier values
    only, as words (see ``sentence_values``)."""
    values = list(identifiers)
    hide_path = redactor(values)
    hide_words = redactor(sentence_values(values), words=True)

    def hide(message: str, path: str = "") -> str:
        if not message or not values:
            return message
        message = hide_words(message)  # first: a path's "Doe" must not split "Doe^John"
        message = _QUOTED_PATH.sub(lambda m: hide_path(m.group()), message)
        message = _BARE_PATH.sub(lambda m: hide_path(m.group()), message)
        for piece in sorted(_pieces(path), key=len, reverse=True):
            hidden = hide_path(piece)
            if hidden != piece:  # where the piece stands alone, not inside a word
                pattern = rf"(?<![\w.-]){re.escape(piece)}(?![\w-])"
                message = re.sub(pattern, lambda _m, h=hidden: h, message)
        return message

    return hide


def hide_path(message: str, path: str) -> str:
    """``message`` with every folder and file name of ``path`` hidden, wherever it
    quotes them (alone, or in a path): how a problem is stored while the import does
    not yet know every identifier (the end of the import stores it redacted as usual)."""
    pieces = [p for p in _pieces(path) if len(p) >= MIN_REDACT_LENGTH]
    return message_redactor(pieces)(message, path)


def hide_error_paths(text: str, exc: BaseException) -> str:
    """``text`` (a traceback, or a message naming ``exc``) with every folder and file name
    of the paths ``exc`` and the exceptions chained to it or grouped in it name hidden
    (``hide_path``): the file of an OSError, and what their messages quote as a path. A
    path may be named after a patient, and an unexpected error's text reaches the log
    panel as it is."""
    paths: set[str] = set()
    seen: set[int] = set()
    waiting: list[BaseException] = [exc]  # (chained ones, and those an ExceptionGroup holds)
    while waiting:
        error = waiting.pop()
        if id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, OSError):
            paths.update(str(p) for p in (error.filename, error.filename2) if p is not None)
        message = str(error)
        paths.update(m.group().strip("'\"") for m in _QUOTED_PATH.finditer(message))
        paths.update(m.group() for m in _BARE_PATH.finditer(message))
        waiting.extend(e for e in (error.__cause__, error.__context__) if e is not None)
        waiting.extend(getattr(error, "exceptions", ()))
    for path in sorted(paths, key=len, reverse=True):
        text = hide_path(text, path)
    return text


def _pieces(path: str) -> set[str]:
    """The folders and file name of ``path`` and every name of theirs cut at a dot
    ("ecg.Doe.csv": "ecg", "ecg.Doe", "ecg.Doe.csv"), as messages may quote a stem."""
    out = set()
    for part in re.split(r"[\\/]", path):
        dots = part.split(".")
        out.update(".".join(dots[: k + 1]) for k in range(len(dots)))
    return {p for p in out if p}


def contains_identifier(text: str, identifiers: Iterable[str]) -> bool:
    """Whether ``text`` holds an identifier, compared as ``redact`` does (folded)."""
    forms = [form for form, _, _ in text_keys(_storable(text))]
    return any(key in form for v in identifiers for key in keys_of(v) for form in forms)
