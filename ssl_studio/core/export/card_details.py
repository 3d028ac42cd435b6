"""What only the user can say about a model, for its card (Mitchell et al., Model Cards
for Model Reporting; the CLAIM and TRIPOD+AI reporting items): who made it, for whom and
what, on which data under which approval, its known caveats, how to cite it. Free text,
all optional; written once per project (kept in the project database) and put into every
export's model_card.json (``details``) and MODEL_CARD.md ("About this model").

Nobody can check free text for patient identifiers: the dialog and the command's help say
never to write one.
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import Store
from ssl_studio.core.settings_file import read_settings_file


class Field(NamedTuple):
    """How a field is shown and how long it may be (``lines``: may hold line breaks)."""

    title: str
    limit: int
    lines: bool


FIELDS: dict[str, Field] = {
    "model_name": Field("Model name", 120, False),
    "model_version": Field("Version", 40, False),
    "developed_by": Field("Developed by", 300, False),
    "contact": Field("Contact", 300, False),
    "intended_users": Field("Intended users", 1000, True),
    "intended_use": Field("Intended use", 2000, True),
    "out_of_scope": Field("Out-of-scope uses", 2000, True),
    "data_source": Field("Data source", 2000, True),
    "data_licence": Field("Data licence", 500, True),
    "ethics_approval": Field("Ethics approval / data-use agreement", 1000, True),
    "caveats": Field("Known caveats", 2000, True),
    "citation": Field("How to cite", 1000, True),
}
MEANT = ", ".join(FIELDS)


@dataclass(frozen=True)
class CardDetails:
    """The user's own words for the model card; None: not given (left out of the card).
    Build it with ``from_dict`` (it checks the values)."""

    model_name: str | None = None
    model_version: str | None = None
    developed_by: str | None = None
    contact: str | None = None
    intended_users: str | None = None
    intended_use: str | None = None
    out_of_scope: str | None = None
    data_source: str | None = None
    data_licence: str | None = None
    ethics_approval: str | None = None
    caveats: str | None = None
    citation: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> CardDetails:
        """Checked details from ``{key: text}``; empty text counts as not given. Raises
        ConfigError naming ``where`` (the file, say), the key and what to do."""
        place = f" in {where}" if where else ""
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ConfigError(
                f"Unknown card detail {', '.join(map(repr, unknown))}{place}; the known "
                f"ones are: {MEANT}. Rename or remove it."
            )
        return cls(**{key: _checked(key, value, place) for key, value in data.items()})

    def to_dict(self) -> dict[str, str]:
        """The given fields only, in the order of FIELDS."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def _checked(key: str, value: Any, place: str) -> str | None:
    """``value`` as the field ``key`` keeps it: plain text, stripped, within its limit."""
    field = FIELDS[key]
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(
            f"Card detail {key}{place} is {type(value).__name__} {value!r}, not text; write "
            f'it in quotes: {key} = "{value}".'
        )
    text = "\n".join(line.strip() for line in value.strip().replace("\r\n", "\n").split("\n"))
    text = text.replace("\t", " ")
    if "\n" in text and not field.lines:
        raise ConfigError(f"Card detail {key}{place} must be one line; remove its line breaks.")
    odd = [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs")]
    if odd:
        raise ConfigError(
            f"Card detail {key}{place} holds a control character ({ascii(odd[0])}); write "
            "plain text only."
        )
    if len(text) > field.limit:
        raise ConfigError(
            f"Card detail {key}{place} has {len(text)} characters; it may have at most "
            f"{field.limit}. Shorten it (a reference to a longer document will do)."
        )
    return text or None


def load_card_details(path: Path) -> CardDetails:
    """The details in a TOML (``.toml``) or JSON file of ``key = "text"`` lines."""
    return CardDetails.from_dict(read_settings_file(path, "card details file"), str(path))


def stored_details(text: str | None) -> CardDetails:
    """Details as the project database keeps them (JSON; see Store.card_details); a key a
    newer SSL Studio wrote, or a value it cannot read, is left out rather than refused."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        return CardDetails()
    kept = {}
    for key, value in data.items():
        try:
            kept[key] = _checked(key, value, "")
        except (KeyError, ConfigError):
            continue
    return CardDetails(**kept)


def remembered_card_details(project: Path) -> CardDetails:
    """The details last saved in ``project`` (none: all None)."""
    with Store.open(Path(project)) as store:
        return stored_details(store.card_details())


def remember_card_details(project: Path, details: CardDetails) -> None:
    """Keep ``details`` in ``project`` for its next exports (empty: forget them)."""
    with Store.open(Path(project), write=True, purpose="saving the card details") as store:
        store.set_card_details(details.to_dict())
