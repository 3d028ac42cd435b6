"""The ``ssl-studio`` command line. Every job the app runs can run from here.

Exit codes: 0 done (files that could not be imported are reported, not fatal),
1 the job failed (the message says why), 2 bad command line, 130 cancelled (Ctrl+C).
The GUI is imported only by the commands that open it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ssl_studio import __version__
from ssl_studio.core.config import (
    CSV_LAYOUTS,
    DEVICES,
    IMPORT_KINDS,
    PRESETS,
    ImportConfig,
    PretrainConfig,
)
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import (
    Event,
    Failed,
    Finished,
    Health,
    Message,
    Progress,
    Step,
    StopToken,
)

DEFAULT_DEMO_DIR = Path.home() / "SSL Studio" / "demo"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


class TextReporter:
    """Progress on stderr: one updating line on a terminal, a line every few s otherwise."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._last = time.monotonic()  # quick jobs print only their summary
        self._width = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress | Step):
            now = time.monotonic()
            done = event.step if isinstance(event, Step) else event.done
            if now - self._last < (0.1 if self.tty else 3) and done != event.total:
                return
            self._last = now
            self._line(_step_text(event) if isinstance(event, Step) else _progress_text(event))
        elif isinstance(event, Health):
            knn = (
                f", kNN accuracy {event.knn_accuracy:.3f}" if event.knn_accuracy is not None else ""
            )
            self._line(
                f"Health at step {event.step}: embedding spread {event.embedding_std:.2f}, "
                f"effective rank {event.effective_rank:.1f}{knn}",
                keep=True,
            )
        elif isinstance(event, Message):
            self._line(
                f"{event.level}: {event.text}" if event.level != "info" else event.text, keep=True
            )
        elif isinstance(event, Finished | Failed):
            self._line("", keep=False)

    def _line(self, text: str, keep: bool = False) -> None:
        if self.tty:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0 if keep else len(text)
            self.stream.write(text + ("\n" if keep else ""))
        elif text:
            self.stream.write(text + "\n")
        self.stream.flush()


def _step_text(event: Step) -> str:
    eta = f", {_duration(event.eta_s)} left" if event.eta_s is not None else ""
    return (
        f"Step {event.step}/{event.total}: loss {event.loss:.4f}, lr {event.lr:.2e}, "
        f"{event.samples_per_s:.0f} img/s{eta}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _progress_text(event: Progress) -> str:
    c = event.counts
    if event.phase == "discover":
        return f"Looking for files: {event.done} found"
    if event.phase == "scan":
        return f"Checking files: {event.done}/{event.total}"
    eta = f", about {event.eta_s:.0f} s left" if event.eta_s is not None else ""
    return (
        f"Importing: {event.done}/{event.total} files, {c.get('items', 0)} items, "
        f"{c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped{eta}"
    )


def _json_reporter(event: Event) -> None:
    print(event.to_json(), flush=True)


def _stop_on_ctrl_c(what: str = "the current files") -> StopToken:
    """First Ctrl+C (or SIGTERM) asks the job to stop cleanly; a second Ctrl+C interrupts."""
    stop = StopToken()

    def handler(signum: int, frame: Any) -> None:
        if stop.stopped and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.stop()
        print(f"\nStopping after {what} (Ctrl+C again to abort)...", file=sys.stderr)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _print_import_summary(summary: dict[str, Any]) -> None:
    s = summary
    print(
        f"Dataset '{s['dataset']}' ({s['modality']}): {s['files_seen']} files seen, "
        f"{s['imported']} imported ({s['items']} items), {s['unchanged']} unchanged, "
        f"{s['failed']} failed, {s['skipped']} skipped, {s['missing']} missing, "
        f"{s['seconds']:.1f} s." + (" Cancelled." if s["cancelled"] else "")
    )
    for error in s["errors"]:
        print(f"  {error['path']}: {error['message']} [{error['code']}]")
    if s["failed"] > len(s["errors"]) or s["skipped"]:
        print("  Every file left out and why: ssl-studio report PROJECT_DIR")


# ---- commands --------------------------------------------------------------------------------


def cmd_new(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import create_project

    create_project(args.project)
    print(f"Created project {args.project}")
    return EXIT_OK


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
    report = _json_reporter if args.jsonl else TextReporter()
    summary = import_data(cfg, report=report, stop=_stop_on_ctrl_c())
    if not args.jsonl:
        _print_import_summary(summary)
    return EXIT_CANCELLED if summary["cancelled"] else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from ssl_studio.core.project.info import project_info

    info = project_info(args.project)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True))
        return EXIT_OK
    print(f"Project {info['project']} (schema {info['schema_version']})")
    if not info["datasets"]:
        print("  No datasets yet: ssl-studio import PROJECT_DIR FOLDER")
    for d in info["datasets"]:
        kinds = ", ".join(f"{k} {n}" for k, n in d["items_by_modality"].items()) or "none"
        size = f", cached at {d['cache_size']} px" if d["modality"] == "image" else ""
        print(
            f"  {d['name']} [{d['modality']}]: {d['items']} items ({kinds}){size}, "
            f"{_mb(d['cache_bytes'])}; {d['errors']} errors, {d['skipped']} skipped, "
            f"{d['files']['missing']} missing files"
        )
    print(f"  Cache: {_mb(info['totals']['cache_bytes'])}")
    if info["runs"]:
        print("Runs (newest first):")
    for r in info["runs"]:
        origin = f" from run {r['parent_run']}" if r["parent_run"] else ""
        steps = f", {r['steps']} steps" if r["steps"] else ""
        name = "kNN accuracy" if r["quality_name"] == "knn_accuracy" else "test AUC"
        quality = f", {name} {r['quality']:.3f}" if r["quality"] is not None else ""
        print(
            f"  {r['id']}: {r['kind']} {r['task']} {r['backbone']} on '{r['dataset']}'"
            f"{origin}: {r['status']}{steps}{quality}"
        )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ssl_studio.core.project.store import Store

    with Store.open(args.project) as store:
        datasets = [d for d in store.datasets() if args.dataset in (None, d["name"])]
        if args.dataset and not datasets:
            names = ", ".join(d["name"] for d in store.datasets()) or "none"
            raise SSLStudioError(f"No dataset '{args.dataset}'; the datasets are: {names}.")
        report = {d["name"]: store.import_errors(d["id"]) for d in datasets}
    if args.json:
        print(json.dumps(report, indent=2))
        return EXIT_OK
    for name, rows in report.items():
        print(f"{name}: {len(rows)} files left out")
        for row in rows:
            print(f"  [{row['severity']}] {row['path']}: {row['message']} ({row['code']})")
    return EXIT_OK


