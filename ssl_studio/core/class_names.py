"""One spelling per class name, whichever way it was typed or stored.

A class named in a CSV typed on Windows (NFC: "é" is one character) and the same class
as a macOS folder name (NFD: "e" and a combining accent) look the same and compare
different; so do "rare one" and "rare  one". Labels are read through ``Spellings``, which
gives each name its NFC form with runs of white space made one space, and remembers the
spellings it merged so the user is told (capitals are left alone: "Normal" and "normal"
stay apart and are warned about where the counts are made, see labels.py).
"""

from __future__ import annotations

import unicodedata

EXAMPLES = 5  # how many merged names a warning quotes


def class_name(text: str) -> str:
    """``text`` as a class name: NFC, no leading or trailing white space, and every run
    of white space inside one plain space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class Spellings:
    """Class names read one by one (``spellings(raw) -> name``), and a warning naming any
    two spellings that became one class."""

    def __init__(self) -> None:
        self.seen: dict[str, set[str]] = {}

    def __call__(self, raw: str) -> str:
        name = class_name(raw)
        self.seen.setdefault(name, set()).add(raw.strip())
        return name

    def warnings(self) -> list[str]:
        merged = [_how(name, spelled) for name, spelled in sorted(self.seen.items())]
        merged = [m for m in merged if m]
        if not merged:
            return []
        more = f" and {len(merged) - EXAMPLES} more" if len(merged) > EXAMPLES else ""
        return [
            f"Class names written in more than one way were taken as one class: "
            f"{'; '.join(merged[:EXAMPLES])}{more}. If they are different classes, give "
            "them different names."
        ]


def _how(name: str, spelled: set[str]) -> str:
    """How the spellings of class ``name`` differed ("" when there was one): in their
    spaces (shown), and/or in how accented letters are encoded (invisible, so said)."""
    if len(spelled) < 2:
        return ""
    forms = sorted({unicodedata.normalize("NFC", s) for s in spelled})
    ways = []
    if len(forms) > 1:
        ways.append(" / ".join(f"'{f}'" for f in forms))
    if len(forms) < len(spelled):
        ways.append(
            "accented letters encoded in two ways, as macOS folder names and typed text can be"
        )
    return f"'{name}' ({'; '.join(ways)})"
