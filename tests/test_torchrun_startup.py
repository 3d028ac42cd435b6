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


def _node(rank: int, port: str, project: str, out: Path) -> subprocess.Popen:
    """One node's torchrun (one process) of a two-node job."""
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
        "--nproc_per_node", "1", "--node_rank", str(rank), "--rdzv-backend", "c10d",
        "--rdzv-endpoint", f"localhost:{port}", "--rdzv-id", "startup-test",
        "-m", "ssl_studio", "pretrain", project, "--dataset", "images", "--task", "simclr",
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


def test_a_node_whose_project_is_missing_ends_the_whole_job_at_once(project, tmp_path):
    port = free_port()
    logs = [tmp_path / "node0.txt", tmp_path / "node1.txt"]
    nodes = [
        _node(0, port, str(project), logs[0]),
        _node(1, port, str(tmp_path / "no-such-project"), logs[1]),
    ]
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
    first, second = (log.read_text() for log in logs)
    assert all(node.returncode != 0 for node in nodes)
    assert "Process 1 of this job could not start" in first, first[-3000:]
    assert "no-such-project" in second, second[-3000:]
    assert "This is a bug" not in first + second
    assert "unexpected error" not in first + second
