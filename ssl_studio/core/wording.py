"""Small pieces of wording shared by the command line and the app."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``0 files`` (for nouns whose plural adds an s)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
