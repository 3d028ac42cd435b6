"""The ``ssl-studio`` commands that use a fine-tuned run: evaluate, export and predict
(registered by cli.build_parser after cli_models' commands).

Each takes --events jsonl (or --jsonl): one JSON event per line on stdout, the first
``started`` and the last ``finished`` (with the result; ``cancelled`` when stopped) or
``failed`` (with the message; the command exits 1), and no other output on stdout."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ssl_studio.cli_card import CARD_DETAILS_HELP
from ssl_studio.cli_output import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    TextReporter,
    add_events_option,
    at_least,
    json_reporter,
)
from ssl_studio.cli_report import print_report
from ssl_studio.core.config import CSV_LAYOUTS
from ssl_studio.core.events import Reporter, Stopped, StopToken
from ssl_studio.core.wording import counted


def _reporter(args: argparse.Namespace) -> Reporter:
    return json_reporter if args.events == "jsonl" else TextReporter()


def _stop(what: str) -> StopToken:
    """cli_output.stop_on_ctrl_c, looked up when called (tests press Ctrl+C through it)."""
    from ssl_studio.cli_output import stop_on_ctrl_c

    return stop_on_ctrl_c(what)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import evaluate

    jsonl = args.events == "jsonl"
    try:
        report = evaluate(
            args.project,
            args.run,
            args.dataset,
            args.labels,
            n_boot=args.n_boot,
            report=_reporter(args),
            stop=_stop("the current resamples"),
        )
    except Stopped:
        if not jsonl:
            print(f"Stopped; run {args.run} was not evaluated.", file=sys.stderr)
        return EXIT_CANCELLED
    if jsonl:
        return EXIT_OK
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        # test split, dataset NAME, or k-fold cross-validation (pooled out-of-fold)
        print_report(f"Run {args.run}, {report.get('evaluation', 'test split')}", report)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from ssl_studio.cli_card import card_words_lines, warn_id_like
    from ssl_studio.core.export.card_details import load_card_details
    from ssl_studio.core.export.card_text import parity_sentence
    from ssl_studio.core.jobs import export

    jsonl = args.events == "jsonl"
    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    details = load_card_details(args.card_details) if args.card_details else None
    if details is not None:
        warn_id_like(details)
    stop = _stop("the current format")
    try:
        card = export(
            args.project,
            args.run,
            args.out,
            formats,
            report=_reporter(args),
            stop=stop,
            details=details,
        )
    except Stopped:
        if not jsonl:
            print(f"Stopped; nothing was written to {args.out}.")
        return EXIT_CANCELLED
    if jsonl:
        return EXIT_OK
    print(f"Exported run {args.run} to {args.out}:")
    for name, what in card["files"].items():
        print(f"  {name}: {what}")
    print(f"  {parity_sentence(card['parity'])}")
    for line in card_words_lines(card.get("details") or {}, args.project):
        print(line)  # (the details given now or kept in the project)
    return EXIT_OK


def cmd_predict(args: argparse.Namespace) -> int:
    from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
    from ssl_studio.core.jobs import predict

    jsonl = args.events == "jsonl"
    stop = _stop("the current batch")
    result = predict(
        args.export_dir,
        args.paths,
        args.out,
        report=_reporter(args),
        stop=stop,
        layout=args.layout,
        overwrite=args.overwrite,
        layout_flag="--layout",
        windows=True if args.windows == _TRAINED else (args.windows or False),
        stride=args.stride,
    )
    # on stderr: with --events jsonl, stdout holds only events
    print(f"ssl-studio: {result.get('disclaimer') or NOT_FOR_DIAGNOSIS}", file=sys.stderr)
    if result["cancelled"]:
        if not jsonl:
            print(f"Stopped after {counted(result['items'], 'prediction')}; nothing was written.")
        return EXIT_CANCELLED
    if not jsonl:
        skipped = result.get("skipped") or 0  # (not images or series: as import skips them)
        left = f", {counted(skipped, 'file')} skipped (not data)" if skipped else ""
        print(
            f"{counted(result['items'], 'prediction')}, "
            f"{counted(result['errors'], 'file')} with errors{left} -> {result['out']}"
        )
    if result["items"] == 0 and (result["errors"] or result.get("skipped")):  # (no answers)
        print(
            "ssl-studio: no file could be predicted; the error column of that file says why "
            "for each (the note column, of a file skipped as not data).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if (notes := result.get("notes")) and not jsonl:
        have = "has" if notes == 1 else "have"
        print(
            f"{notes} of the predictions {have} a note (the note column): read it with the "
            "answer; a file unlike the training data may get an answer that means nothing."
        )
    return EXIT_OK


_TRAINED = "trained"  # --windows without a length: the longest the model was trained on


def _span(text: str) -> object:
    """argparse type of --windows and --stride: steps ("3000") or seconds ("10s")."""
    from ssl_studio.core.errors import ConfigError
    from ssl_studio.core.export.series_windows import parse_span

    if text == _TRAINED:
        return text
    try:
        return parse_span(text)
    except ConfigError as exc:
        # (--windows takes an optional length, so a path after it is read as one)
        hint = (
            f" To cut recordings into the windows the model was trained on, put --windows "
            f"after the paths, or write --windows {_TRAINED}."
            if "/" in text or "\\" in text or Path(text).exists()
            else ""
        )
        raise argparse.ArgumentTypeError(f"{exc}{hint}") from exc


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands to the ``ssl-studio`` parser (``add(name, func, help)``)."""
    p = add("evaluate", cmd_evaluate, "Metrics with 95%% confidence intervals of a fine-tuned run.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--run", type=int, required=True, help="a fine-tuning run")
    p.add_argument(
        "--dataset",
        help="evaluate on the labeled items of this dataset instead (of the run's own dataset "
        "only the items it never trained or tuned on); default: the run's test split, with "
        "the labels it was tested with",
    )
    p.add_argument(
        "--labels", help="label set of that dataset (default: the run's, else its only one)"
    )
    p.add_argument(
        "--n-boot",
        type=at_least(0),
        default=1000,
        help="bootstrap resamples (default 1000; 0: no intervals)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_events_option(p)

    p = add(
        "export", cmd_export, "Export a fine-tuned model: TorchScript, ONNX, safetensors, card."
    )
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--run", type=int, required=True, help="a fine-tuning run")
    p.add_argument(
        "--format",
        default="torchscript,onnx,safetensors",
        help="comma-separated (default: torchscript,onnx,safetensors)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new folder")
    p.add_argument(
        "--card-details",
        type=Path,
        metavar="FILE",
        help=CARD_DETAILS_HELP + ". Used for this export and kept in the project for later "
        "ones (without this option an export uses the kept ones; see them with: ssl-studio "
        "card-details PROJECT_DIR)",
    )
    add_events_option(p)

    p = add("predict", cmd_predict, "Class probabilities for files, from an export folder alone.")
    p.add_argument("export_dir", type=Path, metavar="EXPORT_DIR")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument("--out", type=Path, required=True, metavar="CSV")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the CSV if it exists (without this, an existing file is refused)",
    )
    p.add_argument(
        "--layout",
        choices=CSV_LAYOUTS,
        help="CSV series layout: columns = one series per file, rows = one per row "
        "(default: as the model's training files were imported, from its card)",
    )
    p.add_argument(
        "--windows",
        nargs="?",
        const=_TRAINED,
        type=_span,
        metavar="LENGTH",
        help="series models: one row per window of each recording (columns "
        "window_start_step, window_end_step and, where the file's sampling rate is known, "
        "window_start_s, window_end_s, from the start of the recording), in steps (3000) "
        f"or seconds (10s); without a length (or '{_TRAINED}'), the longest window the "
        "model was trained on. "
        "A last window shorter than half a window is left out, with a note",
    )
    p.add_argument(
        "--stride",
        type=_span,
        metavar="LENGTH",
        help="with --windows: a window starts every LENGTH, steps or seconds "
        "(default: the window's length, no overlap)",
    )
    add_events_option(p)
