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
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from ssl_studio.core.data.identifier_forms import MIN_REDACT_LENGTH as MIN_REDACT_LENGTH
from ssl_studio.core.data.identifier_forms import identifier_values as identifier_values
from ssl_studio.core.data.identifier_forms import long_number, widened_number
from ssl_studio.core.data.name_folding import keys_of, text_keys
from ssl_studio.core.data.name_runs import glued_at, initials_of, run_spans, word_touched
from ssl_studio.core.data.name_runs import joined_forms as joined_forms
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
)  # (and DATE_KEYWORDS, read apart: only full dates count)
# read wherever they are: at the top of the header and inside its sequences (Other
# Patient IDs, Referenced Patient, Request Attributes, ...); see dicom.identifiers_of
REDACTED = "[redacted]"
PATIENT_KEY_ROUNDS = 20_000


@functools.lru_cache(maxsize=4096)
def patient_key(salt: bytes, patient_id: str) -> str:
    """The grouping key of a patient: PBKDF2-SHA256 of the ID with the project salt."""
    raw = hashlib.pbkdf2_hmac("sha256", patient_id.strip().encode(), salt, PATIENT_KEY_ROUNDS)
    return raw.hex()[:24]


# how an identifier may touch the text around it (see _fits)
ANYWHERE, WORD, DIGITS, UID = "anywhere", "word", "digits", "uid"
# a date written with separators ("15.03.70"), which is no UID
_DATE_SHAPE = re.compile(r"\d{2,4}[-_./]\d\d[-_./]\d{2,4}")
_NUMBER = re.compile(r"[\d./_-]*\d[\d./_-]*")  # IDs, dates and UIDs of digits alone


@functools.lru_cache(maxsize=65536)
def rule_of(value: str, joined: bool = False) -> str:
    """How ``value`` may touch the text around its match: short numbers (IDs, dates) and
    UIDs not inside longer ones (DIGITS, UID: "12345" not in "912345", "1.2.3" not in
    "1.2.3.4"); a single name part (letters alone, not ``joined``) not inside a word
    (WORD: "Ali" not in "malignant", "Norma" not in "normal", but "DOE_JANE" and
    "Doe-01"); the rest, and long IDs (``long_number``), anywhere ("DoeJane01", "PID123")."""
    if long_number(value):
        return ANYWHERE
    if _NUMBER.fullmatch(value):
        uid = re.fullmatch(r"\d+(?:\.\d+){2,}", value) and not _DATE_SHAPE.fullmatch(value)
        return UID if uid else DIGITS
    return WORD if value.isalpha() and not joined else ANYWHERE


def redact(
    text: str,
    identifiers: Iterable[str],
    *,
    words: bool = False,
    joined: frozenset[str] | None = None,
    initials: Mapping[str, frozenset[str]] | None = None,
) -> str:
    """``text`` with every occurrence of an identifier (any case) replaced by [redacted].

    Paths are searched for whole identifiers anywhere ("DoeJane01.dcm"), but for a
    single name part under LONG_PART letters only where no letter touches it
    ("Doe_1.dcm", not "Ali" in "malignant") or in a run of name parts, initials and
    titles glued together ("GarciaMaria", "DoeJ_01", "MrDoe": see ``name_runs``), and
    for numbers, dates and UIDs only where no digit touches them (``rule_of``; an ID
    with more leading zeros, a date with a time after it are found). ``joined``: the
    names without separator, found anywhere (``joined_forms`` of all identifiers; by
    default of these); ``initials``: ``name_runs.initials_of`` them (the same).
    ``words``: nothing where a letter touches it, for sentences (a patient "Ann" must
    not turn "cannot" into "c[redacted]ot"). Everything the project stores about a
    path passes here, so bytes of a file name that are not valid UTF-8 (kept by Python
    as surrogates, which SQLite refuses) become U+FFFD.
    """
    text = _storable(text)
    identifiers = set(identifiers)
    if joined is None:
        joined = joined_forms(identifiers)
    if initials is None:
        initials = initials_of(identifiers)
    if REDACTED in text:  # a patient "Ted" must not turn "[redacted]" into "[redac[redacted]]"
        return REDACTED.join(
            redact(p, identifiers, words=words, joined=joined, initials=initials)
            for p in text.split(REDACTED)
        )
    return _replaced(text, _spans(text, identifiers, words, joined, initials))


LONG_PART = 6  # a name part this long (folded) is found anywhere: rare inside a word


