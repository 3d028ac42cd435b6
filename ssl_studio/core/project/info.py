"""A project at a glance, as a stable JSON-able dict (``ssl-studio info --json``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ssl_studio import __version__
from ssl_studio.core.project.label_changes import labels_changed
from ssl_studio.core.project.lock import writer_present
from ssl_studio.core.project.store import Store, folder_bytes

INFO_FORMAT = 1  # bump when a key changes meaning; keys are only ever added
# a run recorded "running" in a project that cannot be written (writer_present: None):
# whether its process still runs cannot be told there
UNSURE_RUNNING = "running, or cut off (cannot tell: the project is read-only)"


def _seconds(run: dict[str, Any]) -> float | None:
    seconds = (run.get("summary") or {}).get("seconds")
    if seconds is None and run.get("started") and run.get("finished"):
        start = datetime.fromisoformat(run["started"])
        seconds = (datetime.fromisoformat(run["finished"]) - start).total_seconds()
    return seconds


def runs_overview(store: Store) -> list[dict[str, Any]]:
    """Every run, newest first: id, kind, task (the protocol for fine-tuning), backbone,
    dataset, parent_run, status ("interrupted" for one recorded "running" while no process
    writes the project: it was cut off), status_text (the status for people: for a run
    "running" in a project that cannot be written, where no process writing it can be
    seen, UNSURE_RUNNING), seconds, steps, final_loss, quality (pretraining:
    the last online kNN accuracy; fine-tuning: test ROC AUC; None when not measured),
    quality_name, quality_title (its name for people: "kNN accuracy", "test AUC", or
    "test AUC (macro)" for more than two classes, the mean of one-vs-rest AUCs), device,
    error, folder (relative to the project), created, and labels_changed
    (label_changes.py: the label set changed after a fine-tuning run, or None)."""
    names = {d["id"]: d["name"] for d in store.datasets()}
    out = []
    writing = None  # whether a process writes the project (asked once, when it matters)
    newest = store.newest_checkpoint_steps()
    for run in reversed(store.runs()):
        status = run["status"]
        if status == "running":  # (its process may be gone: a kill, a crash)
            writing = writer_present(store.paths.lock) if writing is None else writing
            status = "interrupted" if writing is False else status
        summary = run.get("summary") or {}
        trained = summary.get("info") or {}  # a fine-tuning protocol's training figures
        quality_name = "knn_accuracy" if run["kind"] == "pretrain" else "test_roc_auc"
        points = store.metrics(run["id"], quality_name)
        loss = summary.get("final_loss", trained.get("final_loss"))
        task = run.get("task") or summary.get("protocol") or ""
        if task == "auto" and summary.get("protocols"):  # what auto chose, point by point
            task = f"auto ({', '.join(summary['protocols'])})"
        out.append(
            {
                "id": run["id"],
                "kind": run["kind"],
                "task": task,
                "backbone": run.get("backbone") or "",
                "dataset": names.get(run["dataset_id"], ""),
                "parent_run": run.get("parent_run_id"),
                "status": status,
                "status_text": _status_text(status, writing),
                "seconds": _seconds(run),
                "steps": trained_steps(
                    summary.get("steps", trained.get("steps")), newest.get(run["id"])
                ),
                "final_loss": loss if isinstance(loss, float) else None,
                "quality": points[-1][1] if points else None,
                "quality_name": quality_name,
                "quality_title": _quality_title(run["kind"], summary),
                "device": run.get("device") or "",
                "error": run.get("error"),
                "folder": run.get("folder"),
                "created": run.get("created"),
                "labels_changed": labels_changed(store, run),
            }
        )
    return out


def _quality_title(kind: str, summary: dict[str, Any]) -> str:
    """The name of a run's quality figure for people (runs_overview): a macro mean of
    one-vs-rest AUCs says so, as every report titles it."""
    if kind == "pretrain":
        return "kNN accuracy"
    return "test AUC (macro)" if len(summary.get("classes") or []) > 2 else "test AUC"


def _status_text(status: str, writing: bool | None) -> str:
    """A run's status for people: UNSURE_RUNNING where "running" cannot be checked."""
    return UNSURE_RUNNING if status == "running" and writing is None else status


def trained_steps(recorded: int | None, newest: int | None) -> int | None:
    """The steps a run trained: its summary's (``recorded``) or its newest checkpoint's
    (``newest``), whichever is further (a run cut off or failed wrote no summary; a
    resumed one still running, or cut off, keeps the summary of its session before);
    None when it has neither."""
    known = [s for s in (recorded, newest) if s is not None]
    return max(known) if known else None


def project_info(root: Path) -> dict[str, Any]:
    """Datasets with item counts by modality, file and error counts, and cache sizes.

    Keys: format, project, project_id, schema_version, app_version, datasets (list of name,
    modality, cache_size, items, items_by_modality, files{ok,failed,skipped,missing},
    errors, skipped, cache_bytes, erased, label_sets, last_import), runs (see runs_overview),
    totals (items, errors, cache_bytes).
    """
    with Store.open(Path(root)) as store:
        datasets = []
        pending = store.pending_scrubs()
        for row in store.datasets():
            summary = store.dataset_summary(row["id"])
            datasets.append(
                {
                    "name": row["name"],
                    "modality": row["modality"],
                    "cache_size": row["cache_size"],
                    **summary,
                    "cache_bytes": folder_bytes(store.paths.dataset_cache(row["id"])),
                    # files erased on request (remove --file/--patient): an import
                    # counts them among its skipped files when it meets them again
                    "erased": store.erased_count(row["id"]),
                    # an erasure committed but not yet done overwriting their bytes
                    "erasure_pending": row["id"] in pending,
                    "label_sets": [
                        {"name": s["name"], "version": s["version"], "labels": s["n_labels"]}
                        for s in store.label_sets(row["id"])
                    ],
                }
            )
        return {
            "format": INFO_FORMAT,
            "project": str(store.paths.root.resolve()),
            # random (store/meta.py); None until a project made before ids is written
            "project_id": store.project_id,
            "schema_version": store.schema_version,
            "app_version": __version__,
            "datasets": datasets,
            "runs": runs_overview(store),
            "totals": {
                "items": sum(d["items"] for d in datasets),
                "errors": sum(d["errors"] for d in datasets),
                "cache_bytes": folder_bytes(store.paths.cache),
            },
        }
