"""MODEL_CARD.md's "About this model": the user's card details (card_details.py) as a
list, each text escaped so that no Markdown in it (a heading, a table row, a link, HTML)
can change the card's layout."""

from __future__ import annotations

import re
from typing import Any

from ssl_studio.core.export.card_details import FIELDS

# characters that mean something anywhere in a Markdown line (CommonMark, with tables)
_INLINE = re.compile(r"([\\`*_\[\]<>|#~&!])")
# what means something only at the start of a line: a list item, a numbered item, a
# setext heading's underline
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def markdown_text(text: str) -> str:
    """``text`` as literal Markdown: each line stripped and escaped, lines joined by hard
    line breaks (blank lines dropped) so the text stays in one list item or paragraph."""
    lines = []
    for line in text.splitlines():
        line = _INLINE.sub(r"\\\1", line.strip())
        line = _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", line)
        if line:
            lines.append(line)
    return "  \n  ".join(lines)


def code_span(text: str) -> str:
    """``text`` (a user's name, a version) as inline code; escaped text where a backtick
    in it would end the code span."""
    return markdown_text(text) if "`" in text else f"`{text}`"


def about_lines(card: dict[str, Any]) -> list[str]:
    """The section's lines, blank line after; [] when the card has no details (intended
    use is said in "What it does", where the generated sentence stands otherwise)."""
    details = card.get("details") or {}
    rows = [
        f"- **{field.title}**: {markdown_text(str(details[key]))}"
        for key, field in FIELDS.items()
        if details.get(key) and key != "intended_use"
    ]
    return ["## About this model", "", *rows, ""] if rows else []


def title(card: dict[str, Any]) -> str:
    """The card's heading: the model's name and version when the user gave them, else
    the generated name (``name`` in model_card.json)."""
    details = card.get("details") or {}
    if not details.get("model_name"):
        return card["name"]
    version = f" {details['model_version']}" if details.get("model_version") else ""
    return markdown_text(f"{details['model_name']}{version}")
