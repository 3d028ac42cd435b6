"""Joining the process group is bounded: a rank whose peers never join (a node that
failed before starting, its torchrun gone) ends with a clear error, not after gloo's
30-minute default, and not as "a bug"."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from torchrun_projects import free_port

ROOT = Path(__file__).parents[3]
JOIN = """
import torch
from ssl_studio.core.engine import distributed
from ssl_studio.core.errors import SSLStudioError
try:
    distributed.init(distributed.world_from_env(), torch.device("cpu"))
except SSLStudioError as exc:
    print("REFUSED", type(exc).__name__, exc)
"""


def test_a_rank_alone_stops_waiting_after_the_join_timeout():
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WORLD_SIZE": "2",
        "RANK": "0",
        "LOCAL_RANK": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": free_port(),
        "SSL_STUDIO_JOIN_TIMEOUT_S": "3",
        "OMP_NUM_THREADS": "1",
    }
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", JOIN], env=env, capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - start < 60
    assert "REFUSED PeerNeverJoined Not all 2 processes of this job joined" in done.stdout, (
        done.stdout + done.stderr[-2000:]
    )


def test_a_lost_peer_is_not_called_a_bug(tmp_path, capsys, monkeypatch):
    """A DistNetworkError (another node's torchrun, hosting the store, ended) was told as
    "unexpected error ... This is a bug in SSL Studio"."""
    import torch.distributed as dist

    from ssl_studio.cli import EXIT_FAILED, main

    def lost(*args, **kwargs):
        raise dist.DistNetworkError("Failed to recv, got 0 bytes.")

    monkeypatch.setattr("ssl_studio.core.jobs.create_project", lost)
    assert main(["new", str(tmp_path / "p")]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Another process of this torchrun job ended or lost its connection" in err
    assert "bug" not in err


LATE = """
import os, sys, time
import torch
from ssl_studio.core.engine import distributed
from ssl_studio.core.errors import SSLStudioError
world = distributed.world_from_env()
distributed.init(world, torch.device("cpu"))
start = time.monotonic()
if world.rank == 1:
    time.sleep(25)  # (joined, but late to start: its setup hangs)
try:
    distributed.start_together(None, world)
    print("STARTED", round(time.monotonic() - start), flush=True)
except SSLStudioError as exc:
    print("REFUSED", type(exc).__name__, round(time.monotonic() - start), flush=True)
    os._exit(3)
"""


def test_the_first_collective_waits_the_join_timeout_only():
    """start_together runs under the join timeout: the training timeout (30 minutes) is
    set only once every rank has answered. (NCCL forms its communicator at the first
    collective unless init_process_group gets device_id: that collective, raised to the
    training timeout right after init, kept a rank waiting 30 minutes.)"""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WORLD_SIZE": "2",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": free_port(),
        "SSL_STUDIO_JOIN_TIMEOUT_S": "4",
        "OMP_NUM_THREADS": "1",
    }
    ranks = [
        subprocess.Popen(
            [sys.executable, "-c", LATE],
            env={**env, "RANK": str(r), "LOCAL_RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in (0, 1)
    ]
    try:
        out, _ = ranks[0].communicate(timeout=120)
    finally:
        ranks[1].kill()
        ranks[1].wait()
    assert "REFUSED PeerNeverJoined" in out, out[-2000:]
    waited = int(out.split("REFUSED PeerNeverJoined")[1].split()[0])
    assert waited < 20, out[-2000:]


class FakeDist:
    """Records what distributed.init and start_together ask of torch.distributed."""

    DistError = RuntimeError

    class ReduceOp:
        MAX = "max"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def is_initialized(self) -> bool:
        return False

    def is_nccl_available(self) -> bool:
        return True

    def init_process_group(self, backend: str, **kwargs) -> None:
        self.calls.append(("init_process_group", {"backend": backend, **kwargs}))

    def all_reduce(self, tensor, op=None) -> None:
        self.calls.append(("all_reduce", {}))

    def set_timeout(self, timeout, group=None) -> None:
        self.calls.append(("set_timeout", {"timeout": timeout}))


def test_nccl_joins_eagerly_and_the_training_timeout_follows_start_together(monkeypatch):
    import datetime

    import torch

    from ssl_studio.core.engine import distributed

    fake = FakeDist()
    monkeypatch.setattr(distributed, "dist", fake)
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    monkeypatch.setattr(distributed, "_collective_device", torch.device("cpu"))
    monkeypatch.setenv("SSL_STUDIO_JOIN_TIMEOUT_S", "7")
    world = distributed.World(rank=1, size=2, local_rank=1)
    device = torch.device("cuda", 1)
    try:
        distributed.init(world, device)
        assert [name for name, _ in fake.calls] == ["init_process_group"]
        args = fake.calls[0][1]
        assert args["backend"] == "nccl"
        assert args["device_id"] == device  # (the communicator forms inside the join)
        assert args["timeout"] == datetime.timedelta(seconds=7)
        distributed._collective_device = torch.device("cpu")  # (no GPU here)
        distributed.start_together(None, world)
    finally:
        distributed._launcher = None
    assert [name for name, _ in fake.calls] == ["init_process_group", "all_reduce", "set_timeout"]
    trained = datetime.timedelta(seconds=distributed.TRAIN_TIMEOUT_S)
    assert fake.calls[2][1]["timeout"] == trained


def test_gloo_gets_no_device_id(monkeypatch):
    import torch

    from ssl_studio.core.engine import distributed

    fake = FakeDist()
    monkeypatch.setattr(distributed, "dist", fake)
    distributed.init(distributed.World(rank=0, size=2), torch.device("cpu"))
    assert fake.calls[0][1]["backend"] == "gloo"
    assert fake.calls[0][1]["device_id"] is None
    assert [name for name, _ in fake.calls] == ["init_process_group"]  # (no timeout yet)
