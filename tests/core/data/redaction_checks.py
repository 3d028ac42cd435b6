"""What the privacy tests share: a path redacted both ways, which must agree."""

from __future__ import annotations

from ssl_studio.core.data.privacy import redact, redactor


def both(text: str, values: list[str]) -> str:
    """``redact`` and ``redactor`` of ``text`` for ``values``, which must agree."""
    out = redact(text, values)
    assert redactor(values)(text) == out
    return out