def _spans(
    text: str,
    identifiers: Iterable[str],
    words: bool,
    joined: frozenset[str],
    initials: Mapping[str, frozenset[str]],
) -> list[tuple[int, int]]:
    """The spans of ``text`` that ``redact`` replaces."""
    spans: list[tuple[int, int]] = []
    parts: list[tuple[int, int, str]] = []  # single name parts inside letters
    forms = text_keys(text)
    # longest first, in a fixed order: "Doe_Jane" goes whole before "Doe" alone, and the
    # result never depends on the order of a set of identifiers. Both are folded
    # (name_folding): "Zoë" composed or decomposed, "Weiß" as "WEISS", "Jörg" as
    # "JOERG" or "JORG"; the span found is redacted in the text as it is written
    for value in sorted(identifiers, key=lambda v: (-len(v), v)):
        rule = rule_of(value, value.casefold() in joined)
        for key in keys_of(value):
            long_part = rule == WORD and not words and len(key) >= LONG_PART
            for form, starts, ends in forms:
                at = form.find(key)
                while at >= 0:
                    span = (starts[at], ends[at + len(key) - 1])
                    fit = _fits(text, span, ANYWHERE if long_part else rule, words=words)
                    if fit is not None:
                        spans.append(fit)
                    if rule == WORD and not words:  # (kept for runs: "DoeJ", "MrDoe")
                        parts.append((*span, key))
                    at = form.find(key, at + 1)
    if parts:
        spans.extend(run_spans(text, parts, spans, initials))
    return spans


def _fits(text: str, span: tuple[int, int], rule: str, *, words: bool) -> tuple[int, int] | None:
    """The span to redact for a match at ``span``, or None where it may not be: with
    ``words`` or a WORD rule, no letter may touch it (a WORD only a letter of a script
    written with spaces: "山田" is found in "山田太郎"); DIGITS, no digit, but leading
    zeros before it go with it ("012345" for "12345") and a date may have a time after
    it ("19700315120000"); UID, no digit nor a dot before a digit."""
    start, stop = span
    if rule == DIGITS:
        start, stop = widened_number(text, start, stop)
    before = text[start - 1] if start > 0 else ""
    after = text[stop] if stop < len(text) else ""
    if words and (before.isalpha() or after.isalpha()):
        return None
    if rule == WORD and word_touched(text, start, stop):
        return None
    if rule in (DIGITS, UID) and (before.isdigit() or after.isdigit()):
        return None
    if rule == UID and (
        (before == "." and text[start - 2 : start - 1].isdigit())
        or (after == "." and text[stop + 1 : stop + 2].isdigit())
    ):
        return None
    return start, stop


