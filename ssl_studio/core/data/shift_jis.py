"""Telling a Shift-JIS (cp932) file from a Windows-1252 one. Nearly any bytes decode as
cp1252 (it leaves only five undefined), so a Japanese Excel CSV decodes "successfully"
as garble (時間 as ``ŽžŠÔ``); and Western text may decode as cp932 too ("cœur" holds a
byte pair that is a kanji). Japanese text is told by what cp932 makes of it: every
character beyond ASCII is Japanese (kanji, kana, full-width forms, the symbols of
Japanese documents; never half-width katakana, which is what Western accented capitals
and ``°``/``µ`` become), and most of them stand next to another (words of two or more
kanji or kana), where a Western accent read as cp932 gives one kanji between Latin
letters."""

from __future__ import annotations

import re

_WIDE_RUN = re.compile(r"[^\x00-\x7f]+")
# Unicode blocks cp932 text uses: CJK symbols and punctuation, kana, CJK ideographs (and
# extension A), enclosed and compatibility forms (①, ㎜), full-width forms; symbols
# such as ℃ ※ → ─ and ° × ÷
_JAPANESE = re.compile(
    "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3200-\u33ff"
    "\u2010-\u2312\u2460-\u24ff\u2500-\u257f\u25a0-\u26ff\uff01-\uff60\uffe0-\uffe5"
    "\u00a7\u00a8\u00b0\u00b1\u00b4\u00b6\u00d7\u00f7\u0391-\u03c9\u0401-\u0451]+"
)


def looks_japanese(text: str) -> bool:
    """Whether ``text`` (a file decoded as cp932) reads as Japanese (see the module)."""
    runs = [run.group() for run in _WIDE_RUN.finditer(text)]
    if not runs or not all(_JAPANESE.fullmatch(run) for run in runs):
        return False
    wide = sum(len(run) for run in runs)
    return 2 * sum(len(run) for run in runs if len(run) > 1) >= wide >= 2
