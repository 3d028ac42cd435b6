"""The ``ssl-studio`` commands after pretraining: labels, finetune and label-efficiency
(registered by cli.build_parser; evaluate, export and predict are in cli_results.py)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ssl_studio.cli_output import add_events_option, at_least
from ssl_studio.cli_report import print_curve, print_report
from ssl_studio.core.config import DEVICES
from ssl_studio.core.finetune_config import LABEL_EFFICIENCY_KS, FinetuneConfig
from ssl_studio.core.wording import command_line

PROTOCOL_HELP = (
    "how the classifier is made: knn = nearest labeled neighbours in the frozen "
    "embedding; linear = a logistic regression on the frozen embedding (best with few "
    "labels); partial = train the encoder's last block and a head; full = train "
    "everything, the encoder gently; scratch = the same network from random weights (the "
    "baseline); auto (default) = linear up to 25 labels per class, else full"
)


def cmd_labels(args: argparse.Namespace) -> int:
    from ssl_studio.core.errors import ConfigError
    from ssl_studio.core.label_export import export_labels, label_names
    from ssl_studio.core.labels import labels_from_csv, labels_from_folders

    if args.folder_level is not None and not args.from_folders:
        raise ConfigError(
            "--folder-level picks the folder level of --from-folders; add --from-folders "
            "to label by folder names at that level."
        )
    if args.version is not None and not args.export:
        raise ConfigError(
            "--version picks the version of the label set --export writes; add --export FILE."
        )
    if args.export:
        if args.csv or args.from_folders:
            raise ConfigError(
                "--export writes a label set out; give it without --csv/--from-folders."
            )
        done = export_labels(
            args.project, args.dataset, args.export, name=args.name or "", version=args.version
        )
        if args.json:
            print(json.dumps(done, indent=2))
        else:
            print(
                f"Label set '{done['name']}' v{done['version']}: {done['labels']} labels -> "
                f"{done['out']}"
            )
        return 0
    if args.csv:
        result = labels_from_csv(args.project, args.dataset, args.csv, name=args.name or "labels")
    elif args.from_folders:
        result = labels_from_folders(
            args.project, args.dataset, name=args.name or "folders", level=args.folder_level
        )
    else:
        sets = label_names(args.project, args.dataset)
        if args.json:
            print(json.dumps(sets, indent=2))
        elif not sets:
            print(
                f"No label sets in '{args.dataset}' yet: add one with --csv FILE or --from-folders."
            )
        for s in [] if args.json else sets:
            print(f"{s['name']} v{s['version']}: {s['n_labels']} labels ({s['source']})")
        return 0
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    classes = ", ".join(f"{c} {n}" for c, n in result.classes.items())
    print(f"Label set '{result.name}' v{result.version}: {result.labeled} items ({classes}).")
    for warning in result.warnings:
        print(f"  warning: {warning}")
    return 0


def finetune_config(args: argparse.Namespace) -> FinetuneConfig:
    data: dict[str, Any] = {"project": args.project, "run": args.run, "labels": args.labels}
    for name in (
        "dataset",
        "label_version",
        "protocol",
        "threshold",
        "positive",
        "k_per_class",
        "test_fraction",
        "val_fraction",
        "split_from",
        "folds",
        "seed",
    ):
        if getattr(args, name, None) is not None:
            data[name] = getattr(args, name)
    if getattr(args, "no_baseline", False):
        data["baseline"] = False
    if getattr(args, "no_patient_groups", False):
        data["group_by_patient"] = False
    train = {k: getattr(args, k) for k in ("steps", "batch_size", "lr", "device")}
    data["train"] = {k: v for k, v in train.items() if v is not None}
    return FinetuneConfig.from_dict(data)


def folds_conflict(args: argparse.Namespace) -> str | None:
    """Why ``--folds K`` (K >= 2) cannot go with the other options given, or None: a
    threshold to pick, --k-per-class and --split-from each work on one held-out test
    split, so the folds would be dropped without a word (FinetuneConfig refuses it too)."""
    folds = getattr(args, "folds", None)
    if folds is None or folds < 2:
        return None
    given = [
        f"{flag} {value}"
        for flag, value in (
            ("--threshold", getattr(args, "threshold", None)),
            ("--k-per-class", getattr(args, "k_per_class", None)),
            ("--split-from", getattr(args, "split_from", None)),
        )
        if value is not None and value != "default"  # (--threshold default picks none)
    ]
    if not given:
        return None
    names = " and ".join(flag.split()[0] for flag in given)
    return (
        f"--folds {folds} cross-validates (every label is tested once), but "
        f"{' and '.join(given)} {'work' if len(given) > 1 else 'works'} on one held-out "
        f"test split. Use one or the other: leave out --folds (or give --folds 1) for one "
        f"test split, or leave out {names} to cross-validate."
    )


def cmd_finetune(args: argparse.Namespace) -> int:
    import os
    import sys

    from ssl_studio.cli_output import (
        EXIT_CANCELLED,
        EXIT_FAILED,
        EXIT_USAGE,
        TextReporter,
        json_reporter,
        stop_on_ctrl_c,
    )
    from ssl_studio.core.errors import SSLStudioError
    from ssl_studio.core.jobs import finetune

    if (conflict := folds_conflict(args)) is not None:  # a bad command line: nothing done
        print(f"ssl-studio: {conflict}", file=sys.stderr)
        return EXIT_USAGE
    main_rank = os.environ.get("RANK", "0") == "0"  # under torchrun only rank 0 prints
    report = json_reporter if args.events == "jsonl" else TextReporter()
    stop = stop_on_ctrl_c("the step", say=main_rank)  # (Ctrl+C reaches every process)
    try:
        result = finetune(finetune_config(args), report=report, stop=stop)
    except SSLStudioError as exc:
        if main_rank or not getattr(exc, "every_process", False):
            raise  # (a process's own error: only its output says it)
        return EXIT_FAILED  # the first process says why, once for all
    base = result.get("baseline") or {}
    stopped = result["status"] == "stopped" or base.get("status") == "stopped"
    if args.events == "jsonl" or not main_rank:
        return EXIT_CANCELLED if stopped else 0
    if result["status"] != "done":
        print(f"Run {result['run_id']} {result['status']}.")
        return EXIT_CANCELLED
    print(f"Run {result['run_id']} ({result['protocol']}, {result['train_labels']} labels):")
    print_report(result["evaluation"].capitalize(), result["test"])
    if base.get("test"):
        print_report(f"From-scratch baseline, run {base['run_id']}", base["test"])
    elif base.get("status") == "stopped":  # (Ctrl+C during the baseline: its run is kept)
        print(
            f"From-scratch baseline (run {base['run_id']}) stopped: no comparison. To run it: "
            f"{command_line(*baseline_command(args, result))}"
        )
    export = ("ssl-studio", "export", args.project, "--run", result["run_id"], "--out", "DIR")
    print(f"Export with: {command_line(*export)}")
    return EXIT_CANCELLED if stopped else 0


def baseline_command(args: argparse.Namespace, result: dict[str, Any]) -> list[Any]:
    """The finetune command line that trains the from-scratch baseline of the fine-tuned
    run in ``result`` alone: on its test split (--split-from), or on the same folds (the
    same --folds and --seed: a cross-validated run has no split to reuse), with the
    options given to the run that change what the baseline is trained on."""
    line: list[Any] = ["ssl-studio", "finetune", args.project, "--run", args.run]
    given = ("labels", "label_version", "dataset", "positive", "threshold", "steps")
    given += ("batch_size", "lr", "device")
    for flag in given:
        if getattr(args, flag, None) not in (None, ""):
            line += [f"--{flag.replace('_', '-')}", getattr(args, flag)]
    line += ["--protocol", "scratch"]
    evaluation = str(result.get("evaluation") or "")
    if "-fold cross-validation" in evaluation:  # the same folds: the same number and seed
        line += ["--folds", evaluation.split("-fold", 1)[0], "--seed", finetune_config(args).seed]
    else:
        line += ["--split-from", result["run_id"]]
        line += ["--seed", args.seed] if getattr(args, "seed", None) is not None else []
    if getattr(args, "no_patient_groups", False):
        line.append("--no-patient-groups")
    return line


def _ks(text: str) -> tuple[int | None, ...]:
    """``1,5,all`` -> (1, 5, None); argparse turns a bad list into a usage message."""
    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part == "all":
            out.append(None)
        elif part.isascii() and part.isdigit() and int(part) >= 1:
            out.append(int(part))
        else:
            raise argparse.ArgumentTypeError(
                f"{part!r} is not a number of labels per class: use whole numbers from 1 "
                "and 'all', separated by commas (e.g. 1,5,10,all)"
            )
    return tuple(out)


def cmd_label_efficiency(args: argparse.Namespace) -> int:
    from ssl_studio.cli_output import EXIT_CANCELLED, TextReporter, json_reporter, stop_on_ctrl_c
    from ssl_studio.core.jobs import label_efficiency

    report = json_reporter if args.events == "jsonl" else TextReporter()
    seeds = tuple(range(args.seeds))
    result = label_efficiency(
        finetune_config(args),
        ks=args.k,
        seeds=seeds,
        report=report,
        stop=stop_on_ctrl_c("the current point"),
    )
    if args.events != "jsonl":
        print(f"Run {result['run_id']}: test items {result['test_items']}, seeds {seeds}")
        if result.get("note"):
            print(f"note: {result['note']}")
        print_curve(result)
    return EXIT_CANCELLED if result["status"] == "stopped" else 0


def _finetune_arguments(p: argparse.ArgumentParser, protocol: bool = True) -> None:
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument(
        "--run",
        "--pretrain-run",
        dest="run",
        type=int,
        required=True,
        help="the pretraining run to start from (under torchrun write --pretrain-run: "
        "torchrun itself would take --run for its --run-path)",
    )
    p.add_argument(
        "--labels", default="", help="label set name (default: the dataset's only label set)"
    )
    p.add_argument(
        "--label-version",
        type=int,
        metavar="N",
        help="version N of the label set (default: the newest); an older one trains on the "
        "labels a past run had (ssl-studio info PROJECT_DIR --run RUN_ID names its version)",
    )
    p.add_argument("--dataset", help="dataset holding the labels (default: the run's)")
    if protocol:
        p.add_argument(
            "--protocol",
            choices=("auto", "knn", "linear", "partial", "full", "scratch"),
            help=PROTOCOL_HELP,
        )
    p.add_argument("--positive", help="binary: the positive class (default: guessed)")
    p.add_argument("--test-fraction", type=float, help="share held out for testing (0.2)")
    p.add_argument("--seed", type=int, help="seed of the split and training (0)")
    p.add_argument(
        "--no-patient-groups",
        action="store_true",
        help="split by item, not by patient: for files whose patient IDs cannot tell "
        "patients apart (anonymised with one ID for all); the results say that scores may "
        "be optimistic",
    )
    p.add_argument("--steps", type=int, help="training steps of trained protocols (300)")
    p.add_argument("--batch-size", type=int, help="labeled items per step (32)")
    p.add_argument("--lr", type=float, help="learning rate of the head (1e-3)")
    p.add_argument("--device", choices=DEVICES)
    add_events_option(p)


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands to the ``ssl-studio`` parser (``add(name, func, help)``)."""
    p = add("labels", cmd_labels, "Add labels to a dataset from a CSV or from folder names.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--dataset", required=True)
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="CSV with a path (relative to the imported folder) or item_id column and a "
        "label column; without --csv/--from-folders the label sets are listed",
    )
    source.add_argument(
        "--from-folders",
        action="store_true",
        help="one folder per class: the folder name, at the folder level that looks like "
        "classes (not patient, study, series or train/test folders)",
    )
    p.add_argument(
        "--folder-level",
        type=int,
        metavar="N",
        help="with --from-folders: the folder level that holds the classes, counted from "
        "the imported folder (1: the folders directly inside it)",
    )
    p.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help="write the label set --name (default: the only one) to a new CSV: item_id, "
        "label, the item's stored path and index; --csv reads it back",
    )
    p.add_argument("--name", help="label set name (default: labels, or folders)")
    p.add_argument(
        "--version",
        type=at_least(1),
        metavar="N",
        help="with --export: this version of the label set (default: the newest; a "
        "fine-tuning run's card names the version it was trained with)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add(
        "finetune",
        cmd_finetune,
        "Train a classifier on few labels from a pretrained encoder, with an honest test "
        "split and a from-scratch baseline.",
    )
    _finetune_arguments(p)
    p.add_argument("--k-per-class", type=int, help="use only k training labels per class")
    p.add_argument("--val-fraction", type=float, help="share held out to pick the threshold")
    p.add_argument(
        "--threshold",
        help="binary operating threshold: default (0.5), youden, or sensitivity:0.9; "
        "picked on the validation share, never on the test split",
    )
    p.add_argument(
        "--folds",
        type=int,
        help="k-fold cross-validation instead of one test split (default: 5 folds when a "
        "class has fewer than 10 labeled patients, unless --threshold, --k-per-class or "
        "--split-from is given, which work on one test split and so refuse 2 or more "
        "folds; 1 = always one test split)",
    )
    p.add_argument(
        "--split-from", type=int, metavar="RUN", help="reuse this fine-tuning run's split"
    )
    p.add_argument("--no-baseline", action="store_true", help="skip the scratch baseline")

    p = add(
        "label-efficiency",
        cmd_label_efficiency,
        "How results grow with labels per class: the protocol vs from scratch, several seeds.",
    )
    _finetune_arguments(p)
    default_ks = ",".join(str(k or "all") for k in LABEL_EFFICIENCY_KS)
    p.add_argument(
        "--k", type=_ks, default=default_ks, help=f"labels per class (default {default_ks})"
    )
    p.add_argument(
        "--seeds",
        type=at_least(1),
        default=3,
        help="seeds per point, each drawing the labels and setting the fits' other randomness (3)",
    )
