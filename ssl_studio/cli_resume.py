"""``ssl-studio pretrain PROJECT --resume latest``: which run a requeued batch job resumes.

The newest pretraining run that can be resumed, of the dataset and task given with
``--dataset`` and ``--task`` (either may be left out): a run is resumable when it is
stopped, interrupted or failed, or recorded "running" while no process writes the
project (its job was killed: what a requeued job resumes). Refused, saying why, when
there is none; when the resumable runs belong to more than one dataset or task
(ambiguous: name them); and when a newer pretraining run of that dataset (of that task
when ``--task`` is given, of any task otherwise) is running or done (a job requeued
after its run finished must not resume an older one).
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
    from ssl_studio.core.project.lock import writer_present
    from ssl_studio.core.project.store import Store

    main = os.environ.get("RANK", "0") == "0"
    alone = int(os.environ.get("WORLD_SIZE", "1") or 1) <= 1
    with Store.open(project, leave_wal=main) as store:
        # A run recorded "running" while no process writes the project was cut off. Under
        # torchrun every process must choose alike, so none asks the lock (the first may
        # hold it already): a run still live is refused when the first process then
        # cannot take the write lock.
        live = alone and writer_present(store.paths.lock) is True
        names = {d["id"]: d["name"] for d in store.datasets()}
        runs = [
            {**r, "status": "interrupted"} if r["status"] == "running" and not live else r
            for r in store.runs()
            if r["kind"] == "pretrain"
            and (dataset is None or names.get(r["dataset_id"]) == dataset)
            and (task is None or r.get("task") == task)
        ]
    try:
        return _choose(runs, names, dataset, task)
    except ConfigError as exc:
        # every process read the same project: the first says why, once; unless the
        # project changed while they read it, when only some refuse and each must say it
        # (a process that says nothing leaves the others waiting for it to join)
        exc.every_process = alone  # type: ignore[attr-defined]
        raise


def _choose(
    runs: list[dict[str, Any]], names: dict[int, str], dataset: str | None, task: str | None
) -> int:
    """The id of the run to resume among ``runs`` (those of ``dataset`` and ``task``
    where given, with their statuses as they stand); ConfigError saying why not."""
    of = "".join(
        part for part in (dataset and f" of '{dataset}'", task and f" with {task}") if part
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
    chosen = max(resumable, key=lambda r: r["id"])
    # (``runs`` holds every task of the dataset unless --task named one)
    newer = [
        r
        for r in runs
        if r["id"] > chosen["id"]
        and names.get(r["dataset_id"], "?") == name
        and r["status"] not in RESUMABLE
    ]
    if newer:
        last = max(newer, key=lambda r: r["id"])
        raise ConfigError(
            f"--resume latest: a newer pretraining run of '{name}', run {last['id']} "
            f"({last.get('task') or '?'}), is {last['status']}, so there is nothing to "
            f"resume; give run {chosen['id']}'s id ({kind}, {chosen['status']}) to resume "
            "that older one."
        )
    return int(chosen["id"])
