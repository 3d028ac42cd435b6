"""The ``card-details`` command: see, set or clear the words the project keeps for the
model card of every export (core/export/card_details.py); ``export --card-details FILE``
sets them too (cli_models.py)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from ssl_studio.core.export.card_details import FIELDS, CardDetails, missing_for_sharing
from ssl_studio.core.wording import command_line

CARD_DETAILS_HELP = (
    "a TOML (.toml) or JSON file of the model card's own words, one 'key = \"text\"' per "
    f"field, all optional: {', '.join(FIELDS)}; never write a patient's name or ID in it (a "
    "patient ID of the project is refused, a long number or a full date warned about)"
)


def warn_id_like(details: CardDetails) -> None:
    """Print to stderr what in ``details`` looks like a patient identifier (never the
    text itself; a patient ID the project knows is refused, not warned about)."""
    for said in details.warnings():
        print(f"warning: {said}", file=sys.stderr)


def card_words_lines(details: dict[str, str], project: Path) -> list[str]:
    """What export prints of the card's own words (``details``, as model_card.json holds
    them): those given, and those a colleague will look for that are not."""
    lines = []
    if details:
        titles = ", ".join(FIELDS[key].title for key in details if key in FIELDS)
        lines.append(f"  The card's own words (ssl-studio card-details): {titles}.")
    if missing := missing_for_sharing(details):
        hint = command_line("ssl-studio", "card-details", project, "--set", "FILE")
        lines.append(
            f"  Not on the card: {', '.join(missing)}. Whoever receives the folder will look "
            f"for them; add them for the next export with {hint} (or export "
            "--card-details FILE)."
        )
    return lines


def cmd_card_details(args: argparse.Namespace) -> int:
    from ssl_studio.core.export.card_details import (
        load_card_details,
        remember_card_details,
        remembered_card_details,
    )

    if args.set is not None:
        given = load_card_details(args.set)
        warn_id_like(given)
        remember_card_details(args.project, given)
    elif args.clear:
        remember_card_details(args.project, CardDetails())
        print("The project keeps no card details now; exports say only what SSL Studio knows.")
        return 0
    details = remembered_card_details(args.project).to_dict()
    if not details:
        hint = command_line("ssl-studio", "card-details", args.project, "--set", "FILE")
        print(f"The project keeps no card details. Set them with: {hint}")
        return 0
    print("Card details the project keeps (every export's model card holds them):")
    for key, text in details.items():
        lines = text.splitlines()
        print(f"  {key} ({FIELDS[key].title}): {lines[0]}")
        for line in lines[1:]:
            print(f"      {line}")
    return 0


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the command to the ``ssl-studio`` parser (``add(name, func, help)``)."""
    p = add(
        "card-details",
        cmd_card_details,
        "Show, set or clear what the project's model cards say about the model in your "
        "own words (name, who made it, intended use, data source, ethics approval, ...).",
    )
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--set",
        type=Path,
        metavar="FILE",
        help=CARD_DETAILS_HELP + ". Kept in the project for every later export, in place "
        "of any kept before",
    )
    what.add_argument("--clear", action="store_true", help="forget the details kept")
    what.add_argument("--show", action="store_true", help="show the details kept (the default)")