def _parse_value(text: str) -> Any:
    """``--set`` values: JSON when they parse (numbers, true/false, null, lists), else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _apply_set(data: dict[str, Any], assignment: str) -> None:
    """``train.lr=0.01``, ``task.temperature=0.1``, ``augment.hflip=true``, ``image_size=96``."""
    key, sep, value = assignment.partition("=")
    if not sep or not key:
        raise SSLStudioError(f"--set expects KEY=VALUE, not {assignment!r}.")
    section, _, name = key.partition(".")
    targets = {"train": "train", "task": "task_options", "augment": "augment"}
    if name:
        if section not in targets:
            raise SSLStudioError(
                f"Unknown section {section!r} in --set {key}; use train., task. or augment."
            )
        data.setdefault(targets[section], {})[name] = _parse_value(value)
    else:
        data[key] = _parse_value(value)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise SSLStudioError(f"Cannot read the config file {path}: {exc.strerror}.") from exc
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except ValueError as exc:
        raise SSLStudioError(f"{path} is not valid {path.suffix[1:].upper()}: {exc}") from exc


def pretrain_config(args: argparse.Namespace) -> PretrainConfig:
    """The run's config: the --config file, then the named options, then each --set."""
    data: dict[str, Any] = _read_config_file(args.config) if args.config else {}
    data.setdefault("train", {})
    for name in ("dataset", "task", "backbone", "preset", "image_size"):
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
    for name in ("steps", "epochs", "batch_size", "device"):
        if getattr(args, name) is not None:
            data["train"][name] = getattr(args, name)
    for assignment in args.set or []:
        _apply_set(data, assignment)
    data["project"] = args.project
    data["resume_run"] = args.resume
    return PretrainConfig.from_dict(data)


def cmd_pretrain(args: argparse.Namespace) -> int:
    import os

    from ssl_studio.core.jobs import pretrain

    cfg = pretrain_config(args)
    main_rank = os.environ.get("RANK", "0") == "0"
    if not main_rank:
        report: Callable[[Event], None] = lambda event: None  # noqa: E731
    else:
        report = _json_reporter if args.events == "jsonl" else TextReporter()
    summary = pretrain(cfg, report=report, stop=_stop_on_ctrl_c("the current step"))
    if main_rank and args.events != "jsonl":
        loss = summary["final_loss"]
        loss_text = f", final loss {loss:.4f}" if loss is not None else ""
        print(
            f"Run {summary['run_id']} {summary['status']}: {summary['steps']} steps"
            f"{loss_text}, {summary['seconds']:.0f} s on {summary['device']}. "
            f"Checkpoints: runs/{summary['run_id']}/checkpoints"
        )
        if summary["status"] == "stopped":
            print(f"Resume with: ssl-studio pretrain {args.project} --resume {summary['run_id']}")
    return EXIT_CANCELLED if summary["status"] == "stopped" else EXIT_OK


