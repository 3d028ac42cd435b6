"""A run's status as the project shows it: one recorded "running" whose process is gone (a
kill -9, a crash) reads "interrupted" in `info` and the Runs table at once, not only after
the next job opened the project; while a process writes the project it stays "running"."""

from __future__ import annotations

from pathlib import Path

from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def test_a_running_run_whose_process_is_gone_reads_interrupted(project: Path, other_writer):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        killed = store.create_run(dataset, "pretrain", {"task": "simclr"})  # left "running"
        done = store.create_run(dataset, "pretrain", {"task": "simclr"})
        store.finish_run(done, "done")
    statuses = {run["id"]: run["status"] for run in project_info(project)["runs"]}
    assert statuses == {killed: "interrupted", done: "done"}
    with Store.open(project) as store:
        assert store.run(killed)["status"] == "running"  # (read only: nothing written)

    holder = other_writer(project, "pretrain")  # a process that may be training it
    assert {r["id"]: r["status"] for r in project_info(project)["runs"]}[killed] == "running"
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=20)
    assert {r["id"]: r["status"] for r in project_info(project)["runs"]}[killed] == "interrupted"
