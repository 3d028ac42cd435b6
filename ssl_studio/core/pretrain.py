"""The image pretraining job: from a dataset and a task name to a trained encoder.

It resolves the dataset's items, builds the backbone, augmentation and pretext task,
creates (or resumes) a run under ``runs/<id>/``, and hands everything to the engine.
Under torchrun only rank 0 writes to the project; the others read it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ssl_studio.core.atomic_files import write_json_atomically
from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.config_fields import to_dict
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.import_tally import partial_import_note
from ssl_studio.core.data_fingerprint import fingerprint, refuse_changed_data
from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.checkpoint import (
    CheckpointError,
    load_checkpoint,
    thread_count_note,
    versions,
)
from ssl_studio.core.engine.device import Precision, describe, pick_device
from ssl_studio.core.engine.health import HealthMonitor
from ssl_studio.core.engine.schedule import planned_steps
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.errors import ConfigError, ProjectMovedError, SSLStudioError
from ssl_studio.core.events import Health, Message, Reporter, StopToken
from ssl_studio.core.image_upsampling import upsampled_warning, upsamples
from ssl_studio.core.pretrain_setup import Setup, build_setup, probe_items
from ssl_studio.core.pretrain_text import (
    MIN_ITEMS,
    holds_text,
    instances,
    sections_note,
    size_text,
    too_few_text,
)
from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import drive_lost, is_drive_lost
from ssl_studio.core.tasks.registry import recorded_options
from ssl_studio.core.wording import resume_command

JOB = "pretrain"
# pretraining runs whose newest checkpoint may be used (fine-tuning, the map); an
# interrupted run (killed, crashed) keeps the checkpoints it wrote
USABLE_STATUSES = ("done", "stopped", "interrupted")
# the options a run keeps as built (checkpoint and the run's config "in_effect")
IN_EFFECT = ("backbone_options", "augment", "task_options")


class StoreRecorder:
    """Keeps a run's metrics and checkpoints in the project database (rank 0)."""

    def __init__(self, store: Store, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self.root = store.paths.root

    def metrics(self, rows: list[tuple[int, int, str, float]]) -> None:
        self.store.add_metrics(self.run_id, rows)

    def checkpoint(self, step: int, epoch: int, path: Path, kind: str) -> None:
        self.store.add_checkpoint(self.run_id, step, epoch, kind, _relative(path, self.root))

    def checkpoint_removed(self, path: Path) -> None:
        self.store.remove_checkpoint(self.run_id, _relative(path, self.root))


def _relative(path: Path, root: Path) -> str:
    return Path(path).resolve().relative_to(root.resolve()).as_posix()


def _in_effect(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The backbone, augmentation and task options a run's network and task were built
    with (build_setup's snapshot), for its record."""
    return {k: snapshot[k] for k in IN_EFFECT}


def n_values(items: list[dict[str, Any]]) -> int:
    """Values in a series dataset (steps x channels, summed); 0 for images."""
    return sum(int(i["length"] or 0) * int(i["channels"]) for i in items)


def latest_checkpoint(run_dir: Path) -> dict[str, Any]:
    """The newest checkpoint of a run that loads (a newer damaged one is skipped)."""
    files = sorted((run_dir / "checkpoints").glob("step-*.pt"), reverse=True)
    problems = []
    for path in files:
        try:
            return load_checkpoint(path)
        except CheckpointError as exc:
            problems.append(str(exc))
    detail = (
        f" ({'; '.join(problems)})"
        if problems
        else ": it stopped before its first checkpoint was written"
    )
    raise SSLStudioError(
        f"The run in {run_dir} has no usable checkpoint to resume from{detail}. Start a new "
        "run instead (with a smaller checkpoint interval if runs often stop early)."
    )


class Pretraining:
    """One pretraining run (new or resumed) on this process; see ``run``."""

    def __init__(
        self,
        cfg: PretrainConfig,
        report: Reporter,
        stop: StopToken,
        started: Callable[[int, int], None] | None = None,
    ) -> None:
        """started: called with the run's number of optimiser steps and its id once the
        config is resolved and the run made (before any other event of the run)."""
        self.cfg = cfg
        self.report = report
        self.stop = stop
        self.started = started or (lambda total, run_id: None)
        self.world = distributed.world_from_env()

    def run(self) -> dict[str, Any]:
        """Open the project and build the run, join the other processes (torchrun) and
        train. A process that cannot start still joins, to say so: every process then
        ends within seconds (distributed.join), never waiting for it."""
        world = self.world
        resuming = self.cfg.resume_run  # (as each process chose it: compared on joining)
        device = pick_device(self.cfg.train.device, world.local_rank)
        if device.type == "cuda":  # (before anything is built on it)
            torch.cuda.set_device(device)
        with contextlib.ExitStack() as stack:
            try:
                store = stack.enter_context(
                    Store.open(
                        self.cfg.project,
                        write=world.is_main,
                        purpose="ssl-studio pretrain",
                        # (the job's first process leaves WAL mode on a network drive)
                        leave_wal=world.is_main,
                    )
                )
                resume, dataset, items = self._prepare(store)
                labels = store.latest_label_set(dataset["id"])
                setup, lowered = self._build(store, dataset, items, device, resume)
                stack.callback(setup.batches.close)
                failure: Exception | None = None
            except Exception as exc:  # (the config's, or a rank's own: its GPU, its memory)
                failure = distributed.held_for_join(exc, world)
            try:
                note = distributed.join(world, device, failure, resuming)
                if note and world.is_main:
                    self.report(Message(JOB, note, level="warning"))
                return self._train(store, dataset, items, labels, device, resume, setup, lowered)
            finally:
                distributed.shutdown()

    def _prepare(
        self, store: Store
    ) -> tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]:
        """(the checkpoint to resume from or None, the dataset, its items), with the config
        validated and resolved; ConfigError when the run cannot be made or resumed (every
        process, reading the same config and project, refuses alike)."""
        resume = resumed = None
        if self.cfg.resume_run is not None:
            resume, self.cfg, resumed = self._resume_state(store)
        self.cfg.validate()
        dataset = store.dataset_named(self.cfg.dataset)
        if self.cfg.resume_run is None and not self.cfg.allow_partial_import:
            _refuse_partial_import(dataset, store.last_import(dataset["id"]))
        items = store.items(dataset["id"])
        if resumed is not None:
            since = store.imports_since(dataset["id"], resumed.get("created") or "")
            note = refuse_changed_data(resumed, dataset, items, since)
            if note is not None and self.world.is_main:
                self.report(Message(JOB, note, level="warning"))
        self.cfg.resolve(dataset["modality"], n_values(items))
        if instances(items, dataset["modality"], self.cfg.series_length) < MIN_ITEMS:
            raise ConfigError(too_few_text(dataset, items, self.cfg.series_length))
        return resume, dataset, items

    def _resume_state(self, store: Store) -> tuple[dict[str, Any], PretrainConfig, dict[str, Any]]:
        """(the run's newest checkpoint, its config with the options in effect then, its
        row) for ``cfg.resume_run``; ConfigError when it cannot be resumed."""
        run = store.run_of_kind(self.cfg.resume_run, "pretrain", "resume")
        state = latest_checkpoint(store.paths.root / run["folder"])
        trained = (run.get("summary") or {}).get("steps", 0)
        if run["status"] == "done" and state["progress"]["step"] >= trained:
            raise ConfigError(  # (a done run whose last checkpoint was lost goes on)
                f"Run {run['id']} is done: it trained all its steps, so there is nothing to "
                "resume. Fine-tune it, or start a new run to train longer."
            )
        cfg = PretrainConfig.from_dict({**state["config"], "project": self.cfg.project})
        cfg.resume_run = run["id"]
        # the options in effect when the run began, not today's defaults (checkpoints of
        # older versions hold the augmentation only)
        for name in IN_EFFECT:
            if state.get(name):
                setattr(cfg, name, dict(state[name]))
        cfg.task_options = recorded_options(cfg.task, cfg.task_options)
        written_by = len(state.get("rng_ranks") or [])  # 0: a checkpoint of older versions
        if cfg.train.steps is None and written_by not in (0, self.world.size):
            raise ConfigError(
                f"Run {run['id']} counts its length in epochs, shared out over the "
                f"{written_by} process(es) that wrote its checkpoint; with "
                f"{self.world.size} it would end early and change its learning-rate "
                f"schedule. Resume it with {written_by} process(es) in all (torchrun "
                f"--nproc_per_node {written_by} on one machine, or --nnodes N "
                f"--nproc_per_node M with N x M = {written_by} on several; without torchrun "
                "for 1)."
            )
        return state, cfg, run

    def _build(
        self,
        store: Store,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        device: torch.device,
        resume: dict[str, Any] | None,
    ) -> tuple[Setup, bool]:
        """(the run's network, task and batches, whether its batch size was lowered to
        what each process's share of the data allows); built before the processes join,
        so that a process failing here ends the others at once."""
        cfg, world = self.cfg, self.world
        count = instances(items, dataset["modality"], cfg.series_length)
        batch = min(cfg.train.batch_size, count // world.size)
        lowered = batch < cfg.train.batch_size and resume is None
        if lowered:
            cfg.train.batch_size = batch
        # cached data that is gone or cut short is refused before a run is made
        reader = CacheReader(
            store.paths.dataset_cache(dataset["id"]), store.cache_extents(dataset["id"])
        )
        # a series run begun before sections existed samples on as it began
        sections = resume is None or bool(resume.get("series_sections"))
        setup = build_setup(cfg, dataset["modality"], items, reader, world, device, sections)
        return setup, lowered

    def _train(
        self,
        store: Store,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        labels: dict[int, str],
        device: torch.device,
        resume: dict[str, Any] | None,
        setup: Setup,
        lowered: bool,
    ) -> dict[str, Any]:
        cfg, world = self.cfg, self.world
        run_id: int | None = None
        try:  # once the run is made a failure is the run's: marked, never left running
            run_id = distributed.opened_by_main(
                lambda: self._open_run(store, dataset, items, device, resume, setup.snapshot),
                world,
            )
            self.started(planned_steps(cfg.train, len(setup.batches)), run_id)
            if resume is None:
                self.report(self._run_text(run_id, dataset, items, device))
            elif world.is_main and (threads := thread_count_note(resume.get("versions"))):
                self.report(Message(JOB, threads))
            if lowered:
                held = holds_text(dataset, items, cfg.series_length)
                text = f"Batch size lowered to {cfg.train.batch_size}: {held}."
                self.report(Message(JOB, text, level="warning"))
            cached, size = dataset.get("cache_size") or 0, cfg.image_size or 0
            if dataset["modality"] == "image" and resume is None and upsamples(cached, size):
                largest = max((max(i["height"] or 0, i["width"] or 0) for i in items), default=0)
                text = upsampled_warning(cached, size, largest)
                self.report(Message(JOB, text, level="warning"))
            run_dir = store.paths.root / "runs" / str(run_id)
            snapshot = {
                "config": to_dict(cfg),
                "dataset": dataset["name"],
                "run_id": run_id,
                **setup.snapshot,
            }
            if world.is_main and resume is None:  # (for people: the run's config as given)
                write_json_atomically(run_dir / "config.json", snapshot["config"])
            health = self._health(setup, items, labels, device) if world.is_main else None
            trainer = Trainer(
                setup.task,
                setup.batches,
                cfg.train,
                device=device,
                run_dir=run_dir,
                world=world,
                report=self.report,
                stop=self.stop,
                recorder=StoreRecorder(store, run_id) if world.is_main else None,
                health=health,
                snapshot=snapshot,
                job=JOB,
            )
            summary = trainer.fit(resume)
        except KeyboardInterrupt:  # (a second Ctrl+C): cut off, as a kill would, resumable
            if world.is_main and run_id is not None:
                store.finish_run(run_id, "interrupted", error="Interrupted (Ctrl+C twice).")
            raise
        except BaseException as exc:
            told = None
            if run_id is not None and world.distributed and distributed.lost_a_peer(exc):
                told = SSLStudioError(_peer_lost(cfg.project, run_id, world.size))
            elif run_id is not None:  # (the project's drive gone, or the folder moved)
                told = _cut_off(exc, _resume_text(cfg.project, run_id, world.size), store)
            if world.is_main and run_id is not None and told is not None:  # (resumable)
                with contextlib.suppress(Exception):  # (the drive may be gone)
                    store.finish_run(run_id, "interrupted", error=str(told))
            elif world.is_main and run_id is not None:
                store.fail_run(run_id, exc)
            if told is not None:
                raise told from exc
            raise
        summary = {"run_id": run_id, "device": describe(device), **summary}
        if world.is_main:
            store.finish_run(run_id, summary["status"], summary)
        return summary

    def _open_run(
        self,
        store: Store,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        device: torch.device,
        resume: dict[str, Any] | None,
        snapshot: dict[str, Any],
    ) -> int:
        store.mark_interrupted_runs()
        precision = Precision.choose(self.cfg.train.amp, device).name  # (as the engine's)
        if resume is not None:
            step = int(resume["progress"]["step"])
            store.resume_run(
                self.cfg.resume_run,
                describe(device),
                self.world.size,
                step,
                precision,
                versions=versions(),  # (this session's: the code may have changed since)
            )
            return int(self.cfg.resume_run)
        run_id = store.create_run(
            dataset["id"],
            "pretrain",
            {
                "task": self.cfg.task,
                "backbone": self.cfg.backbone,
                # with the options as the run has them, defaults worked out included
                "config": {
                    **to_dict(self.cfg),
                    "in_effect": _in_effect(snapshot),
                    "precision": precision,  # (as resolved here; each resume's: sessions)
                },
                "device": describe(device),
                "world_size": self.world.size,
                "fingerprint": fingerprint(items),
                "versions": versions(),
            },
        )
        return run_id

    def _run_text(
        self,
        run_id: int,
        dataset: dict[str, Any],
        items: list[dict[str, Any]],
        device: torch.device,
    ) -> Message:
        """The line that names a new run: its id, task, dataset, backbone and device."""
        return Message(
            JOB,
            f"Run {run_id}: {self.cfg.task} on '{dataset['name']}' with "
            f"{self.cfg.backbone}{size_text(self.cfg, dataset['modality'], items)}, on "
            f"{describe(device)}.{sections_note(self.cfg, dataset['modality'], items)}",
        )

    def _health(
        self,
        setup: Setup,
        items: list[dict[str, Any]],
        labels: dict[int, str],
        device: torch.device,
    ) -> HealthMonitor:
        series = self.cfg.series_length if self.cfg.series_length and items else None
        probe, label_tensor = probe_items(items, labels, series)

        def emit(step: int, spread: float, rank: float, knn: float | None) -> None:
            self.report(
                Health(JOB, step=step, embedding_std=spread, effective_rank=rank, knn_accuracy=knn)
            )

        return HealthMonitor(setup.probe(probe, device), label_tensor, emit)


def _refuse_partial_import(dataset: dict[str, Any], last_import: dict[str, Any] | None) -> None:
    """ConfigError for a new run on a dataset partly imported: its last import, or an
    earlier one still the latest of one of its folders (``last_import``:
    Store.last_import), did not read every file. A run on part of the data, hours long,
    is rarely what was meant."""
    note = partial_import_note(last_import)
    if note is not None:
        raise ConfigError(
            f"Dataset '{dataset['name']}' is only partly imported. {note} To pretrain on "
            "what is imported so far anyway, set allow_partial_import."
        )


def _resume_text(project: Path, run_id: int, processes: int) -> str:
    """``resume run 3: ssl-studio pretrain PROJECT --resume 3`` (torchrun for several)."""
    per_node = distributed.processes_per_node(processes)
    return f"resume run {run_id}: {resume_command(project, run_id, processes, per_node)}"


def _cut_off(exc: BaseException, then: str, store: Store) -> SSLStudioError | None:
    """The message for a run cut off by its project's drive that stopped answering, or
    its folder moved away (nothing of it lost: resumable, ``then``), else None."""
    if isinstance(exc, ProjectMovedError) or (isinstance(exc, OSError) and store.moved_away()):
        return ProjectMovedError(store.paths.root, then)
    return drive_lost(exc, then) if is_drive_lost(exc) else None


def _peer_lost(project: Path, run_id: int, processes: int) -> str:
    """What a rank says when another training process of its run died or lost touch (its
    own error, if any, is in that process's output); also the run's recorded error."""
    how = resume_command(
        project, run_id, processes, per_node=distributed.processes_per_node(processes)
    )
    return (
        f"Another training process of run {run_id} stopped or lost its connection, so this "
        "one stopped too (that process's own output says why). The run's checkpoints are "
        f"kept: resume it with {how}."
    )
