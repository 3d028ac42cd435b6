"""``ssl-studio remove``: delete runs or a dataset from a project (core/project/removal.py),
or erase files or a patient's files from a dataset (core/erasure.py), after saying what
goes and asking (``--yes`` answers for scripts)."""

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

    if args.file or args.patient:
        if args.dataset is None:
            print(
                "ssl-studio: --file and --patient erase from a dataset: name it (--dataset NAME).",
                file=sys.stderr,
            )
            return EXIT_USAGE
        return _erase(args)
    with Store.open(args.project) as store:
        if args.dataset is not None:
            plan = plan_dataset_removal(store, args.dataset, args.with_dependents)
        else:
            plan = plan_run_removal(store, args.run, args.with_dependents)
    if not args.yes and (status := _ask(plan.describe(), "remove")) is not None:
        return status
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
    print(f"Removed {' and '.join(what)}: {_freed(result)}.")
    _print_aftermath(result)
    return EXIT_OK


def _freed(result: dict) -> str:
    """``36 MB freed``; when folders could not be deleted, what was really freed of what
    they held (their lines follow: _print_aftermath)."""
    from ssl_studio.core.wording import size_text

    freed, held = result["freed_bytes"], result["bytes_on_disk"]
    if freed >= held:
        return f"{size_text(freed)} freed"
    kept = "what follows could not be deleted"
    return f"only {size_text(freed)} of {size_text(held)} freed, as {kept}"


def _print_aftermath(result: dict) -> None:
    """What a removal or an erasure could not delete, the upgrade copies it deleted, data
    another program kept in the database for now, and the exports it kept."""
    for line in result["left"]:
        print(f"  {line}")
    for name in result["copies_removed"]:
        print(f"  Deleted {name}, the copy made before an upgrade that held it too.")
    if result["still_in_database"]:
        print(f"  {result['still_in_database']}")
    if result["exports_kept"]:
        print(f"  Exported models kept: {', '.join(result['exports_kept'])}")


def _ask(question: str, verb: str) -> int | None:
    """Ask ``question``; None to go on, else the exit status (nothing was done)."""
    print(question, file=sys.stderr)
    if not sys.stdin.isatty():
        print(
            f"ssl-studio: nothing was {verb}d; add --yes to {verb} without being asked.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        answer = input(f"{verb.capitalize()}? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        print(f"Nothing was {verb}d.", file=sys.stderr)
        return EXIT_OK
    return None


def _erase(args: argparse.Namespace) -> int:
    """Erase files (or patients' files) from a dataset. The patient IDs given are used
    only to compute their salted keys: never printed, stored or put in the JSON."""
    from ssl_studio.core.erasure import erase, plan_erasure
    from ssl_studio.core.project.store import Store
    from ssl_studio.core.wording import counted, size_text

    with Store.open(args.project) as store:
        plan = plan_erasure(
            store, args.dataset, args.file or [], args.patient or [], args.with_dependents
        )
    if not args.yes and (status := _ask(plan.describe(), "erase")) is not None:
        return status
    result = erase(args.project, plan)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
        return EXIT_OK
    print(
        f"Erased {counted(result['items'], 'item')} of {counted(result['files'], 'file')} "
        f"from dataset '{result['dataset']}' ({size_text(result['cache_bytes_zeroed'])} of "
        "cached data zeroed)."
    )
    for name, version, n in result["labels_lost"]:
        print(f"  Label set '{name}' (version {version}) lost {counted(n, 'label')}.")
    if result["runs"]:
        ids = ", ".join(str(i) for i in result["runs"])
        print(f"  Removed run{'s' if len(result['runs']) > 1 else ''} {ids}: {_freed(result)}.")
    _print_aftermath(result)
    if result["elsewhere"]:
        names = ", ".join(f"'{name}'" for name in result["elsewhere"])
        print(f"  Files at the same paths stay in dataset(s) {names}: erase them there too.")
    print(f"  {result['outside']}")
    return EXIT_OK


def register(add) -> None:  # noqa: ANN001 - cli.build_parser's add()
    p = add(
        "remove",
        cmd_remove,
        "Delete runs (with their checkpoints) or a dataset (with its labels and cache) "
        "from a project, to tidy it or free disk space, or erase files or a patient's "
        "files from a dataset (right to erasure). Exported models are kept.",
    )
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--run", type=int, nargs="+", metavar="RUN", help="the runs to remove (numbers from info)"
    )
    what.add_argument(
        "--dataset",
        metavar="NAME",
        help="the dataset to remove (or, with --file/--patient, to erase from)",
    )
    p.add_argument(
        "--file",
        action="extend",
        nargs="+",
        metavar="PATH",
        help="erase these files from the dataset (their items, labels, import history and "
        "cached data; the file stays on disk and is not imported again)",
    )
    p.add_argument(
        "--patient",
        action="append",
        metavar="ID",
        help="erase every file of this patient from the dataset (the ID as written in the "
        "DICOM header or the series' id column; never stored or shown)",
    )
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
