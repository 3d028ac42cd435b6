"""Folded spellings of names, for redaction that finds them however a path spells them.

PACS and DICOMDIR exports write names in plain ASCII: ``Weiß^Jörg`` becomes the folder
``WEISS_JOERG`` or ``WEISS JORG``, ``Dupont^Hélène`` becomes ``DUPONT HELENE``. A text
and an identifier are compared on a folded key: casefolded, in compatibility form
(NFKD) with the accents of Latin letters dropped, ß as ss, ø as o, æ as ae, œ as oe,
and letters with no accent to drop as ASCII writes them (ı, ł, đ, ð, þ, ħ, ŀ as i, l,
d, d, th, h, l). An identifier has two keys, one with the German (and Scandinavian,
Serbo-Croatian) transliterations (ä, ö, ü, å, ø, đ as ae, oe, ue, aa, oe, dj) and one
with the accents stripped (a, o, u, a, o, d), so both spellings are found. A folded
text keeps, for every character of its key, the span of the original text it came
from, so a match is redacted in the original text.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

# a text's key, and the start and end in the text of each of its characters
Folded = tuple[str, Sequence[int], Sequence[int]]

# letters with no accent to strip, as ASCII writes them (Yılmaz, Wałęsa, Đorđević,
# Guðrún, Þór, Ħal Far, Ŀ of Catalan "paral·lel")
_ALWAYS = {
    **{"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "ł": "l", "đ": "d"},
    **{"ð": "d", "þ": "th", "ħ": "h", "ŀ": "l"},
}
_TRANSLITERATED = {"ä": "ae", "ö": "oe", "ü": "ue", "å": "aa"}
_TRANSLITERATED_ALL = {**_TRANSLITERATED, "ø": "oe", "đ": "dj"}  # (Ø as O stays usual)


def _is_latin(char: str) -> bool:
    """A Latin letter, whose accents fold away (not Japanese kana's voicing marks)."""
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code < 0x1F00


def _fold_cluster(cluster: str, transliterate: int) -> str:
    """The key of one letter with its combining marks (``"u\\u0308"`` or ``"ü"``):
    ``transliterate`` 1, ä, ö, ü, å transliterated; 2, also ø and đ."""
    low = unicodedata.normalize("NFC", cluster).casefold()
    table = _TRANSLITERATED_ALL if transliterate == 2 else _TRANSLITERATED
    if transliterate and low in table:
        return table[low]
    if low in _ALWAYS:  # before NFKD, which writes ŀ as "l·"
        return _ALWAYS[low]
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


def folded(text: str, transliterate: int = 0) -> Folded:
    """``text``'s key, and for each character of it the start and end (in ``text``) of
    the character it came from. Plain ASCII folds to its lower case, one to one."""
    if text.isascii():
        return text.lower(), range(len(text)), range(1, len(text) + 1)
    return _folded(text, transliterate)


@functools.lru_cache(maxsize=4096)
def _folded(text: str, transliterate: int) -> Folded:
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
    """The keys an identifier is found by: accents stripped and transliterated (ø as o
    and as oe: "Ørsted^Åse" as "ORSTED_AASE" and "OERSTED_AASE")."""
    if value.isascii():
        return frozenset({value.lower()} - {""})
    return frozenset({_folded(value, level)[0] for level in (0, 1, 2)} - {""})


def text_keys(text: str) -> list[Folded]:
    """The folded forms a text is searched in (one, or two where ä, ö, ü, å, ø or đ
    appear)."""
    plain = folded(text)
    if text.isascii():
        return [plain]
    other = folded(text, 2)
    return [plain] if other[0] == plain[0] else [plain, other]
