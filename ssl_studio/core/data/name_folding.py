"""Folded spellings of names, for redaction that finds them however a path spells them.

PACS and DICOMDIR exports write names in plain ASCII: ``Weiß^Jörg`` becomes the folder
``WEISS_JOERG`` or ``WEISS JORG``, ``Dupont^Hélène`` becomes ``DUPONT HELENE``. A text
and an identifier are compared on a folded key: casefolded, in compatibility form
(NFKD) with the accents of Latin letters dropped, ß as ss, ø as o, æ as ae and œ as oe.
An identifier has two keys, one with the German (and Scandinavian) transliterations
(ä, ö, ü, å as ae, oe, ue, aa) and one with the accents stripped (a, o, u, a), so both
spellings are found. A folded text keeps, for every character of its key, the span of
the original text it came from, so a match is redacted in the original text.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

# a text's key, and the start and end in the text of each of its characters
Folded = tuple[str, Sequence[int], Sequence[int]]

_ALWAYS = {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe"}
_TRANSLITERATED = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa"}


def _is_latin(char: str) -> bool:
    """A Latin letter, whose accents fold away (not Japanese kana's voicing marks)."""
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code < 0x1F00


def _fold_cluster(cluster: str, transliterate: bool) -> str:
    """The key of one letter with its combining marks (``"u\\u0308"`` or ``"ü"``)."""
    low = unicodedata.normalize("NFC", cluster).casefold()
    if transliterate and low in _TRANSLITERATED:
        return _TRANSLITERATED[low]
    chars = unicodedata.normalize("NFKD", low)
    latin = bool(chars) and _is_latin(chars[0])
    return "".join(_ALWAYS.get(c, c) for c in chars if not (latin and unicodedata.combining(c)))


def _clusters(text: str) -> list[tuple[int, int]]:
    """The spans of ``text``'s characters, each with the combining marks after it."""
    spans: list[tuple[int, int]] = []
    for i, char in enumerate(text):
        if spans and unicodedata.combining(char):
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def folded(text: str, transliterate: bool = False) -> Folded:
    """``text``'s key, and for each character of it the start and end (in ``text``) of
    the character it came from. Plain ASCII folds to its lower case, one to one."""
    if text.isascii():
        return text.lower(), range(len(text)), range(1, len(text) + 1)
    return _folded(text, transliterate)


@functools.lru_cache(maxsize=4096)
def _folded(text: str, transliterate: bool) -> Folded:
    key: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for start, end in _clusters(text):
        piece = _fold_cluster(text[start:end], transliterate)
        key.append(piece)
        starts.extend([start] * len(piece))
        ends.extend([end] * len(piece))
    return "".join(key), tuple(starts), tuple(ends)


@functools.lru_cache(maxsize=65536)
def keys_of(value: str) -> frozenset[str]:
    """The keys an identifier is found by: accents stripped and transliterated."""
    if value.isascii():
        return frozenset({value.lower()} - {""})
    return frozenset({_folded(value, False)[0], _folded(value, True)[0]} - {""})


def text_keys(text: str) -> list[Folded]:
    """The folded forms a text is searched in (one, or two where ä, ö, ü or å appear)."""
    plain = folded(text)
    if text.isascii():
        return [plain]
    other = folded(text, True)
    return [plain] if other[0] == plain[0] else [plain, other]
