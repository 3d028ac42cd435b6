"""The ``--task-option NAME=VALUE`` argument the pretraining benchmarks share."""

from __future__ import annotations

import argparse
from typing import Any

from ssl_studio.cli_pretrain import parse_set_value


def add_task_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--task-option NAME=VALUE`` (repeatable) to ``parser``."""
    parser.add_argument(
        "--task-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an option of the task, as ssl-studio pretrain --set task.NAME=VALUE",
    )


def task_options(args: argparse.Namespace) -> dict[str, Any]:
    """The task options given with ``--task-option``, values parsed as ``--set`` does."""
    return {
        name: parse_set_value(value)
        for name, _, value in (a.partition("=") for a in args.task_option)
    }
