"""``ssl-studio pretrain PROJECT --resume latest``: which run a requeued batch job resumes.

The newest pretraining run that can be resumed, of the dataset and task given with
``--dataset`` and ``--task`` (either may be left out): a run is resumable when it is
stopped, interrupted or failed. Refused, saying why, when there is none; when the
resumable runs belong to more than one dataset or task (ambiguous: name them); and when
a newer run of that dataset and task is running or done (a job requeued after its run
finished must not resume an older one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError

LATEST = "latest"
RESUMABLE = ("stopped", "interrupted", "failed")


def resume_value(text: str) -> int | str:
    """``--resume``'s value: a run id or ``latest``."""
    import argparse

    if text.strip().lower() == LATEST:
        return LATEST
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a run id or 'latest', not {text!r}") from None


def latest_run(project: Path, dataset: str | None, task: str | None) -> int:
    """The id of the run ``--resume latest`` means (see the module docstring); a
    ConfigError (said once under torchrun) when there is none or it is not clear which."""
    from ssl_studio.core.project.store import Store

    main = os.environ.get("RANK", "0") == "0"
    with Store.open(project, leave_wal=main) as store:
        names = {d["id"]: d["name"] for d in store.datasets()}
        runs = [
            r
            for r in store.runs()
            if r["kind"] == "pretrain"
            and (dataset is None or names.get(r["dataset_id"]) == dataset)
            and (task is None or r.get("task") == task)
        ]
    try:
        return _choose(runs, names, dataset, task)
    except ConfigError as exc:
        exc.every_process = True  # type: ignore[attr-defined]
        raise


def _choose(
    runs: list[dict[str, Any]], names: dict[int, str], dataset: str | None, task: str | None
) -> int:
    of = " of".join(
        [""] + [part for part in (dataset and f" '{dataset}'", task and f" {task}") if part]
    )
    resumable = [r for r in runs if r["status"] in RESUMABLE]
    if not resumable:
        newest = max(runs, key=lambda r: r["id"], default=None)
        which = f" (the newest, run {newest['id']}, is {newest['status']})" if newest else ""
        raise ConfigError(
            f"--resume latest: no stopped, interrupted or failed pretraining run{of} in this "
            f"project to resume{which}; start one without --resume (ssl-studio info lists "
            "the runs)."
        )
    pairs = sorted({(names.get(r["dataset_id"], "?"), r.get("task") or "?") for r in resumable})
    if len(pairs) > 1:
        listed = ", ".join(f"'{d}' with {t}" for d, t in pairs)
        raise ConfigError(
            f"--resume latest: runs of more than one dataset or task could be resumed "
            f"({listed}); say which with --dataset and --task, or give the run's id."
        )
    name, kind = pairs[0]
    same = [r for r in runs if (names.get(r["dataset_id"], "?"), r.get("task") or "?") == pairs[0]]
    newest = max(same, key=lambda r: r["id"])
    if newest["status"] not in RESUMABLE:
        raise ConfigError(
            f"--resume latest: the newest pretraining run of '{name}' with {kind}, run "
            f"{newest['id']}, is {newest['status']}, so there is nothing to resume; give an "
            "older run's id to resume that one."
        )
    return int(newest["id"])
