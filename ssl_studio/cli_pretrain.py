"""The ``pretrain`` and ``tasks`` commands: a run's config from a file, named options and
``--set KEY=VALUE``; the list of tasks, backbones and every option."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ssl_studio.cli_output import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_OK,
    TextReporter,
    add_events_option,
    json_reporter,
    stop_on_ctrl_c,
)
from ssl_studio.cli_resume import LATEST, latest_run, resume_value
from ssl_studio.core.config import DEVICES, PRESETS, PretrainConfig
from ssl_studio.core.config_check import switch_word
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import Event, StopToken
from ssl_studio.core.settings_file import read_settings_file
from ssl_studio.core.wording import resume_command

# the command-line options that set the run's config, and those of its training
_RUN_OPTIONS = ("dataset", "task", "backbone", "preset", "image_size", "series_length")
_TRAIN_OPTIONS = ("steps", "epochs", "batch_size")
# the run options ``tasks`` lists (the others have their own sections or are the command's)
_LISTED = ("preset", "image_size", "series_length", "allow_partial_import")


def parse_set_value(text: str) -> Any:
    """``--set`` values: JSON when they parse (numbers, true/false, null, lists), else text;
    True/False/yes/no/on/off in any case are switches too (the config check refuses a
    switch where a number or text belongs)."""
    switch = switch_word(text)
    if switch is not None:
        return switch
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):  # (nested too deeply: text, refused later)
        return text


def _apply_set(data: dict[str, Any], assignment: str) -> None:
    """``train.lr=0.01``, ``task.temperature=0.1``, ``augment.hflip=true``,
    ``backbone.patch_size=8``, ``image_size=96``."""
    key, sep, value = assignment.partition("=")
    if not sep or not key:
        raise SSLStudioError(f"--set expects KEY=VALUE, not {assignment!r}.")
    section, _, name = key.partition(".")
    targets = {
        "train": "train",
        "task": "task_options",
        "augment": "augment",
        "backbone": "backbone_options",
    }
    if name:
        if section not in targets:
            raise SSLStudioError(
                f"Unknown section {section!r} in --set {key}; "
                "use train., task., augment. or backbone."
            )
        data.setdefault(targets[section], {})[name] = parse_set_value(value)
    else:
        data[key] = parse_set_value(value)


def pretrain_config(args: argparse.Namespace) -> PretrainConfig:
    """The run's config: the --config file, then the named options, then each --set."""
    if args.resume is not None:
        given = [
            f"--{name.replace('_', '-')}"
            for name in (*_RUN_OPTIONS, *_TRAIN_OPTIONS, "config", "set")
            if getattr(args, name)
        ]
        if given:
            raise SSLStudioError(
                f"--resume continues run {args.resume} with its own settings; leave out "
                f"{', '.join(given)} (or start a new run without --resume)."
            )
    data: dict[str, Any] = read_settings_file(args.config) if args.config else {}
    data.setdefault("train", {})
    for name in _RUN_OPTIONS:
        if getattr(args, name) is not None:
            data[name] = getattr(args, name)
    for name in (*_TRAIN_OPTIONS, "device"):  # the device may change when resuming
        if getattr(args, name) is not None:
            data["train"][name] = getattr(args, name)
    for assignment in args.set or []:
        _apply_set(data, assignment)
    data["project"] = args.project
    data["resume_run"] = args.resume
    if args.allow_partial_import:
        data["allow_partial_import"] = True
    return PretrainConfig.from_dict(data)


@contextlib.contextmanager
def stop_on_sigusr1(stop: StopToken, say: bool) -> Iterator[None]:
    """SIGUSR1 asks the run to stop at its next step with a checkpoint, as SIGTERM does
    (SLURM's --signal=USR1@SECONDS, which torchrun forwards to its processes with
    --signals_to_handle SIGTERM,SIGUSR1; its default action would end them at once).
    ``say``: tell it on stderr (the first process only). The handler before is put back
    afterwards; nothing changes off the main thread or where there is no SIGUSR1."""
    usr1 = getattr(signal, "SIGUSR1", None)
    if usr1 is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if not stop.stopped and say:
            print("\nStopping after the current step (SIGUSR1)...", file=sys.stderr)
        stop.stop()

    before = signal.signal(usr1, handler)
    try:
        yield
    finally:
        signal.signal(usr1, before)


def srun_without_torchrun(env: Mapping[str, str]) -> str | None:
    """The hint for a task of ``srun -n N ssl-studio pretrain`` (N > 1) not started by
    torchrun (WORLD_SIZE unset): each such task would be a run of its own; None else."""
    try:
        tasks = int(env.get("SLURM_NTASKS") or env.get("SLURM_NPROCS") or 1)
    except ValueError:
        return None
    if tasks <= 1 or "WORLD_SIZE" in env:
        return None
    return (
        f"This is one of {tasks} tasks srun started without torchrun: each would be a "
        "pretraining run of its own (and only one may write the project). To train one "
        "run on several GPUs or machines, start one torchrun per node: srun "
        "--ntasks-per-node=1 torchrun --nnodes N --nproc_per_node M --rdzv-backend c10d "
        "--rdzv-endpoint HEAD_NODE:29500 --rdzv-id $SLURM_JOB_ID -m ssl_studio pretrain ... "
        "(README: A SLURM job on several machines)."
    )


