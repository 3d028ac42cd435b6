"""CSV and TSV text to cells: decoding, comment and ``sep=`` lines, the delimiter, and
the missing-value words (numbers in cells: csv_numbers). Which column is what, and the
layout, are series_table's."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path

from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.shift_jis import looks_japanese

# missing-value words, lower case (compare ``cell.strip().lower()``): Excel's #N/A (#NV in
# German), dashes, "not available" in English and German (k.A.), a lone ? or .
MISSING = (
    *("", "na", "n/a", "nan", "null", "none", "#n/a", "#nv", "n.a.", "k.a."),
    *("-", "--", "\u2013", "\u2014", "?", "."),
)

UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # Excel's "Unicode Text"
# tried in this order after UTF-16 (with its BOM); latin-1 decodes anything (see decoded)
ENCODINGS = ("utf-8-sig", "cp1252", "cp932", "latin-1")

# preference order when several split every line; a space only when nothing else does
DELIMITERS = ("\t", ";", "|", ",", " ")


def decoded(raw: bytes, *, latin1: bool = True) -> tuple[str, str]:
    """(text, encoding) of ``raw``: UTF-16 with its BOM (Excel's "Unicode Text"), UTF-8
    (a BOM or not), else cp1252 (Excel's "CSV" on Windows) or cp932 (Shift-JIS, the same
    on Japanese Windows), whichever fits (``first_fit``), else latin-1, which decodes
    anything; without ``latin1`` a file none of the others fits raises
    UnicodeDecodeError."""
    if raw.startswith(UTF16_BOMS):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    fit = first_fit(raw, ENCODINGS if latin1 else ENCODINGS[:-1])
    if fit is None:
        raw.decode(ENCODINGS[-2])  # (raises the UnicodeDecodeError)
    return fit


def first_fit(raw: bytes, encodings: tuple[str, ...] = ENCODINGS) -> tuple[str, str] | None:
    """(text, encoding) by the first of ``encodings`` that decodes ``raw``, except that
    cp932 goes before cp1252 when both decode it and the cp932 text reads as Japanese
    (shift_jis.looks_japanese): cp1252 decodes nearly anything, into garble. None when
    none decodes it."""
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "cp1252" and "cp932" in encodings and not text.isascii():
            try:
                japanese = raw.decode("cp932")
            except UnicodeDecodeError:
                return text, encoding
            if looks_japanese(japanese):
                return japanese, "cp932"
        return text, encoding
    return None


def read_text(path: Path) -> tuple[str, str | None]:
    """Decode the file (``decoded``): its text, and its encoding unless UTF-8 or -16."""
    text, encoding = decoded(path.read_bytes())
    if "\x00" in text:
        raise ImportProblem(
            "csv-encoding",
            f"{path.name} is not readable text (it holds NUL "
            "bytes: a binary file or an unknown encoding). Save it as UTF-8 CSV.",
        )
    if not text.strip():
        raise ImportProblem("empty", f"{path.name} holds only blank lines. Remove it.")
    return text, None if encoding in ("utf-8-sig", "utf-16") else encoding


def preamble(text: str) -> tuple[str, str | None, str | None]:
    """Excel's ``sep=;`` first line (the delimiter it names) and ``#`` comment lines become
    blank lines (so line numbers stay those of the file): (text, the named delimiter, the
    text of a ``#`` first line, which may be the header numpy.savetxt writes; see
    column_roles.savetxt_header). Comments may hold anything, a patient's name included: they are
    never read as data or names otherwise."""
    if "#" not in text and not text[:4].lower() == "sep=":
        return text, None, None
    lines = text.split("\n")
    given = None
    first = lines[0].strip()
    if first.lower().startswith("sep=") and len(first) == 5:
        given, lines[0] = first[4], ""
    top = lines[0].lstrip()[1:].strip() if lines[0].lstrip().startswith("#") else None
    lines = ["" if line.lstrip().startswith("#") else line for line in lines]
    return "\n".join(lines), given, top


def fields(line: str, delimiter: str) -> list[str]:
    if delimiter == " ":
        return line.split()
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter), [])]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def sniff(text: str) -> str:
    """The delimiter that splits the most sample lines, preferring tab ; | over ,; a space
    only when it splits nearly every line into the same number of fields (a header such
    as "heart rate" above one column of numbers is not two columns)."""
    sample = [line for line in text[:65536].splitlines()[:50] if line.strip()]
    scores = {d: sum(len(r) > 1 for r in csv.reader(sample, delimiter=d)) for d in DELIMITERS}
    body = sample[1:] or sample  # the first line may be a header with fewer names
    widths = Counter(len(line.split()) for line in body)
    width, lines = widths.most_common(1)[0] if widths else (1, 0)
    if width < 2 or lines < 0.9 * len(body):
        scores[" "] = 0
    best = max(scores.values())
    return next(d for d in DELIMITERS if scores[d] == best) if best else ","


def read_rows(text: str, delimiter: str, name: str) -> tuple[list[list[str]], list[int]]:
    """Non-blank records and their line numbers."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    rows, lines = [], []
    try:
        for row in reader:
            if row:
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error as e:
        raise ImportProblem(
            "csv-parse", f"{name} line {reader.line_num} is not valid CSV ({e}). Fix that line."
        ) from None
    return rows, lines
