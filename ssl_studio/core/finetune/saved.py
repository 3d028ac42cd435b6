"""A fine-tuned classifier on disk (``runs/<id>/model.pt``): writing, reading, and
evaluating it again on its test split or on another labeled dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.engine.checkpoint import load_checkpoint, save_checkpoint
from ssl_studio.core.engine.device import pick_device
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.evaluation.auc_floor import with_floors
from ssl_studio.core.evaluation.metrics import SCALARS, classification_report
from ssl_studio.core.evaluation.patient_groups import add_caveat
from ssl_studio.core.events import Progress, Reporter, StopToken, ignore
from ssl_studio.core.finetune.classifier import Classifier, build_classifier, head_spec
from ssl_studio.core.finetune.data import LabeledData, predict_proba
from ssl_studio.core.finetune.evaluation_file import EVALUATION_FILE, read_evaluation
from ssl_studio.core.finetune.protocols import Fitted
from ssl_studio.core.finetune.setup import chosen_label_set, labeled_data
from ssl_studio.core.finetune.split_changes import (
    changed,
    changed_sentence,
    changes,
    unchecked_sentence,
)
from ssl_studio.core.project.split_file import read_split
from ssl_studio.core.project.store import Store

MODEL_FILE = "model.pt"
JOB = "evaluate"


def save_model(
    path: Path,
    fitted: Fitted,
    spec: dict[str, Any],
    data: LabeledData,
    extra: dict[str, Any],
) -> None:
    """The classifier and everything that rebuilds and describes it (atomic write)."""
    full_spec = {**spec, "classes": data.classes, "head": head_spec(fitted.classifier.head)}
    save_checkpoint(
        path,
        {
            "kind": "classifier",
            "spec": full_spec,
            "classifier": fitted.classifier.state_dict(),
            "series_length": data.series_length,
            "info": fitted.info,
            **extra,
        },
    )


def load_model(path: Path) -> tuple[Classifier, dict[str, Any]]:
    """A saved classifier (CPU, eval mode) and its checkpoint dictionary."""
    state = load_checkpoint(path)
    if state.get("kind") != "classifier":
        raise SSLStudioError(f"{path} does not hold a fine-tuned classifier.")
    model = build_classifier(state["spec"])
    model.load_state_dict(state["classifier"])
    return model.eval(), state


def evaluate_run(
    project: Path,
    run_id: int,
    dataset: str | None = None,
    labels: str | None = None,
    *,
    n_boot: int = 1000,
    device: str = "auto",
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> dict[str, Any]:
    """Metrics of a fine-tuned classifier: on its own test split with the labels it was
    tested with (default), or on the labeled items of ``dataset`` under label set
    ``labels`` (e.g. a separate test set) that the run never trained or tuned on.
    Reports Progress per chunk of items scored and per 100 resamples; raises
    events.Stopped when ``stop`` is set between them (see jobs.evaluate)."""
    stop = stop or StopToken()
    with Store.open(project) as store:
        run = store.run_of_kind(run_id, "finetune", "evaluate")
        run_dir = store.paths.root / run["folder"]
        model, state = load_model(run_dir / MODEL_FILE)
        spec = state["spec"]
        name = dataset or _dataset_name(store, run["dataset_id"])
        label_set = labels or state["label_set"]
        found = store.dataset(name)
        if labels is None and dataset is not None and found is not None:
            names = {s["name"] for s in store.label_sets(found["id"])}
            if label_set not in names:  # another data set: its only label set
                label_set = chosen_label_set(store, name, "")
        own_split = dataset is None and labels is None
        version = state.get("label_version") if own_split else None  # as it was tested
        data = labeled_data(  # one class is a fair test too: the sensitivity on positives
            store, name, label_set, spec, state["series_length"], None, version, min_classes=1
        )
        own_items = found is not None and found["id"] == run["dataset_id"]
        saved = read_split(run_dir)
        trained = set(saved.train) | set(saved.val)
        # exact copies of what it trained on (one file imported twice) test nothing
        trained_contents = set() if own_split else _contents(store, run["dataset_id"], trained)
    unknown = sorted(set(data.classes) - set(spec["classes"]))
    if unknown:
        raise ConfigError(
            f"The labels have class(es) the model does not know: {', '.join(unknown)}."
        )
    data.y = np.array([spec["classes"].index(data.classes[c]) for c in data.y], np.int64)
    data.classes = list(spec["classes"])
    # a run split by item (group_by_patient off) may have trained on other items of the
    # patients it is tested on here: resampled by item, and the report says so
    # (split.json says so too for a run that reused the split of a run split by item)
    by_item = own_items and (
        (state.get("config") or {}).get("group_by_patient") is False
        or saved.patients_kept_apart is False
    )
    if by_item:
        data.split_by_item()
    evaluation, since, copies = "test split", {}, 0
    if own_split:
        since = changes(saved, data.items)  # (empty for runs that recorded no hashes)
        if saved.folds is not None:  # the pooled out-of-fold figures cannot be recomputed
            stored = _pooled_figures(run_dir, run_id)
            # (AUC intervals stored before today's floor widened, as the card shows them)
            return _with_changes(with_floors(stored) or stored, since, run_id)
        ids = saved.test
        where = {int(i): p for p, i in enumerate(data.ids)}
        positions = np.array([where[i] for i in ids if i in where], np.int64)
    else:
        unseen = [p for p, i in enumerate(data.ids) if int(i) not in trained]
        positions = np.array(
            [p for p in unseen if data.items[p].get("content_hash") not in trained_contents],
            np.int64,
        )
        copies = len(unseen) - len(positions)
        evaluation = f"dataset {name}" + (
            f" (its {len(positions)} labeled items the run never trained or tuned on)"
            if own_items or copies
            else ""
        )
    if len(positions) == 0 and own_split:
        raise ConfigError(
            f"None of run {run_id}'s test items is in dataset '{name}' any more (its files "
            "were removed by a re-import); evaluate it on another labeled dataset."
        )
    if len(positions) == 0:
        raise ConfigError(
            f"Every labeled item of '{name}' under '{label_set}' trained or tuned run "
            f"{run_id}{' (or is an exact copy of one that did)' if copies else ''}, so none "
            "can test it. Label other items (or another dataset) and evaluate on those."
        )

    def scored(done: int, total: int) -> None:
        stop.check()
        report(Progress(JOB, done=done, total=total, phase="scoring"))

    def resampled(done: int) -> None:
        stop.check()
        report(Progress(JOB, done=done, total=n_boot, phase="resampling"))

    stop.check()
    target = pick_device(device)
    proba = predict_proba(model.to(target), data, positions, target, progress=scored)
    figures = classification_report(
        data.y[positions],
        proba,
        spec["classes"],
        threshold=state["threshold"],
        n_boot=n_boot,
        groups=data.groups[positions],
        each=resampled,
    )
    figures["evaluation"] = evaluation
    if copies:  # left out, and said: they would have scored the model on its training data
        said = (
            f"{copies} labeled item{'s' if copies > 1 else ''} of '{name}' "
            f"{'hold' if copies > 1 else 'holds'} the same content as items run {run_id} "
            "trained or tuned on (one file imported twice, or copied): left out."
        )
        figures["copies_left_out"] = copies
        figures["note"] = " ".join(filter(None, (said, figures.get("note"))))
    if own_split and saved.note:  # the test share is not the one asked for
        figures["note"] = " ".join(filter(None, (saved.note, figures.get("note"))))
    if own_split:  # the data changed since: other figures, told so
        figures = _with_changed(figures, since, run_id, "these figures are not the stored ones.")
    if by_item:
        add_caveat(figures)
    if state["threshold"] is not None:  # chosen at fine-tuning, on its validation items
        method = (state.get("config") or {}).get("threshold")
        recorded = (state.get("test") or {}).get("threshold_choice")  # (with its counts)
        figures["threshold_choice"] = recorded or {"method": method, "val_items": len(saved.val)}
    if not own_split:
        return figures
    # (items that could not be checked leave the figures as they are: said after pairing)
    return _with_unchecked(with_paired(figures, run_dir), since, run_id)


def _pooled_figures(run_dir: Path, run_id: int) -> dict[str, Any]:
    """The stored out-of-fold figures of cross-validated run ``run_id`` (the only copy)."""
    again = f"fine-tune again (as run {run_id} was) to measure them anew"
    stored = read_evaluation(
        run_dir,
        what=f"the cross-validated figures of run {run_id} stored there (the only copy)",
        otherwise=again,
    )
    if stored is None:
        raise ConfigError(
            f"{run_dir / EVALUATION_FILE} is missing: it held the cross-validated figures "
            f"of run {run_id}, which cannot be scored again. Restore the file from a backup "
            f"of the project folder, or {again}."
        )
    return stored


def _contents(store: Store, dataset_id: int, ids: set[int]) -> set[str]:
    """The content hashes (data/content_hash.py) of the items ``ids`` of a dataset, as
    they are now (items without one, or gone, add none)."""
    return {
        item["content_hash"]
        for item in store.items(dataset_id)
        if int(item["id"]) in ids and item.get("content_hash")
    }


def _with_changes(report: dict[str, Any], since: dict[str, Any], run_id: int) -> dict[str, Any]:
    """The stored report of a cross-validated run with what changed since among
    the items it scored out of fold, beside its figures, which stay the stored ones."""
    figures = (
        "the figures shown are the stored ones, measured on the items as they were "
        "(cross-validated figures cannot be scored again)."
    )
    return _with_unchecked(_with_changed(report, since, run_id, figures), since, run_id)


def _with_changed(
    report: dict[str, Any], since: dict[str, Any], run_id: int, figures: str
) -> dict[str, Any]:
    """The report with, when held-out items changed or went since the run was tested,
    ``data_changed`` and its sentence (ending in ``figures``) first in its note."""
    if not changed(since):
        return report
    said = changed_sentence(since, run_id, figures)
    report = {**report, "data_changed": {**since, "note": said}}
    report["note"] = " ".join(filter(None, (said, report.get("note"))))
    return report


def _with_unchecked(report: dict[str, Any], since: dict[str, Any], run_id: int) -> dict[str, Any]:
    """The report with how many held-out items could not be checked for changes (the
    run recorded no content hash for them), when any (``data_unchecked`` and its note)."""
    said = unchecked_sentence(since, run_id)
    if said is None:
        return report
    counts = {part: c["unchecked"] for part, c in since.items() if c.get("unchecked")}
    report = {**report, "data_unchecked": {**counts, "note": said}}
    report["note"] = " ".join(filter(None, (report.get("note"), said)))
    return report


def with_paired(report: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """The stored paired comparison with the baseline (versus_baseline) joins a report
    of the run's own test split only while that report is the stored one: the same
    items, labels and resamples (the baseline's predictions are not recomputed), told by
    what pins them down (see _scoring), not by every figure: intervals, per-class rows
    and notes are made by rules that later versions refine (the AUC's floor, a class-0
    AUC mirrored from class 1's), which must not drop the pairing of an older run."""
    stored = (
        read_evaluation(
            run_dir,
            what="the comparison with the baseline stored there",
            otherwise="delete it to go on without that comparison (fine-tune the run again "
            "with a baseline to measure it anew)",
        )
        or {}
    )
    paired = stored.pop("versus_baseline", None)
    same = _scoring(stored) == _scoring(report)
    return {**report, "versus_baseline": paired} if paired and same else report


def _scoring(report: dict[str, Any]) -> dict[str, Any]:
    """What says a report scored the same items, labels, predictions and resamples (see
    with_paired): the counts, classes, threshold and confusion matrix, the point value of
    each scalar metric (to 9 decimals: a float32 sum may differ in its last bits) and the
    resampling (its unit, count and seed, the first clause of interval_method)."""
    values = {
        name: _rounded(entry.get("value"))
        for name in SCALARS
        if isinstance(entry := report.get(name), dict)
    }
    kept = ("n", "classes", "threshold", "confusion", "resampled")
    return {
        **{k: report.get(k) for k in kept},
        "values": values,
        "resamples": str(report.get("interval_method", "")).split(";")[0],
    }


def _rounded(value: Any) -> Any:
    return round(value, 9) if isinstance(value, float) else value


def _dataset_name(store: Store, dataset_id: int) -> str:
    for found in store.datasets():
        if found["id"] == dataset_id:
            return found["name"]
    raise ConfigError(f"The dataset of this run (id {dataset_id}) is gone.")
