"""A requeued batch job resumes without scraping text: the jsonl ``started`` event names
the run, and ``--resume latest`` finds the newest resumable pretraining run."""

from __future__ import annotations

import json

import pytest
from torchrun_projects import noise_project

from ssl_studio.cli import EXIT_FAILED, EXIT_OK, main
from ssl_studio.cli_resume import _choose
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import Store

NAMES = {1: "scans", 2: "xrays"}


def _run(id_: int, status: str, dataset: int = 1, task: str = "simclr") -> dict:
    return {"id": id_, "status": status, "dataset_id": dataset, "task": task}


def test_latest_is_the_newest_resumable_run_of_its_dataset_and_task():
    runs = [_run(1, "done"), _run(2, "failed"), _run(3, "interrupted")]
    assert _choose(runs, NAMES, None, None) == 3
    with pytest.raises(ConfigError, match="no stopped, interrupted or failed"):
        _choose([_run(1, "done")], NAMES, None, None)
    with pytest.raises(ConfigError, match="no stopped, interrupted or failed pretraining run"):
        _choose([], NAMES, "scans", "byol")
    with pytest.raises(ConfigError, match="run 4 \\(simclr\\), is done"):  # a newer one ended
        _choose([*runs, _run(4, "done")], NAMES, None, None)
    with pytest.raises(ConfigError, match="run 4 \\(simclr\\), is running"):  # (a live one)
        _choose([*runs, _run(4, "running")], NAMES, None, None)
    two = [*runs, _run(5, "stopped", dataset=2, task="byol")]
    with pytest.raises(ConfigError, match="'scans' with simclr, 'xrays' with byol"):
        _choose(two, NAMES, None, None)


def test_a_newer_done_run_of_another_task_on_the_dataset_is_not_passed_over():
    """--dataset alone: an older stopped simclr run was resumed although a newer byol run
    on that dataset is done."""
    runs = [_run(1, "stopped"), _run(2, "done", task="byol")]
    with pytest.raises(ConfigError, match="'scans', run 2 \\(byol\\), is done") as refused:
        _choose(runs, NAMES, "scans", None)
    assert "give run 1's id (simclr, stopped)" in str(refused.value)
    simclr = [r for r in runs if r["task"] == "simclr"]  # (latest_run's, with --task)
    assert _choose(simclr, NAMES, "scans", "simclr") == 1
    # a newer run of another dataset is no reason to refuse
    assert _choose([_run(1, "stopped"), _run(3, "done", dataset=2)], NAMES, None, None) == 1


def test_the_refusal_is_a_sentence():
    with pytest.raises(ConfigError) as refused:
        _choose([], NAMES, "images", "simclr")
    assert "no stopped, interrupted or failed pretraining run of 'images' with simclr in " in str(
        refused.value
    )  # (before: "run of 'images' of simclr")


def _events(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_the_started_event_names_the_run_and_latest_resumes_it(tmp_path, capsys):
    project = noise_project(tmp_path)
    options = ["--image-size", "32", "--batch-size", "8", "--device", "cpu"]
    capsys.readouterr()
    status = main(
        ["pretrain", str(project), "--dataset", "images", "--task", "simclr", *options,
         "--steps", "4", "--set", "train.checkpoint_every_steps=2", "--events", "jsonl"]
    )  # fmt: skip
    assert status == EXIT_OK
    events = _events(capsys)
    assert events[0]["type"] == "started" and events[0]["total"] == 4
    run_id = events[0]["run_id"]  # before: not in the event, only in a message's text
    assert isinstance(run_id, int) and events[-1]["result"]["run_id"] == run_id
    # done: nothing to resume, and said so
    assert main(["pretrain", str(project), "--resume", "latest"]) == EXIT_FAILED
    assert f"(the newest, run {run_id}, is done)" in capsys.readouterr().err
    with Store.open(project, write=True) as store:  # its job killed: left "running"
        with store.transaction():
            store.conn.execute("UPDATE runs SET status = 'running' WHERE id = ?", (run_id,))
    args = ["pretrain", str(project), "--resume", "latest", "--dataset", "images"]
    assert main([*args, "--events", "jsonl"]) == EXIT_OK
    events = _events(capsys)
    assert events[0]["run_id"] == run_id
    assert events[-1]["type"] == "finished" and events[-1]["result"]["run_id"] == run_id
    # (before: refused, "the newest ... run 1, is running": the requeue case itself)
