"""What only the user can say about a model, for its card (Mitchell et al., Model Cards
for Model Reporting; the CLAIM and TRIPOD+AI reporting items): who made it, for whom and
what, on which data under which approval, its known caveats, how to cite it. Free text,
all optional; written once per project (kept in the project database) and put into every
export's model_card.json (``details``) and MODEL_CARD.md ("About this model").

Free text cannot be fully checked for patient identifiers: the dialog and the command's
help say never to write one; a patient ID the project knows is refused and what looks like
an identifier (a long number, a full date) is warned about (card_identifiers.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.card_identifiers import id_like_warnings, refuse_known_patient_ids
from ssl_studio.core.project.store import Store
from ssl_studio.core.settings_file import read_settings_file
from ssl_studio.core.wording import command_line


class Field(NamedTuple):
    """How a field is shown and how long it may be (``lines``: may hold line breaks)."""

    title: str
    limit: int
    lines: bool


def _detail(title: str, limit: int, lines: bool) -> Any:
    """A field of CardDetails: not given (None) by default, shown as ``title``."""
    return dataclasses.field(default=None, metadata={"field": Field(title, limit, lines)})


@dataclass(frozen=True)
class CardDetails:
    """The user's own words for the model card; None: not given (left out of the card).
    Build it with ``from_dict`` (it checks the values). Each field's title and limit are
    in its metadata (FIELDS reads them from there)."""

    model_name: str | None = _detail("Model name", 120, False)
    model_version: str | None = _detail("Version", 40, False)
    developed_by: str | None = _detail("Developed by", 300, False)
    contact: str | None = _detail("Contact", 300, False)
    intended_users: str | None = _detail("Intended users", 1000, True)
    intended_use: str | None = _detail("Intended use", 2000, True)
    out_of_scope: str | None = _detail("Out-of-scope uses", 2000, True)
    data_source: str | None = _detail("Data source", 2000, True)
    data_licence: str | None = _detail("Data licence", 500, True)
    ethics_approval: str | None = _detail("Ethics approval / data-use agreement", 1000, True)
    caveats: str | None = _detail("Known caveats", 2000, True)
    citation: str | None = _detail("How to cite", 1000, True)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "") -> CardDetails:
        """Checked details from ``{key: text}``; empty text counts as not given. Raises
        ConfigError naming ``where`` (the file, say), the key and what to do."""
        unknown = sorted(set(data) - set(FIELDS))
        if unknown:
            raise ConfigError(
                f"Unknown card detail {', '.join(map(repr, unknown))}"
                f"{f' in {where}' if where else ''}; the known "
                f"ones are: {MEANT}. Rename or remove it."
            )
        return cls(**{key: _checked(key, value, where) for key, value in data.items()})

    def to_dict(self) -> dict[str, str]:
        """The given fields only, in the order of FIELDS."""
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}

    def titled(self) -> dict[str, str]:
        """The given fields as {title: text}, as messages name them."""
        return {FIELDS[k].title: v for k, v in self.to_dict().items()}

    def warnings(self) -> list[str]:
        """What looks like an identifier in the fields (card_identifiers.py): said, not
        refused (an approval number or date looks the same)."""
        return id_like_warnings(self.titled())


# {key: Field}, in the card's order: read from CardDetails, so the two cannot differ
FIELDS: dict[str, Field] = {f.name: f.metadata["field"] for f in dataclasses.fields(CardDetails)}
MEANT = ", ".join(FIELDS)
# what a colleague receiving an export looks for first: who made it and how to reach them,
# where the training data came from and under which licence, and what it is meant for
SHARING_FIELDS = ("developed_by", "contact", "data_source", "data_licence", "intended_use")


def missing_for_sharing(details: dict[str, str]) -> list[str]:
    """The titles of the SHARING_FIELDS that ``details`` (model_card.json's) lacks."""
    return [FIELDS[key].title for key in SHARING_FIELDS if key not in details]


def detail_name(key: str, where: str = "") -> str:
    """How an error names the field ``key``: by its title as the dialog shows it; with a
    file (``where``) also by the key the file spells ("Version (model_version)")."""
    title = FIELDS[key].title
    return f"{title} ({key}) in {where}" if where else title


_KINDS = {"int": "a number", "float": "a number", "bool": "true or false", "list": "a list",
          "dict": "a table"}  # fmt: skip


def _checked(key: str, value: Any, where: str) -> str | None:
    """``value`` as the field ``key`` keeps it: plain text, stripped, within its limit;
    ``where``: the file it was read from ("" when typed in the dialog)."""
    field = FIELDS[key]
    name = detail_name(key, where)
    if value is None:
        return None
    if not isinstance(value, str):
        kind = _KINDS.get(type(value).__name__, f"a {type(value).__name__}")
        raise ConfigError(  # (the value itself is not echoed: it may be an identifier)
            f'{name} is {kind}, not text; write it in quotes: {key} = "...".'
        )
    text = "\n".join(line.strip() for line in value.strip().replace("\r\n", "\n").split("\n"))
    text = text.replace("\t", " ")
    if "\n" in text and not field.lines:
        raise ConfigError(f"{name} must be one line; remove its line breaks.")
    odd = [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Cs")]
    if odd:
        raise ConfigError(
            f"{name} holds a control character ({ascii(odd[0])}); write plain text only."
        )
    if len(text) > field.limit:
        raise ConfigError(
            f"{name} has {len(text)} characters; it may have at most "
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
    except (ValueError, RecursionError):
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


# what card_identifiers tries: a new rule makes details checked by an older one be
# checked again (their markers no longer match)
CHECK_VERSION = 2


def checked_marker(details: CardDetails, keys: set[str]) -> str:
    """A digest of ``details`` and of the project's patient keys ``keys`` (salted keys,
    no IDs): kept with the details once they passed the check, it tells an export that
    the same details were checked against the same patients (nothing to derive again)."""
    said = json.dumps([CHECK_VERSION, details.to_dict(), sorted(keys)], ensure_ascii=False)
    return hashlib.sha256(said.encode()).hexdigest()


def refuse_patient_ids(
    store: Store, details: CardDetails, *, kept: bool = False, checked: str | None = None
) -> str:
    """Raise ConfigError when ``details`` hold the patient ID of a patient of the project
    ``store`` opens (card_identifiers.py; the message never quotes it). Returns the
    ``checked_marker`` of what passed; details whose marker the project kept (checked
    when saved, and no patient added or removed since) are not checked again. ``kept``:
    the details are the project's own (the message says how to edit them); ``checked``:
    the marker of a check just made (check_card_details), which need not be made again."""
    keys = store.patient_keys()
    marker = checked_marker(details, keys)
    if marker in (store.card_details_checked(), checked):
        return marker
    then = "Nothing was saved."
    if kept:
        edit = command_line("ssl-studio", "card-details", store.paths.root, "--set", "FILE")
        then = (
            "These are the card details kept in the project: edit them in the wizard's "
            f"Card details… dialog (export step), or set new ones with {edit} (--clear "
            "forgets them); nothing was exported."
        )
    refuse_known_patient_ids(details.titled(), store.salt, keys, then=then)
    return marker


def check_card_details(project: Path, details: CardDetails) -> str:
    """Refuse (ConfigError) ``details`` holding a patient ID of ``project``, saving
    nothing: what a dialog asks before it warns of what only looks like an identifier
    (a refusal must not follow "press OK again to save"). Returns the check's marker,
    for ``remember_card_details``."""
    with Store.open(Path(project)) as store:
        return refuse_patient_ids(store, details)


def remember_card_details(project: Path, details: CardDetails, checked: str | None = None) -> None:
    """Keep ``details`` in ``project`` for its next exports (empty: forget them); details
    holding a patient ID of the project are refused (ConfigError), nothing is saved.
    ``checked``: check_card_details' marker for these details (not checked again while
    the project's patients are the same)."""
    with Store.open(Path(project), write=True, purpose="saving the card details") as store:
        marker = refuse_patient_ids(store, details, checked=checked)
        store.set_card_details(details.to_dict(), marker)
