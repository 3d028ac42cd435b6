"""The ``ssl-studio`` command line. Every job the app runs can run from here.

Exit codes: 0 done (files that could not be imported are reported, not fatal),
1 the job failed (the message says why), 2 bad command line, 75 the project is busy
(another process is changing it; --wait waits), 130 cancelled (Ctrl+C).
The GUI is imported only by the commands that open it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ssl_studio import TEMP_PROBLEM, __version__
from ssl_studio.cli_output import (
    EXIT_BUSY,
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    WRITERS,
    TextReporter,
    default_signals,
    lock_wait,
    mb,
    print_import_summary,
    reader_gone,
    signals_kept,
    silence_stdout,
    stop_on_ctrl_c,
    tolerant_stdout,
)
from ssl_studio.core.cores import quota_threads
from ssl_studio.core.errors import NotAProjectError, ProjectLockedError, SSLStudioError
from ssl_studio.core.project.journal import notices_to
from ssl_studio.core.project.lock import waiting_for_writers
from ssl_studio.display_check import display_problem, qt_library_problem

__all__ = [
    "EXIT_BUSY",
    "EXIT_CANCELLED",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "display_problem",
    "main",
]

DEFAULT_DEMO_DIR = Path.home() / "SSL Studio" / "demo"
# How long an idle OpenMP thread (Linux's libgomp) spins before it sleeps. By default it
# spins so long that on a busy CPU it takes the core from the thread it waits for: steps
# were 1.5-7x slower at 2 threads than at 1 while other programs ran, and no slower at
# 10 000 on an idle CPU (a user's GOMP_SPINCOUNT or OMP_WAIT_POLICY is kept).
SPIN_COUNT = "10000"
SMOKE_TEST_OFFSCREEN = (
    "To check the installation without a display: "
    "QT_QPA_PLATFORM=offscreen ssl-studio gui --smoke-test"
)


# ---- commands --------------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import create_project

    create_project(args.project)
    print(f"Created project {args.project}")
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from ssl_studio.cli_info import print_dataset
    from ssl_studio.core.project.info import project_info
    from ssl_studio.core.project.label_changes import changed_advice

    if args.run is not None:
        return _print_run_record(args)
    info = project_info(args.project)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return EXIT_OK
    print(f"Project {info['project']} (schema {info['schema_version']})")
    if info["project_id"]:
        print(f"  Project id: {info['project_id']}")
    if not info["datasets"]:
        print("  No datasets yet: ssl-studio import PROJECT_DIR FOLDER")
    for d in info["datasets"]:
        print_dataset(d, info["project"])
    print(f"  Cache: {mb(info['totals']['cache_bytes'])}")
    if info["runs"]:
        print("Runs (newest first):")
    for r in info["runs"]:
        origin = f" from run {r['parent_run']}" if r["parent_run"] else ""
        steps = f", {r['steps']} steps" if r["steps"] else ""
        quality = f", {r['quality_title']} {r['quality']:.3f}" if r["quality"] is not None else ""
        print(
            f"  {r['id']}: {r['kind']} {r['task']} {r['backbone']} on '{r['dataset']}'"
            f"{origin}: {r['status_text']}{steps}{quality}"
        )
        if r["labels_changed"]:
            print(f"     {changed_advice(r['labels_changed'])}")
    return EXIT_OK


def _print_run_record(args: argparse.Namespace) -> int:
    """``info --run N``: the run's whole record (JSON with --json, else indented lines)."""
    from ssl_studio.core.project.run_record import run_record

    record = run_record(args.project, args.run)
    if args.json:
        print(json.dumps(record, indent=2, sort_keys=True))
        return EXIT_OK
    print(
        f"Run {record['id']}: {record['kind']} {record['task']} {record['backbone']} on "
        f"'{record['dataset']}'"
        + (f" from run {record['parent_run']}" if record["parent_run"] else "")
        + f": {record['status']}"
    )
    keys = ("project_id", "created", "started", "finished", "device", "processes", "folder")
    for key in (*keys, "error"):
        if record[key] is not None:
            print(f"  {key}: {record[key]}")
    for key in ("config", "versions", "fingerprint", "split", "summary"):
        if record[key]:
            print(f"  {key}:")
            for line in json.dumps(record[key], indent=2, sort_keys=True).splitlines()[1:-1]:
                print(f"  {line}")
    steps = ", ".join(f"{c['step']} ({c['kind']})" for c in record["checkpoints"])
    print(f"  checkpoints: {steps or 'none'}")
    if len(record["sessions"]) > 1:  # resumed: each session's processes and device
        print("  sessions:")
        for s in record["sessions"]:
            end = "?" if s["to_step"] is None else s["to_step"]
            print(
                f"    steps {s['from_step']}-{end}: {s['processes']} process(es) on "
                f"{s['device']}, started {s['started']}"
            )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ssl_studio.core.project.store import Store
    from ssl_studio.core.project.store.import_report import report_groups
    from ssl_studio.core.wording import counted

    with Store.open(args.project) as store:
        if args.dataset:
            store.dataset_named(args.dataset)  # (an unknown name: the datasets there are)
        datasets = [d for d in store.datasets() if args.dataset in (None, d["name"])]
        report = {d["name"]: store.import_errors(d["id"]) for d in datasets}
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    for name, rows in report.items():
        left_out, notes, links = report_groups(rows)
        print(f"{name}: {counted(len(left_out), 'file')} left out")
        for row in left_out:
            print(f"  [{row['severity']}] {row['path']}: {row['message']} ({row['code']})")
        for rows_of, noun, heading in (
            (notes, "note", "on imported files"),  # (columns named otherwise than most files')
            (links, "link", "to folders (not followed back up, or followed elsewhere)"),
        ):
            if rows_of:
                print(f"{name}: {counted(len(rows_of), noun)} {heading}")
            for row in rows_of:
                print(f"  [{row['severity']}] {row['path']}: {row['message']} ({row['code']})")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import create_demo

    folder = args.project or DEFAULT_DEMO_DIR
    if not args.no_gui and (problem := display_problem()) is not None:
        raise SSLStudioError(problem)  # said before the import, not after it
    results = create_demo(folder, report=TextReporter(), stop=stop_on_ctrl_c())
    for summary in results.values():
        print_import_summary(summary)
    if any(summary["cancelled"] for summary in results.values()):
        print(f"Stopped; run ssl-studio demo again to finish the demo project in {folder}.")
        return EXIT_CANCELLED
    print(f"Demo project: {folder}")
    if args.no_gui:
        return EXIT_OK
    default_signals()  # the import's handler would only print "Stopping..." in the window
    return _open_gui(folder)


