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
