"""``ssl-studio remove``: delete runs or a dataset from a project (core/project/removal.py),
after saying what goes and asking (``--yes`` answers for scripts)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ssl_studio.cli_output import EXIT_OK, EXIT_USAGE


def cmd_remove(args: argparse.Namespace) -> int:
    from ssl_studio.core.project.removal import (
        plan_dataset_removal,
        plan_run_removal,
        remove,
    )
    from ssl_studio.core.project.store import Store
    from ssl_studio.core.wording import size_text

    with Store.open(args.project) as store:
        if args.dataset is not None:
            plan = plan_dataset_removal(store, args.dataset, args.with_dependents)
        else:
            plan = plan_run_removal(store, args.run, args.with_dependents)
    if not args.yes:
        print(plan.describe(), file=sys.stderr)
        if not sys.stdin.isatty():
            print(
                "ssl-studio: nothing was removed; add --yes to remove without being asked.",
                file=sys.stderr,
            )
            return EXIT_USAGE
        try:
            answer = input("Remove? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing was removed.", file=sys.stderr)
            return EXIT_OK
    result = remove(args.project, plan)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return EXIT_OK
    what = []
    if result["dataset"] is not None:
        what.append(f"dataset '{result['dataset']}'")
    if result["runs"]:
        ids = result["runs"]
        what.append(("run " if len(ids) == 1 else "runs ") + ", ".join(str(i) for i in ids))
    print(f"Removed {' and '.join(what)}: {size_text(result['freed_bytes'])} freed.")
    for line in result["left"]:
        print(f"  {line}")
    for name in result["copies_removed"]:
        print(f"  Deleted {name}, the copy made before an upgrade that held it too.")
    if result["still_in_database"]:
        print(f"  {result['still_in_database']}")
    if result["exports_kept"]:
        print(f"  Exported models kept: {', '.join(result['exports_kept'])}")
    return EXIT_OK


def register(add) -> None:  # noqa: ANN001 - cli.build_parser's add()
    p = add(
        "remove",
        cmd_remove,
        "Delete runs (with their checkpoints) or a dataset (with its labels and cache) "
        "from a project, to tidy it or free disk space. Exported models are kept.",
    )
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--run", type=int, nargs="+", metavar="RUN", help="the runs to remove (numbers from info)"
    )
    what.add_argument("--dataset", metavar="NAME", help="the dataset to remove")
    p.add_argument(
        "--with-dependents",
        action="store_true",
        help="also remove what was made from them: runs fine-tuned from a pretraining run, "
        "every run on a dataset",
    )
    p.add_argument(
        "--yes", action="store_true", help="do not ask first (needed when not at a terminal)"
    )
    p.add_argument("--json", action="store_true", help="print what was removed as JSON")