def _replaced(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span (overlapping or adjacent spans as one) replaced by
    [redacted]."""
    if not spans:
        return text
    out, end = [], 0
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:  # (side by side too: "DoeJ" as one)
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    for start, stop in merged:
        out.append(text[end:start] + REDACTED)
        end = stop
    return "".join(out) + text[end:]


def _storable(text: str) -> str:
    """``text`` as SQLite can store it: bytes of a file name that are not valid UTF-8
    (kept by Python as surrogates) become U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_MARKERS = re.compile(f"(?:{re.escape(REDACTED)})+")


def hidden_values(shown: str, raw: str, glued: set[str] | None = None) -> list[str]:
    """What an earlier redaction hid of the path ``raw``, read back from ``shown``, the
    form of it that was stored: the text behind each [redacted] (markers side by side
    count as one). The project never keeps identifiers, but a re-import sees the raw
    path of every file and folder it met before, so it learns again what was hidden and
    hides it as well in the paths it stores now (a changed PNG in a folder named after
    its patient, whose DICOM file is unchanged and not read again). A marker holds no
    slash unless nothing else matches (a date "03/15/1970" spans three folders); then
    the first reading whose values redact ``raw`` into ``shown`` again is taken.
    Nothing comes back when the two do not match, nor pieces under MIN_REDACT_LENGTH
    characters. ``glued`` (if given) gets those a letter touched where they were hidden
    ("JohnDoe" of "scanJohnDoe"), to find anywhere (``redactor``'s ``anywhere``); the
    others follow the rules of any value ("Ali" of "Ali/" not in "malignant")."""
    if REDACTED not in shown:
        return []
    raw = _storable(raw)
    pieces = _MARKERS.split(shown)
    escaped = [re.escape(piece) for piece in pieces]
    found = re.fullmatch(r"([^/\\]+?)".join(escaped), raw, re.DOTALL)
    if found is not None:
        values = [v for v in found.groups() if len(v) >= MIN_REDACT_LENGTH]
        glued_at(raw, [found.span(i + 1) for i in range(len(pieces) - 1)], glued)
        return sorted(set(values))
    # a date written "03/15/1970" hid folders with their slashes: every reading, in turn
    marked = _MARKERS.sub(REDACTED, shown)
    for values in itertools.islice(_readings(pieces, raw), _READINGS):
        anywhere = joined_forms(values) | {v.casefold() for v in values}
        if all(_may_be_hidden(v) for v in values) and (
            _MARKERS.sub(REDACTED, redact(raw, values, joined=anywhere)) == marked
        ):
            spans, at = [], len(pieces[0])
            for value, piece in zip(values, pieces[1:], strict=True):
                spans.append((at, at + len(value)))
                at += len(value) + len(piece)
            glued_at(raw, spans, glued)
            return sorted(set(values))
    return []


def _may_be_hidden(value: str) -> bool:
    """Whether a reading of ``hidden_values`` may have hidden ``value``: long enough, and
    holding a slash only as a date does ("03/15/1970", not "15/1970/DOE_JOHN")."""
    slash = "/" in value or "\\" in value
    return len(value) >= MIN_REDACT_LENGTH and (not slash or bool(_DATE_SHAPE.fullmatch(value)))


_READINGS = 1000  # readings of a path tried at most (a few markers have a few each)


def _readings(pieces: list[str], raw: str) -> Iterator[list[str]]:
    """Every way the text between ``pieces`` (the text around the markers) reads ``raw``:
    the hidden values, shortest first."""
    if not raw.startswith(pieces[0]) or len(raw) < len(pieces[0]) + len(pieces[-1]):
        return
    if not raw.endswith(pieces[-1]):
        return
    yield from _between(pieces[1:], raw, len(pieces[0]), len(raw) - len(pieces[-1]))


def _between(pieces: list[str], raw: str, at: int, end: int) -> Iterator[list[str]]:
    """The readings of ``raw[at:end]`` as a value, then ``pieces[0]``, a value, ...
    (the last piece already matched at ``end``)."""
    if len(pieces) == 1:
        if end > at:
            yield [raw[at:end]]
        return
    piece = pieces[0]
    stop = raw.find(piece, at + 1)
    while 0 <= stop and stop + len(piece) <= end:
        for rest in _between(pieces[1:], raw, stop + len(piece), end):
            yield [raw[at:stop], *rest]
        stop = raw.find(piece, stop + 1)


_TAIL = 8
# key length -> key -> the identifiers it is a key of
_ByLength = dict[int, dict[str, list[str]]]


def redactor(
    identifiers: Iterable[str], *, words: bool = False, anywhere: Iterable[str] = ()
) -> Callable[[str], str]:
    """``redact`` for many texts and many identifiers (an import of thousands of patients):
    each text is scanned once for the identifiers it may hold, by their first three
    letters (long ones, such as UIDs, by their last eight), and only those are
    redacted; a text that holds none comes back as it is (storable, as ``redact``
    makes it). At each place a text is looked up once per key length, so thousands of
    IDs with one prefix ("000...") cost no more than a few. ``anywhere``: values also
    found anywhere, as joined names are (what ``hidden_values`` read back where a letter
    touched it: "JohnDoe" of "scanJohnDoe.png", not "Ali" of "Ali/")."""
    learned = set(anywhere)
    values = sorted(set(identifiers) | learned)
    joined = joined_forms(values) | {v.casefold() for v in learned}
    initials = initials_of(values)
    short: list[tuple[str, str]] = []  # identifiers under 3 characters, if given any
    heads: dict[str, _ByLength] = {}  # by their first 3 characters
    tails: dict[str, _ByLength] = {}  # long ones (UIDs) by their last 8
    for value in values:
        for key in keys_of(value):
            if len(key) < 3:
                short.append((key, value))
                continue
            tail = len(key) >= _TAIL  # UIDs share long prefixes ("1.2.826.0.1.3680043.")
            index = tails.setdefault(key[-_TAIL:], {}) if tail else heads.setdefault(key[:3], {})
            index.setdefault(len(key), {}).setdefault(key, []).append(value)

    def hide(text: str) -> str:
        if not text or not values:
            return _storable(text)
        found = set()
        for low, _, _ in text_keys(_storable(text)):
            found.update(value for part, value in short if part in low)
            for i in range(len(low) - 2):
                for length, keys in heads.get(low[i : i + 3], {}).items():
                    found.update(keys.get(low[i : i + length], ()))
                for length, keys in tails.get(low[i : i + _TAIL], {}).items():
                    if i + _TAIL >= length:
                        found.update(keys.get(low[i + _TAIL - length : i + _TAIL], ()))
        if not found:
            return _storable(text)
        return redact(text, found, words=words, joined=joined, initials=initials)

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


def message_redactor(
    identifiers: Iterable[str], *, anywhere: Iterable[str] = ()
) -> Callable[[str, str], str]:
    """``hide(message, path)`` for problem messages about the file at ``path``. What the
    message quotes as a path (any text with a slash, as decoders quote whole paths) and
    the pieces of ``path`` it names alone (a folder, the file name, its stem) lose every
    trace of an identifier, as stored paths do; the rest loses whole identifier values
    only, as words (see ``sentence_values``). ``anywhere``: as ``redactor``'s."""
    learned = set(anywhere)
    values = sorted(set(identifiers) | learned)
    hide_path = redactor(values, anywhere=learned)
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
    """Whether ``text`` (a DICOM fact, stored whole) holds an identifier anywhere, folded
    as ``redact`` compares: "DoeHead CT", "doej brain", "malignant" for "Ali"."""
    forms = [form for form, _, _ in text_keys(_storable(text))]
    return any(key in form for v in identifiers for key in keys_of(v) for form in forms)
