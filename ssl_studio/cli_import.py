"""``ssl-studio import``: folders or files of DICOM, images or series into a dataset."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ssl_studio.cli_output import (
    EXIT_CANCELLED,
    EXIT_OK,
    TextReporter,
    add_events_option,
    json_reporter,
    print_import_summary,
    stop_on_ctrl_c,
)
from ssl_studio.core.config import CSV_LAYOUTS, IMPORT_KINDS, ImportConfig


def cmd_import(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import import_data

    cfg = ImportConfig(
        project=args.project,
        paths=args.paths,
        name=args.name,
        kind=args.kind,
        cache_size=args.cache_size,
        csv_layout=args.layout,
        sampling_rate=args.sampling_rate,
        workers=args.workers,
        retry_failed=args.retry_failed,
        add=args.add,
    )
    jsonl = args.events == "jsonl"
    summary = import_data(
        cfg, report=json_reporter if jsonl else TextReporter(), stop=stop_on_ctrl_c()
    )
    if not jsonl:
        print_import_summary(summary)
    return EXIT_CANCELLED if summary["cancelled"] else EXIT_OK


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    p = add("import", cmd_import, "Import folders or files of DICOM, images or series.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument(
        "--name",
        help="dataset name (default: the first folder's name; patient names found in the "
        "files are redacted from it, and a folder imported before goes into its dataset)",
    )
    p.add_argument(
        "--kind",
        choices=IMPORT_KINDS,
        default="auto",
        help="only import this kind of file (default: auto)",
    )
    p.add_argument(
        "--cache-size",
        type=int,
        metavar="PX",
        help="side of cached images in pixels (new datasets; default: the largest image "
        "side, 32 to 224 px)",
    )
    p.add_argument(
        "--layout",
        choices=CSV_LAYOUTS,
        default="auto",
        help="CSV layout: columns = one series per file, rows = one per row",
    )
    p.add_argument(
        "--sampling-rate",
        type=float,
        metavar="HZ",
        help="samples per second of series without a time column",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="decoding processes (default 0: one per core; on Windows at most 61)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="decode again unchanged files that failed before",
    )
    p.add_argument(
        "--add",
        action="store_true",
        help="add these folders to the existing dataset of that name (a re-import of the "
        "same folders needs no flag)",
    )
    add_events_option(p)
