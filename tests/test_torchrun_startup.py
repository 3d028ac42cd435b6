"""A torchrun job of two nodes (here two torchrun launchers on this machine, joined by
c10d rendezvous) where one node cannot start: every process ends within seconds, each
with a clear word, never waiting out the process group's 30-minute timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from torchrun_projects import free_port, noise_project

HERE = Path(__file__).parent
SECONDS = 90  # before: node 0 waited 30 minutes (gloo's default timeout)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return noise_project(tmp_path_factory.mktemp("torchrun-startup"))


def _node(
    rank: int, port: str, project: str, out: Path, target: tuple[str, ...] = ("-m", "ssl_studio")
) -> subprocess.Popen:
    """One node's torchrun (one process) of a two-node job, running ``target``."""
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
        "--nproc_per_node", "1", "--node_rank", str(rank), "--rdzv-backend", "c10d",
        "--rdzv-endpoint", f"localhost:{port}", "--rdzv-id", "startup-test",
        *target, "pretrain", project, "--dataset", "images", "--task", "simclr",
        "--image-size", "32", "--batch-size", "8", "--device", "cpu", "--steps", "2",
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=out.open("w"),
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)},
    )


def _end(launcher: subprocess.Popen) -> None:
    """End a launcher still running and its processes (torchrun starts them in sessions
    of their own), by their ids."""
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
        for pid in [launcher.pid, *map(int, children.split())]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    launcher.wait()


def _wait(nodes: list[subprocess.Popen], logs: list[Path]) -> None:
    start = time.monotonic()
    try:
        for node in nodes:
            node.wait(timeout=max(1.0, SECONDS - (time.monotonic() - start)))
    except subprocess.TimeoutExpired:
        for node in nodes:
            _end(node)
        pytest.fail(
            f"The job did not end within {SECONDS} s: a node waited for the other.\n"
            + logs[0].read_text()[-2000:]
        )


# rank FAIL_RANK fails in ``pretrain.<FAIL_AT>`` (the CLI, with that function patched)
FAILING = """
import os, sys
import ssl_studio.core.pretrain as pretrain
name = os.environ["FAIL_AT"]
original = getattr(pretrain, name)
def failing(*args, **kwargs):
    if os.environ["RANK"] == os.environ["FAIL_RANK"]:
        raise RuntimeError("simulated failure")
    return original(*args, **kwargs)
setattr(pretrain, name, failing)
from ssl_studio.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "where,failing,said,statuses",
    [
        # building the network and batches (now before the processes start together):
        # rank 0 told gloo's "Connection closed by peer" as a bug
        ("build_setup", 1, "Process 1 of this job could not start", []),
        # rank 0, once it has made the run and told its id, before the training loop:
        # the run was left "running"
        ("planned_steps", 0, "Another training process of run 1 stopped", ["failed"]),
    ],
)
def test_a_rank_failing_at_start_leaves_no_run_running(
    tmp_path, monkeypatch, where, failing, said, statuses
):
    from ssl_studio.core.project.store import Store

    project = noise_project(tmp_path)
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    monkeypatch.setenv("FAIL_AT", where)
    monkeypatch.setenv("FAIL_RANK", str(failing))
    port = free_port()
    logs = [tmp_path / "node0.txt", tmp_path / "node1.txt"]
    nodes = [_node(r, port, str(project), logs[r], (str(script),)) for r in (0, 1)]
    _wait(nodes, logs)
    failed, healthy = (logs[r].read_text() for r in (failing, 1 - failing))
    assert said in healthy, healthy[-3000:]
    assert "bug" not in healthy, healthy[-3000:]
    assert "simulated failure" in failed, failed[-3000:]
    with Store.open(project) as store:
        assert [r["status"] for r in store.runs()] == statuses


def test_a_node_whose_project_is_missing_ends_the_whole_job_at_once(project, tmp_path):
    port = free_port()
    logs = [tmp_path / "node0.txt", tmp_path / "node1.txt"]
    nodes = [
        _node(0, port, str(project), logs[0]),
        _node(1, port, str(tmp_path / "no-such-project"), logs[1]),
    ]
    _wait(nodes, logs)
    first, second = (log.read_text() for log in logs)
    assert all(node.returncode != 0 for node in nodes)
    assert "Process 1 of this job could not start" in first, first[-3000:]
    assert "no-such-project" in second, second[-3000:]
    assert "This is a bug" not in first + second
    assert "unexpected error" not in first + second