def cmd_gui(args: argparse.Namespace) -> int:
    return _open_gui(args.project, smoke_test=args.smoke_test)


def _open_gui(project: Path | None, *, smoke_test: bool = False) -> int:
    problem = display_problem()
    if problem is not None and smoke_test and "QT_QPA_PLATFORM" not in os.environ:
        problem += f" {SMOKE_TEST_OFFSCREEN}"
    if problem is not None:
        raise SSLStudioError(problem)
    try:
        from ssl_studio.gui.app import run_app
    except ImportError as exc:  # a system library Qt needs (libEGL.so.1): not a bug
        if (problem := qt_library_problem(exc)) is None:
            raise
        raise SSLStudioError(problem) from exc

    return run_app(project, smoke_test=smoke_test)


# ---- parser ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssl-studio",
        description="Self-supervised pretraining for unlabeled medical images and time series.",
    )
    parser.add_argument("--version", action="version", version=f"ssl-studio {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], text: str):
        p = sub.add_parser(name, help=text, description=text.replace("%%", "%"))
        p.set_defaults(func=func, flags=lambda: option_flags(p))
        if name in WRITERS:
            p.add_argument(
                "--wait",
                action="store_true",
                help="when another process is changing the project, wait until it is done "
                "instead of exiting with 75: jobs queued on one project run one after another",
            )
            p.add_argument(
                "--wait-at-most",
                type=float,
                metavar="SECONDS",
                help="as --wait, for at most SECONDS (then exit 75)",
            )
        return p

    p = add("new", cmd_new, "Create an empty project folder.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")

    from ssl_studio import cli_card, cli_import, cli_models, cli_pretrain, cli_remove, cli_results

    cli_import.register(add)

    p = add("info", cmd_info, "Show a project's datasets, item counts, errors and runs.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    p.add_argument(
        "--run",
        type=int,
        metavar="N",
        help="show run N's whole record instead: its config and the options in effect, "
        "package versions, data fingerprint, checkpoints and split sizes (what "
        "reproducing its result needs)",
    )

    p = add(
        "report",
        cmd_report,
        "List every file an import left out, and why, and notes on imported files.",
    )
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--dataset", help="only this dataset")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    cli_pretrain.register(add)
    cli_models.register(add)
    cli_results.register(add)
    cli_card.register(add)
    cli_remove.register(add)

    p = add("demo", cmd_demo, "Create the demo project and open the app on it.")
    p.add_argument(
        "project",
        type=Path,
        nargs="?",
        metavar="PROJECT_DIR",
        help=f"where (default: {DEFAULT_DEMO_DIR})",
    )
    p.add_argument("--no-gui", action="store_true", help="stop after the import")

    p = add("gui", cmd_gui, "Open the app (optionally on a project).")
    p.add_argument("project", type=Path, nargs="?", metavar="PROJECT_DIR")
    p.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window, close it after a moment and exit 0 (checks an installation)",
    )
    return parser