def cmd_pretrain(args: argparse.Namespace) -> int:
    import os

    from ssl_studio.core.engine.distributed import processes_per_node
    from ssl_studio.core.jobs import pretrain

    if (hint := srun_without_torchrun(os.environ)) is not None:
        print(f"ssl-studio: {hint}", file=sys.stderr, flush=True)
    main_rank = os.environ.get("RANK", "0") == "0"
    if not main_rank:
        report: Callable[[Event], None] = lambda event: None  # noqa: E731
    else:
        report = json_reporter if args.events == "jsonl" else TextReporter()
    stop = stop_on_ctrl_c("the current step", say=main_rank)
    try:
        # each process reads which run is the latest; pretrain checks they agree on joining
        if args.resume == LATEST:  # (--dataset and --task say which run, not a new one's)
            args.resume = latest_run(args.project, args.dataset, args.task)
            args.dataset = args.task = None
        cfg = pretrain_config(args)
        with stop_on_sigusr1(stop, main_rank):
            summary = pretrain(cfg, report=report, stop=stop)
    except SSLStudioError as exc:
        if main_rank or not getattr(exc, "every_process", False):
            raise  # (a process's own error: only its output says it)
        return EXIT_FAILED  # the first process says why, once for all
    if main_rank and args.events != "jsonl":
        loss = summary["final_loss"]
        # (the summary's final_loss: the mean over the last epoch's steps, not the last
        # step's loss; its last epoch may be partial)
        loss_text = f", last epoch's mean loss {loss:.4f}" if loss is not None else ""
        print(
            f"Run {summary['run_id']} {summary['status']}: {summary['steps']} steps"
            f"{loss_text}, {summary['seconds']:.0f} s on {summary['device']}. "
            f"Checkpoints: runs/{summary['run_id']}/checkpoints"
        )
        if summary.get("world_size", 1) > 1:
            same = "identical" if summary.get("ranks_in_sync") else "DIFFERENT (report this)"
            print(f"{summary['world_size']} processes ended with {same} weights.")
        if summary["status"] == "stopped":
            size = summary.get("world_size", 1)
            again = resume_command(
                args.project, summary["run_id"], size, per_node=processes_per_node(size)
            )
            print(f"Resume with: {again}")
    return EXIT_CANCELLED if summary["status"] == "stopped" else EXIT_OK


def cmd_tasks(args: argparse.Namespace) -> int:
    from ssl_studio.core.config import TrainConfig
    from ssl_studio.core.config_fields import describe_options
    from ssl_studio.core.models.backbones import (
        BACKBONES,
        SERIES_BACKBONES,
        describe_backbone_options,
    )
    from ssl_studio.core.tasks.registry import describe_tasks
    from ssl_studio.core.transforms.image_augment import ImageAugmentConfig
    from ssl_studio.core.transforms.series_augment import SeriesAugmentConfig

    info = {
        "tasks": describe_tasks(),
        "backbones": [
            {
                "name": name,
                "modality": "timeseries" if name in SERIES_BACKBONES else "image",
                "options": describe_backbone_options(name),
            }
            for name in BACKBONES
        ],
        "run_options": [o for o in describe_options(PretrainConfig) if o["name"] in _LISTED],
        "train_options": describe_options(TrainConfig),
        "augment_options": describe_options(ImageAugmentConfig),
        "series_augment_options": describe_options(SeriesAugmentConfig),
    }
    _mark_defaults(info)
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return EXIT_OK
    for task in info["tasks"]:
        only = f"; {' or '.join(task['backbones'])} only" if task["backbones"] else ""
        default = f" ({'; '.join(task['default_for'])})" if task["default_for"] else ""
        print(f"{task['name']} [{', '.join(task['modalities'])}{only}]{default}: {task['summary']}")
        for option in task["options"]:
            print(f"    task.{option['name']} = {option['default']!r}: {option['help']}")
    for kind in ("image", "timeseries"):
        print(f"\nBackbones for {kind} (--backbone NAME; options: --set backbone.OPTION=VALUE):")
        for backbone in info["backbones"]:
            if backbone["modality"] != kind:
                continue
            default = f" ({'; '.join(backbone['default_for'])})" if backbone["default_for"] else ""
            print(f"  {backbone['name']}{default}")
            for option in backbone["options"]:
                default = "automatic" if option["default"] is None else repr(option["default"])
                print(f"    backbone.{option['name']} = {default}: {option['help']}")
    print("\nRun options (--set NAME=VALUE, or --NAME with - for _):")
    for option in info["run_options"]:
        default = "automatic" if option["default"] is None else repr(option["default"])
        print(f"    {option['name']} = {default}: {option['help']}")
    print("\nTraining options (--set train.NAME=VALUE):")
    for option in info["train_options"]:
        print(f"    train.{option['name']} = {option['default']!r}: {option['help']}")
    for key, kind in (("augment_options", "images"), ("series_augment_options", "series")):
        print(f"\nAugmentation of {kind} (--set augment.NAME=VALUE):")
        if kind == "images":
            print(
                "    (the defaults for X-ray, CT, MR and image files; each dataset starts "
                "from its modality's: ultrasound and endoscopy also flip left-right, "
                "microscopy both ways, and colour images other than X-ray, CT and MR get "
                "a little saturation jitter)"
            )
        for option in info[key]:
            print(f"    augment.{option['name']} = {option['default']!r}: {option['help']}")
    return EXIT_OK


