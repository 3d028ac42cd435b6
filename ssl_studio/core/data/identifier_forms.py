"""The strings an identifier is redacted as: a name by its parts and joined as folders
and letters write it, a date as people write it, an ID also without its leading zeros
(see ``identifier_values``; ``privacy`` redacts them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MIN_REDACT_LENGTH = 3  # shorter values ("1", "AB") would redact half of every path
# an all-digit ID this long is found inside longer numbers too: exports name files by
# the patient ID and an image counter ("1234567001.dcm")
LONG_NUMBER = 6


def long_number(value: str) -> bool:
    """Whether ``value`` is an all-digit ID of LONG_NUMBER digits or more that is no
    date (a date keeps its digit boundaries, a time may follow it: ``privacy._fits``)."""
    return value.isdigit() and len(value) >= LONG_NUMBER and not _eight_digit_date(value)


def _eight_digit_date(value: str) -> bool:
    """Whether ``value`` reads as a date of 8 digits: YYYYMMDD, DDMMYYYY or MMDDYYYY."""
    if len(value) != 8:
        return False
    readings = ((value[:4], value[4:6], value[6:]), (value[4:], value[2:4], value[:2]))
    readings += ((value[4:], value[:2], value[2:4]),)
    return any(
        y[:2] in ("19", "20") and "01" <= m <= "12" and "01" <= d <= "31" for y, m, d in readings
    )


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
                found.update(_name_forms(group))
            if re.fullmatch(r"\d{8}", text):
                found.update(_written_dates(text[:4], text[4:6], text[6:]))
            found.update(_id_forms(text))
    return sorted((v for v in found if _long_enough(v)), key=len, reverse=True)


def _name_forms(group: str) -> set[str]:
    """The forms of one group of a DICOM name (``"O'Brien^Seán^^Dr^III"``) to redact: its
    family, given and middle names (not the prefix or suffix: "Dr" or "III" alone name
    nobody, and "grade_III" must survive), alone and joined (``_joined_names``); a name
    with an apostrophe or hyphen also in pieces and without it ("O'Brien": "Brien",
    "OBrien", "O_Brien"; "Meyer-Lüdenscheidt": "Meyer", "Meyer_Lüdenscheidt", ...)."""
    words = [w for c in group.split("^")[:3] for w in re.split(r"[\s,]+", c) if w]
    found = _joined_names(words)
    if any(_INNER.search(w) for w in words):
        for sep in ("", "_", " "):
            found.update(_joined_names([_INNER.sub(sep, w) for w in words]))
        found.update(p for w in words for p in _INNER.split(w) if p)
    return found


_INNER = re.compile(r"['\u2019-]+")  # apostrophes and hyphens inside a name


def _id_forms(text: str) -> set[str]:
    """An ID's other spellings: without leading zeros when 5 digits or more remain
    ("0012345" as "12345"; "0000123" not as "123", found in every other path), and
    one with a letter prefix with or without a separator ("A0012345": "A-0012345",
    "A_0012345", "A12345")."""
    if text.isdigit() and text.startswith("0") and len(text.lstrip("0")) >= 5:
        return {text.lstrip("0")}
    prefixed = re.fullmatch(r"([A-Za-z]+)[-_]?(0+)(\d{3,})", text)
    if prefixed is None:
        return set()
    letters, zeros, digits = prefixed.groups()
    forms = {letters + sep + zeros + digits for sep in ("", "-", "_")}
    return forms | ({letters + digits} if len(digits) >= 5 else set())


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
        *(sep.join((year, month, day)) for sep in ("-", "_", ".", "/")),
        *(sep.join((day, month, year)) for sep in (".", "-", "_", "", "/")),
        *(sep.join((month, day, year)) for sep in ("-", "_", "/")),
        *(sep.join((day, month, year[2:])) for sep in (".", "-", "/", "_")),
        "/".join((month, day, year[2:])),
    }


def _long_enough(value: str) -> bool:
    """Long enough to redact without hollowing out every path (see identifier_values)."""
    if len(value) >= MIN_REDACT_LENGTH:
        return True
    return len(value) == 2 and all(c.isalpha() and not c.isascii() for c in value)


_YYYYMMDD = re.compile(r"(?:1[89]|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_TIME = re.compile(r"\d+")


WIDE_ID = 5  # digits an ID needs to be found behind more leading zeros


def widened_number(text: str, start: int, stop: int) -> tuple[int, int]:
    """A number's match with the leading zeros before it ("00" of "0012345" for "12345")
    when it has WIDE_ID digits or more (not "0123" of "IM0123" for "123", nor every
    "IM0001" for "001") and, for a date (YYYYMMDD), the time of 2, 4 or 6 digits after
    it. A match with a digit after it is no match (``privacy._fits``): it comes back as
    it is, so a long run of zeros is not walked back from each of its places."""
    if _YYYYMMDD.fullmatch(text, start, stop):
        time = _TIME.match(text, stop)
        if time is not None and len(time.group()) in (2, 4, 6):
            stop = time.end()
    if text[stop : stop + 1].isdigit() or sum(c.isdigit() for c in text[start:stop]) < WIDE_ID:
        return start, stop
    while start > 0 and text[start - 1] == "0":
        start -= 1
    return start, stop
