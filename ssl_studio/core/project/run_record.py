"""One run's whole record, as a JSON-able dict (``ssl-studio info PROJECT --run N``): what
reproducing or defending its result needs, from the project alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.info import trained_steps
from ssl_studio.core.project.split_file import PARTS, split_or_none
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store.runs import session

RECORD_FORMAT = 1  # bump when a key changes meaning; keys are only ever added


def _split_sizes(folder: Path) -> dict[str, Any] | None:
    """How many items each part of a fine-tuning run's split holds (split.json; item ids
    are left out: the counts say how it was split, the ids are in the file)."""
    saved = split_or_none(folder)
    if saved is None:
        return None
    sizes: dict[str, Any] = {part: len(saved.ids(part) or []) for part in PARTS}
    if saved.folds:
        sizes["folds"] = [len(fold) for fold in saved.folds]
    return sizes


def _sessions(
    run: dict[str, Any], kept: list[dict[str, Any]] | None, checkpoints: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each training session of a run (one, unless it was resumed): from_step, to_step
    (the next session's start; for the last, the steps its summary or newest checkpoint
    says, None when neither does), started, device and processes."""
    sessions = [dict(s) for s in kept or []] or [
        session(0, run.get("started"), run.get("device"), run.get("world_size"))
    ]
    newest = max((c["step"] for c in checkpoints), default=None)
    last = trained_steps((run.get("summary") or {}).get("steps"), newest)
    ends = [s["from_step"] for s in sessions[1:]] + [last]
    for kept_session, end in zip(sessions, ends, strict=True):
        kept_session["to_step"] = end
    return sessions


def run_record(root: Path, run_id: int) -> dict[str, Any]:
    """Run ``run_id``: its kind, task, backbone, dataset, parent run, status and times;
    the config as given and the options in effect (``config.in_effect`` for pretraining;
    the label set's version and the encoder checkpoint's step for fine-tuning), the
    package versions, the data fingerprint, device and processes (of its last session;
    ``sessions`` lists each, see _sessions), the summary, its checkpoints (step, kind,
    file relative to the project) and, for fine-tuning, the sizes of its split. The
    config's project folder is left out (a path of this machine, which may name a
    person). ``project_id``: the project's random id (None until a project made before
    ids is written). ConfigError for a run the project does not have."""
    with Store.open(Path(root)) as store:
        run = store.run(run_id)
        if run is None:
            ids = [r["id"] for r in store.runs()]
            known = f"its runs are {', '.join(map(str, ids))}" if ids else "it has no runs"
            raise ConfigError(f"The project has no run {run_id}; {known} (ssl-studio info).")
        names = {d["id"]: d["name"] for d in store.datasets()}
        checkpoints = [
            {"step": c["step"], "kind": c["kind"], "file": c["path"]}
            for c in store.checkpoints(run_id)
        ]
        folder = store.paths.root / run["folder"]
        project_id = store.project_id
    config = {k: v for k, v in (run.get("config") or {}).items() if k != "project"}
    sessions = _sessions(run, config.pop("sessions", None), checkpoints)
    return {
        "format": RECORD_FORMAT,
        "id": run["id"],
        "project_id": project_id,  # (run ids repeat across projects; store/meta.py)
        "kind": run["kind"],
        "task": run.get("task"),
        "backbone": run.get("backbone"),
        "dataset": names.get(run["dataset_id"]),
        "parent_run": run.get("parent_run_id"),
        "status": run["status"],
        "created": run.get("created"),
        "started": run.get("started"),
        "finished": run.get("finished"),
        "device": run.get("device"),
        "processes": run.get("world_size"),
        "config": config,
        "versions": run.get("versions"),
        "fingerprint": run.get("fingerprint"),
        "summary": run.get("summary"),
        "error": run.get("error"),
        "checkpoints": checkpoints,
        "sessions": sessions,
        "split": _split_sizes(folder) if run["kind"] == "finetune" else None,
        "folder": run["folder"],
    }