def option_flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Config names the command's options set -> the option ("val_fraction" ->
    "--val-fraction", "train.steps" -> "--steps"): only names no sentence uses as a
    word (with an underscore or a dot)."""
    flags = {}
    for action in parser._actions:
        long = [o for o in action.option_strings if o.startswith("--")]
        if not long:
            continue
        for name in (action.dest, f"train.{action.dest}"):
            if "_" in name or "." in name:
                flags[name] = long[0]
    return flags


def in_flags(message: str, flags: dict[str, str]) -> str:
    """A core message in the words of the command line: "set val_fraction" reads
    "set --val-fraction" (the GUI shows the same message with its own field names)."""
    for name in sorted(flags, key=len, reverse=True):
        # not in a list of names ("valid train options are: amp, batch_size, ...")
        # nor in a path or a quoted name ("/study/sampling_rate", "'batch_size'")
        pattern = rf"(?<![\w./\\'\"-])(?<!, )(?<!: ){re.escape(name)}(?![\w/\\'\"])"
        message = re.sub(pattern, flags[name], message)
    return message


def _note(text: str) -> None:
    """A notice from core (a project on a network drive): one line on stderr."""
    print(f"ssl-studio: {text}", file=sys.stderr, flush=True)


def _tell_in_a_window(text: str) -> None:
    """Say ``text`` in a message box (Qt needs no temporary folder to show one)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    QMessageBox.critical(None, "SSL Studio cannot start", text)
    del app


def main(argv: list[str] | None = None) -> int:
    tolerant_stdout()  # (Windows: a redirected stdout's code page lacks most names)
    if TEMP_PROBLEM is not None:  # (torch cannot even be imported: said before it is)
        if sys.stderr is not None:
            print(f"ssl-studio: {TEMP_PROBLEM}", file=sys.stderr)
        else:  # the windowed app, started by a double click, has no console to print to
            _tell_in_a_window(TEMP_PROBLEM)
        return EXIT_FAILED
    threads = quota_threads()  # (a CPU quota: as many tensor threads as the app's jobs use)
    if threads is not None and "OMP_NUM_THREADS" not in os.environ:  # (before torch loads)
        os.environ["OMP_NUM_THREADS"] = str(threads)
    if not {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY"} & os.environ.keys():
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT  # (read when torch loads libgomp)
    try:  # (the commands' modules load here: Ctrl+C in the first moments lands in imports)
        parser = build_parser()
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_CANCELLED
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return _run(args)
    finally:  # an older project's database upgraded by a command that writes: said once
        from ssl_studio.core.project.upgrade import take_upgrades

        for done in take_upgrades():
            print(f"ssl-studio: {done.text()}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    """Run the command ``args`` names; an error is one line on stderr and an exit code."""
    try:
        with signals_kept(), waiting_for_writers(lock_wait(args)), notices_to(_note):
            return args.func(args)  # (a job's Ctrl+C handler ends with signals_kept)
    except SSLStudioError as exc:  # (a folder that is no project: said in commands)
        text = exc.command_line if isinstance(exc, NotAProjectError) else str(exc)
        busy = isinstance(exc, ProjectLockedError)
        asked = getattr(args, "wait", True) or getattr(args, "wait_at_most", None) is not None
        if busy and "another" in text and not asked:
            text += " Or add --wait to wait for it."
        print(f"ssl-studio: {in_flags(text, args.flags())}", file=sys.stderr)
        # another process writes the project: nothing failed, it may be tried again later
        return EXIT_BUSY if busy else EXIT_FAILED
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_CANCELLED
    except OSError as exc:  # a path the job could not read or write
        if reader_gone(exc):  # `| head` took what it wanted: nothing went wrong
            silence_stdout()
            return EXIT_OK
        from ssl_studio.core.storage_errors import is_disk_full, is_drive_lost, user_error

        if is_disk_full(exc) or is_drive_lost(exc):  # (said as such, with what to do)
            print(f"ssl-studio: {user_error(exc, getattr(args, 'project', None))}", file=sys.stderr)
            return EXIT_FAILED
        where = f": {exc.filename}" if exc.filename else ""
        print(
            f"ssl-studio: {exc.strerror or exc}{where}. Check that the path exists, is the "
            "kind you meant (file or folder) and that you may read or write it.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except Exception as exc:  # a bug: one line, the traceback only on request
        from ssl_studio.core.storage_errors import user_error

        told = user_error(exc, getattr(args, "project", None))
        if told is not None:  # a full disk, a damaged or locked project.db, a lost drive
            print(f"ssl-studio: {told}", file=sys.stderr)
            return EXIT_FAILED
        if os.environ.get("SSL_STUDIO_DEBUG"):
            raise
        if _lost_another_process(exc):
            print(
                "ssl-studio: Another process of this torchrun job ended or lost its "
                f"connection ({type(exc).__name__}: {exc}), so this one stopped too; that "
                "process's own output, or its node's log, says why.",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print(
            f"ssl-studio: unexpected error ({type(exc).__name__}: {exc}). This is a bug in "
            "SSL Studio; run again with SSL_STUDIO_DEBUG=1 to see where, and report it.",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _lost_another_process(exc: BaseException) -> bool:
    """Whether ``exc`` is torch.distributed's word that another process of the job is
    gone (DistNetworkError, DistStoreError: its connection closed, a timeout; gloo's plain
    RuntimeError "Connection closed by peer"): distributed.lost_a_peer, asked only where
    torch.distributed was loaded."""
    if "torch.distributed" not in sys.modules:
        return False
    from ssl_studio.core.engine.distributed import lost_a_peer

    return lost_a_peer(exc)
