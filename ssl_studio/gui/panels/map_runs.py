"""The Map's list of runs: how a run is named there, which one is offered first, and the
order of its groups ("9 steps" before "10 steps")."""

from __future__ import annotations

import re
from typing import Any


def natural_order(text: str) -> list[Any]:
    """Sort key that puts "9 steps" before "10 steps"."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in re.split(r"(\d+)", text)]


def run_text(run: dict[str, Any], dataset: str, saved: list[int]) -> str:
    """A pretraining run in the Run list, with how it ended: "Run 5: ts2vec on series —
    stopped at step 2". ``saved``: the steps of its checkpoints."""
    steps = (run.get("summary") or {}).get("steps")
    if run["status"] == "done":
        state = f"done, {steps} steps" if steps else "done"
    elif run["status"] == "stopped" and steps is not None:
        state = f"stopped at step {steps}"
    elif run["status"] == "interrupted":  # what it trained after its last checkpoint is lost
        state = (
            f"interrupted, checkpoint at step {saved[-1]}"
            if saved
            else "interrupted before its first checkpoint"
        )
    else:
        state = run["status"]
    return f"Run {run['id']}: {run['task']} on {dataset} — {state}"


def preferred(runs: list[dict[str, Any]], saved: dict[int, list[int]]) -> int:
    """The position in ``runs`` (newest first) of the run to offer first: the newest done
    one, else the newest with a checkpoint, else the newest."""
    for wanted in (lambda r: r["status"] == "done", lambda r: bool(saved[r["id"]])):
        found = next((i for i, run in enumerate(runs) if wanted(run)), None)
        if found is not None:
            return found
    return 0