def cmd_tasks(args: argparse.Namespace) -> int:
    from ssl_studio.core.config import TrainConfig, describe_options
    from ssl_studio.core.models.backbones import BACKBONES, SERIES_BACKBONES, backbone_options
    from ssl_studio.core.tasks.registry import describe_tasks
    from ssl_studio.core.transforms.image_augment import ImageAugmentConfig
    from ssl_studio.core.transforms.series_augment import SeriesAugmentConfig

    info = {
        "tasks": describe_tasks(),
        "backbones": [
            {
                "name": name,
                "modality": "timeseries" if name in SERIES_BACKBONES else "image",
                "options": list(backbone_options(name)),
            }
            for name in BACKBONES
        ],
        "train_options": describe_options(TrainConfig),
        "augment_options": describe_options(ImageAugmentConfig),
        "series_augment_options": describe_options(SeriesAugmentConfig),
    }
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return EXIT_OK
    for task in info["tasks"]:
        print(f"{task['name']} [{', '.join(task['modalities'])}]: {task['summary']}")
        for option in task["options"]:
            print(f"    task.{option['name']} = {option['default']!r}: {option['help']}")
    for kind in ("image", "timeseries"):
        names = [b["name"] for b in info["backbones"] if b["modality"] == kind]
        print(f"\nBackbones for {kind}: " + ", ".join(names))
    print("\nTraining options (--set train.NAME=VALUE):")
    for option in info["train_options"]:
        print(f"    train.{option['name']} = {option['default']!r}: {option['help']}")
    for key, kind in (("augment_options", "images"), ("series_augment_options", "series")):
        print(f"\nAugmentation of {kind} (--set augment.NAME=VALUE):")
        for option in info[key]:
            print(f"    augment.{option['name']} = {option['default']!r}: {option['help']}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from ssl_studio.core.jobs import create_demo

    folder = args.project or DEFAULT_DEMO_DIR
    results = create_demo(folder, report=TextReporter(), stop=_stop_on_ctrl_c())
    for summary in results.values():
        _print_import_summary(summary)
    print(f"Demo project: {folder}")
    if args.no_gui:
        return EXIT_OK
    return _open_gui(folder)


def cmd_gui(args: argparse.Namespace) -> int:
    return _open_gui(args.project, smoke_test=args.smoke_test)


def _open_gui(project: Path | None, *, smoke_test: bool = False) -> int:
    from ssl_studio.gui.app import run_app

    return run_app(project, smoke_test=smoke_test)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


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
        p.set_defaults(func=func)
        return p

    p = add("new", cmd_new, "Create an empty project folder.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")

    p = add("import", cmd_import, "Import folders or files of DICOM, images or series.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    p.add_argument("--name", help="dataset name (default: the first folder's name)")
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
        help="side of cached images in pixels (new datasets; default 224)",
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
    p.add_argument("--workers", type=int, default=0, help="decoding processes (0 = per core)")
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
    p.add_argument("--jsonl", action="store_true", help="print progress as JSON lines")

    p = add("info", cmd_info, "Show a project's datasets, item counts, cache size, errors.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")

    p = add("report", cmd_report, "List every file an import left out, and why.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--dataset", help="only this dataset")
    p.add_argument("--json", action="store_true")

    p = add("pretrain", cmd_pretrain, "Pretrain an encoder with a self-supervised task.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--dataset", help="the image dataset to learn from")
    p.add_argument("--task", help="pretext task (default simclr; see ssl-studio tasks)")
    p.add_argument("--backbone", help="encoder (default from the preset)")
    p.add_argument("--preset", choices=PRESETS, help="quick (CPU, default), standard, thorough")
    p.add_argument("--image-size", type=int, help="side of the training views in pixels")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="optimiser steps")
    length.add_argument("--epochs", type=int, help="passes over the data")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--device", choices=DEVICES, help="default auto: CUDA > MPS > CPU")
    p.add_argument("--config", type=Path, metavar="FILE", help="a JSON or TOML run config")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="e.g. train.lr=0.01, task.temperature=0.1, augment.hflip=true",
    )
    p.add_argument("--events", choices=("text", "jsonl"), default="text")
    p.add_argument(
        "--resume",
        type=int,
        metavar="RUN_ID",
        help="continue a stopped or interrupted run from its last checkpoint",
    )

    from ssl_studio.cli_models import register

    register(add)

    p = add("tasks", cmd_tasks, "List pretext tasks, backbones and every option.")
    p.add_argument("--json", action="store_true")

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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except SSLStudioError as exc:
        print(f"ssl-studio: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return EXIT_CANCELLED
