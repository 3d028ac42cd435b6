"""The fine-tuning job: a pretrained encoder + a label set -> an evaluated classifier,
beside the from-scratch baseline trained on exactly the same split and budget.

Each classifier is a run (kind ``finetune``, task = protocol, parent = the pretraining
run) whose folder holds ``model.pt`` (everything export needs), ``split.json`` (item ids
of train / val / test: no identifiers) and ``evaluation.json`` (test metrics with 95 %
bootstrap intervals).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ssl_studio.core.atomic_files import write_json_atomically
from ssl_studio.core.config_fields import to_dict
from ssl_studio.core.data_fingerprint import fingerprint
from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.checkpoint import versions
from ssl_studio.core.engine.device import describe, pick_device
from ssl_studio.core.evaluation.comparison import paired_difference_of
from ssl_studio.core.evaluation.metrics import Bootstrapped, bootstrapped, headline, report_of
from ssl_studio.core.evaluation.patient_groups import ITEM_SPLIT_CAVEAT, add_caveat
from ssl_studio.core.evaluation.splits import Split
from ssl_studio.core.evaluation.threshold import pick_threshold, threshold_choice
from ssl_studio.core.events import Message, Reporter, StopToken, ignore
from ssl_studio.core.finetune.data import LabeledData, predict_proba
from ssl_studio.core.finetune.evaluation_file import write_evaluation
from ssl_studio.core.finetune.label_fingerprints import labeled_fingerprints
from ssl_studio.core.finetune.plan import smallest_training_class
from ssl_studio.core.finetune.protocols import Fitted, fit_protocol, protocol_precision
from ssl_studio.core.finetune.saved import MODEL_FILE, save_model
from ssl_studio.core.finetune.setup import job_split, prepare, recommended_protocol
from ssl_studio.core.finetune.split_changes import recorded_hashes, unhashed_at_test
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.pretrain import StoreRecorder
from ssl_studio.core.pretrain_setup import rebuild_task
from ssl_studio.core.project.deleting import delete_leftover_scratch
from ssl_studio.core.project.scratch import scratch_folder
from ssl_studio.core.project.split_file import SPLIT_FILE, parsed_split
from ssl_studio.core.project.store import Store

JOB = "finetune"


class FineTuning:
    """One fine-tuning job; ``run()`` returns its summary (see jobs.finetune)."""

    def __init__(self, cfg: FinetuneConfig, report: Reporter, stop: StopToken) -> None:
        self.cfg = cfg
        self.world = distributed.world_from_env()
        self.report = report if self.world.is_main else ignore
        self.stop = stop
        self.patients_apart = cfg.group_by_patient  # False: split by item (see job_split)
        # run id -> (positions [n], the test predictions scored with their resamples)
        # until the baseline's are known too (the paired comparison reads both)
        self.scored: dict[int, tuple[np.ndarray, Bootstrapped]] = {}

    def run(self) -> dict[str, Any]:
        """Open the project and prepare the job, join the other processes (torchrun) and
        train. A process that cannot start still joins, to say so: every process then
        ends within seconds (distributed.join), as pretraining's do."""
        self.cfg.validate()
        assert self.cfg.run is not None
        world, main = self.world, self.world.is_main
        device = pick_device(self.cfg.train.device, world.local_rank)
        with contextlib.ExitStack() as stack:
            try:
                store = stack.enter_context(
                    Store.open(
                        self.cfg.project,
                        write=main,
                        purpose="ssl-studio finetune",
                        # (the job's first process leaves WAL mode on a network drive)
                        leave_wal=main,
                    )
                )
                protocol, encoder, spec, data, split = self._prepare(store)
                failure: Exception | None = None
            except Exception as exc:  # (the config's, or a rank's own: its GPU, its memory)
                failure = distributed.held_for_join(exc, world)
            try:
                if note := distributed.join(world, device, failure):  # (rank 0 reports)
                    self.report(Message(JOB, note, level="warning"))
                return self._both(store, protocol, encoder, spec, data, split, device)
            finally:
                distributed.shutdown()

    def _prepare(
        self, store: Store
    ) -> tuple[str, torch.nn.Module, dict[str, Any], LabeledData, Split]:
        """(the protocol, the pretrained encoder, the architecture spec, the labeled data,
        the split): all a process needs before joining the others."""
        cfg, source, state, spec, data, found = prepare(store, self.cfg)
        self.cfg = cfg
        self.dataset, self.source = found, source
        self.label_version = cfg.label_version  # (the version prepare chose: newest unless told)
        # the step of the checkpoint the encoder comes from: the run may go on later
        self.source_step = (state.get("progress") or {}).get("step")
        split, self.patients_apart = job_split(store, cfg, data)
        per_class = smallest_training_class(split, data.y, len(data.classes))
        protocol = recommended_protocol(per_class) if cfg.protocol == "auto" else cfg.protocol
        encoder = rebuild_task(state).trained_encoder
        if self.world.is_main:  # (before the join: no rank has made a scratch folder yet)
            store.mark_interrupted_runs()
            delete_leftover_scratch(store)  # (what cannot be deleted yet waits for later)
        return protocol, encoder, spec, data, split

    def _both(
        self,
        store: Store,
        protocol: str,
        encoder: torch.nn.Module,
        spec: dict[str, Any],
        data: LabeledData,
        split: Split,
        device: torch.device,
    ) -> dict[str, Any]:
        """The protocol's run, then (asked for, and it finished) the baseline's."""
        result = self._one(store, protocol, encoder, spec, data, split, device)
        if self.cfg.baseline and protocol != "scratch" and result["status"] == "done":
            baseline = self._one(store, "scratch", None, spec, data, split, device)
            result["baseline"] = {
                "run_id": baseline["run_id"],
                "status": baseline["status"],
                "test": baseline.get("test"),
            }
            if self.world.is_main:
                self._versus_baseline(store, result, baseline["run_id"])
                # its own duration stays its own (not the baseline's too)
                store.update_run_summary(result["run_id"], _summary(result))
        return result

    def _one(
        self,
        store: Store,
        protocol: str,
        encoder: torch.nn.Module | None,
        spec: dict[str, Any],
        data: LabeledData,
        split: Split,
        device: torch.device,
    ) -> dict[str, Any]:
        """Train and evaluate one protocol as a run; under torchrun every rank trains its
        shard and rank 0 alone writes the run, the model and the metrics."""
        main = self.world.is_main
        run_id = distributed.opened_by_main(  # (a failure: the other ranks stop at once)
            lambda: self._create_run(store, protocol, spec, data, split, device), self.world
        )
        run_dir = store.paths.root / "runs" / str(run_id)
        try:
            scored = None
            if split.folds:
                scored = self._out_of_fold(protocol, encoder, spec, data, split, device, run_dir)
            fitted = fit_protocol(
                protocol,
                encoder,
                spec,
                data,
                split.train,
                self.cfg,
                device=device,
                run_dir=run_dir,
                report=self.report,
                stop=self.stop,
                recorder=StoreRecorder(store, run_id) if main else None,
                job=JOB,
                world=self.world,
            )
            status = distributed.broadcast(fitted.info.get("status", "done"), self.world)
            if not main:
                return {"run_id": run_id, "status": status, "protocol": protocol}
            result = self._evaluate(
                store, run_id, run_dir, fitted, spec, data, split, device, scored
            )
        except BaseException as exc:
            if main:
                store.fail_run(run_id, exc)
            raise
        store.finish_run(run_id, result["status"], _summary(result))
        return result

    def _create_run(
        self,
        store: Store,
        protocol: str,
        spec: dict[str, Any],
        data: LabeledData,
        split: Split,
        device: torch.device,
    ) -> int:
        cfg = self.cfg
        train_items = data.subset(split.train)
        run_id = store.create_run(
            self.dataset["id"],
            "finetune",
            {
                "task": protocol,
                "backbone": spec["backbone"],
                "config": {
                    **to_dict(cfg),
                    "protocol": protocol,
                    "label_version": self.label_version,
                    "source_step": self.source_step,
                    "precision": protocol_precision(protocol, cfg.train.amp, device),
                },
                "device": describe(device),
                "world_size": self.world.size,
                "fingerprint": fingerprint(train_items),
                "versions": versions(),
                "parent_run_id": cfg.run,
            },
        )
        run_dir = store.paths.run_folder(run_id)  # made new by create_run
        try:  # (a full disk, say: the run failed, never left "running")
            write_json_atomically(run_dir / "config.json", to_dict(cfg))  # (for people)
            kept = {} if self.patients_apart else {"patients_kept_apart": False}  # saved.py
            parts = split.to_dict(data.ids)  # (+ held-out items' hashes: split_changes.py)
            write_json_atomically(
                run_dir / SPLIT_FILE,
                {**parts, **kept, **recorded_hashes(parsed_split(parts), data.items)},
                indent=None,
            )
            counts = _class_counts(data, split.train)
            testing = (
                f"{len(split.folds)}-fold cross-validation (few labels per class)"
                if split.folds
                else f"{len(split.test)} held out for testing"
                + (f" ({len(split.test) / len(data.y):.0%})" if len(data.y) else "")
            )
            self.report(
                Message(
                    JOB,
                    f"Run {run_id}: {protocol} on {len(split.train)} labels "
                    f"({', '.join(f'{c} {n}' for c, n in counts.items())}); "
                    f"{testing}."
                    + (f" {split.note}" if split.note else "")
                    + ("" if self.patients_apart else f" {ITEM_SPLIT_CAVEAT}"),
                )
            )
        except BaseException as exc:  # (a closed output pipe too: never left "running")
            store.fail_run(run_id, exc)
            raise
        return run_id

    def _out_of_fold(
        self,
        protocol: str,
        encoder: torch.nn.Module | None,
        spec: dict[str, Any],
        data: LabeledData,
        split: Split,
        device: torch.device,
        run_dir: Path,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Each fold's model scores its held-out fold: (positions, probabilities [n, K]) of
        every labeled item, or None when stopped."""
        assert split.folds is not None
        proba = np.zeros((len(data.y), len(data.classes)))
        for i, test in enumerate(split.folds):
            train = np.setdiff1d(split.train, test)
            self.report(Message(JOB, f"Fold {i + 1} of {len(split.folds)}."))
            with scratch_folder(run_dir) as fold_dir:  # (kept if a file is held: scratch.py)
                fitted = fit_protocol(
                    protocol,
                    encoder,
                    spec,
                    data,
                    train,
                    self.cfg,
                    device=device,
                    run_dir=fold_dir,
                    report=self.report,  # each fold's loss curve, live
                    stop=self.stop,
                    job=JOB,
                )
            if fitted.info.get("status", "done") != "done" or fitted.classifier is None:
                return None
            proba[test] = predict_proba(fitted.classifier.to(device), data, test, device)
        return split.train, proba

    def _evaluate(
        self,
        store: Store,
        run_id: int,
        run_dir: Path,
        fitted: Fitted,
        spec: dict[str, Any],
        data: LabeledData,
        split: Split,
        device: torch.device,
        scored: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, Any]:
        """Metrics of the held-out test split, or of the pooled out-of-fold predictions
        (``scored``) under cross-validation; then the model is saved."""
        cfg = self.cfg
        status = fitted.info.get("status", "done")
        result: dict[str, Any] = {
            "run_id": run_id,
            "protocol": fitted.info["protocol"],
            "status": status,
            "classes": data.classes,
            "train_labels": int(len(split.train)),
            "test_items": int(len(split.test)) if not split.folds else int(len(split.train)),
            "evaluation": f"{len(split.folds)}-fold cross-validation"
            if split.folds
            else "test split",
            "info": fitted.info,
        }
        if status != "done" or fitted.classifier is None or (split.folds and scored is None):
            result["status"] = "stopped"
            return result
        model = fitted.classifier.to(device)
        threshold = None
        if cfg.threshold != "default" and len(data.classes) == 2:
            val_p = predict_proba(model, data, split.val, device)
            threshold = pick_threshold(data.y[split.val], val_p[:, 1], cfg.threshold)
        if scored is not None:
            positions, test_p = scored
        else:
            positions = split.test
            test_p = predict_proba(model, data, positions, device)
        test_scores = bootstrapped(
            data.y[positions],
            test_p,
            threshold=threshold,
            n_boot=cfg.n_boot,
            groups=data.groups[positions],
        )
        report = report_of(test_scores, data.classes)
        report["evaluation"] = result["evaluation"]
        if split.note:  # the test share is not the one asked for: whole patients
            report["note"] = " ".join(filter(None, (split.note, report.get("note"))))
        if not self.patients_apart:
            add_caveat(report)
        if threshold is not None:  # (how many validation positives and negatives chose it)
            choice = threshold_choice(cfg.threshold, data.y[split.val], data.groups[split.val])
            report["threshold_choice"] = choice
            if choice.get("note"):
                self.report(Message(JOB, f"Run {run_id}: {choice['note']}"))
        # items a later evaluate cannot check for changes (said beside the note, not in it)
        report |= unhashed_at_test(
            [data.items[p] for p in positions], "folds" if split.folds else "test"
        )
        fitted.classifier.cpu()
        save_model(
            run_dir / MODEL_FILE,
            fitted,
            spec,
            data,
            {
                "threshold": threshold,
                "config": to_dict(cfg),
                "run_id": run_id,
                "parent_run_id": cfg.run,
                "label_set": cfg.labels,
                "label_version": self.label_version,
                "dataset": self.dataset["name"],
                "source_task": self.source["task"],
                "source_step": self.source_step,
                "test": report,
                "fingerprint": fingerprint(data.subset(split.train)),
                # (kept here only, never exported: label_fingerprints.py)
                "labels_fingerprint": labeled_fingerprints(data, split.train, positions),
                "train_counts": _class_counts(data, split.train),
                # split by item, every item is a group of its own: no patient count
                "train_patients": (
                    _patients(data.groups[split.train]) if self.patients_apart else None
                ),
            },
        )
        write_evaluation(run_dir, report)
        store.add_metrics(
            run_id,
            [
                (0, 0, f"test_{name}", float(report[name]["value"]))
                for name in ("accuracy", "balanced_accuracy", "roc_auc")
                if report[name]["value"] is not None
            ],
        )
        self.report(Message(JOB, f"Run {run_id} ({result['protocol']}): {headline(report)}."))
        result["threshold"] = threshold
        result["test"] = report
        self.scored[run_id] = (positions, test_scores)
        return result

    def _versus_baseline(self, store: Store, result: dict[str, Any], base_id: int) -> None:
        """The paired bootstrap of fine-tuned minus baseline on the same test items (or
        the same pooled out-of-fold items), kept in the fine-tuned run's report and its
        evaluation.json as ``versus_baseline``; nothing when either was not scored."""
        mine, theirs = self.scored.get(result["run_id"]), self.scored.get(base_id)
        if mine is None or theirs is None or not np.array_equal(mine[0], theirs[0]):
            return
        paired = paired_difference_of(mine[1], theirs[1])  # the reports' own resamples
        report = result["test"]
        report["versus_baseline"] = {"baseline_run_id": base_id, **paired}
        # (replaced whole: the file written at fine-tuning stays until this one is)
        write_evaluation(store.paths.run_folder(result["run_id"]), report)


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the runs table keeps: the headline figures, not the whole report."""
    test = result.get("test") or {}
    short = {k: test[k]["value"] for k in ("accuracy", "balanced_accuracy", "roc_auc") if k in test}
    out = {k: v for k, v in result.items() if k not in ("test", "baseline")}
    out["test"] = short
    if "baseline" in result:
        base = result["baseline"].get("test") or {}
        out["baseline"] = {
            "run_id": result["baseline"]["run_id"],
            **{
                k: base[k]["value"]
                for k in ("accuracy", "balanced_accuracy", "roc_auc")
                if k in base
            },
        }
    # the runs table's n and intervals: a perfect score of 6 items is no perfect score of 400
    keys = ("balanced_accuracy", "roc_auc")
    base = (result.get("baseline") or {}).get("test") or {}
    out["figures"] = {
        "n": test.get("n"),
        "test": {k: _entry(test[k]) for k in keys if k in test},
        "baseline": {k: _entry(base[k]) for k in keys if k in base},
    }
    return out


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A figure with its interval, without what else the report holds beside them."""
    return {k: entry.get(k) for k in ("value", "low", "high")}


def _class_counts(data: LabeledData, positions: np.ndarray) -> dict[str, int]:
    """Labels per class among ``positions`` (the model card's training figures)."""
    counts = np.bincount(data.y[positions], minlength=len(data.classes))
    return {c: int(n) for c, n in zip(data.classes, counts, strict=True)}


def _patients(groups: np.ndarray) -> int | None:
    """Distinct patients among items with a patient ID (None when none has one: images
    without DICOM headers); an item without one is a group of its own (negative)."""
    known = groups[groups >= 0]
    return len(set(known.tolist())) if known.size else None