def _mark_defaults(info: dict[str, Any]) -> None:
    """Add ``default_for`` (phrases, [] for none) to each task and backbone of ``tasks``'
    ``info``: what ``pretrain`` uses when --task or --backbone is left out (images: the
    preset's backbone, the default preset's first; series: ts2vec on ts-conv)."""
    from ssl_studio.core.config import (
        DEFAULT_PATCH_TASK,
        DEFAULT_SERIES_BACKBONE,
        DEFAULT_TASKS,
        PRESET_VALUES,
        default_backbone,
    )

    preset = next(o["default"] for o in info["run_options"] if o["name"] == "preset")
    tasks = {DEFAULT_TASKS["image"]: ["default for images"]}
    tasks[DEFAULT_TASKS["timeseries"]] = ["default for series"]  # (on ts-conv, their default)
    tasks.setdefault(DEFAULT_PATCH_TASK, []).append("default for series on ts-patch")
    backbones: dict[str, list[str]] = {DEFAULT_SERIES_BACKBONE: ["default for series"]}
    for name, (backbone, *_) in PRESET_VALUES.items():
        said = (
            f"default for images: preset {name}, the default one"
            if name == preset
            else f"default for images with preset {name}"
        )
        backbones.setdefault(backbone, []).append(said)
    backbones.setdefault(default_backbone("image", preset, "mae"), []).append("default for mae")
    for task in info["tasks"]:
        task["default_for"] = tasks.get(task["name"], [])
    for backbone in info["backbones"]:
        backbone["default_for"] = backbones.get(backbone["name"], [])


def register(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the commands to the ``ssl-studio`` parser (``add(name, func, help)``)."""
    p = add("pretrain", cmd_pretrain, "Pretrain an encoder with a self-supervised task.")
    p.add_argument("project", type=Path, metavar="PROJECT_DIR")
    p.add_argument("--dataset", help="the image or series dataset to learn from")
    p.add_argument(
        "--task",
        help="pretext task (default: simclr for images, ts2vec for series, masked on "
        "ts-patch; see tasks)",
    )
    p.add_argument(
        "--backbone", help="encoder (default: the preset's for images, ts-conv for series)"
    )
    p.add_argument("--preset", choices=PRESETS, help="quick (CPU, default), standard, thorough")
    p.add_argument(
        "--image-size",
        type=int,
        metavar="PX",
        help="side of the training views in pixels (default: the preset's: quick 64, "
        "standard 128, thorough 224)",
    )
    p.add_argument(
        "--series-length",
        type=int,
        metavar="STEPS",
        help="series: longest window per step (default 3000, as TS2Vec: 6 s at 500 Hz); "
        "a longer recording is cut into sections of this many steps, each a training "
        "instance, so a few long recordings can pretrain",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument(
        "--steps",
        type=int,
        metavar="N",
        help="optimiser steps (default: images, the preset's: quick 300, standard 5000, "
        "thorough 50000; series, 200 as TS2Vec, 600 above 100 000 values, times 3 or 10 "
        "for standard or thorough)",
    )
    length.add_argument("--epochs", type=int, metavar="N", help="passes over the data")
    p.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="images or series per step and process: under torchrun each process takes "
        "this many, so the global batch is N times the processes, with the learning rate "
        "not scaled (default: images 128 quick, 256 standard and thorough; series 16 for "
        "ts2vec, 8 for masked and forecast)",
    )
    p.add_argument("--device", choices=DEVICES, help="default auto: CUDA > MPS > CPU")
    p.add_argument("--config", type=Path, metavar="FILE", help="a JSON or TOML run config")
    p.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="e.g. train.lr=0.01, task.temperature=0.1, augment.hflip=true, backbone.patch_size=8",
    )
    add_events_option(p)
    p.add_argument(
        "--allow-partial-import",
        action="store_true",
        help="pretrain even if the dataset's last import was stopped or cut off (on the "
        "items imported so far); otherwise such a run is refused",
    )
    p.add_argument(
        "--resume",
        type=resume_value,
        metavar="RUN_ID",
        help="continue a stopped or interrupted run from its last checkpoint; 'latest': "
        "the newest one that can be resumed (of --dataset and --task when given)",
    )

    p = add("tasks", cmd_tasks, "List pretext tasks, backbones and every option.")
    p.add_argument("--json", action="store_true", help="machine-readable output")
