"""SIGUSR1 (SLURM's warning before a job's time limit, forwarded by torchrun with
--signals_to_handle) stops pretraining at its next step, as SIGTERM does."""

from __future__ import annotations

import signal

import pytest

from ssl_studio.cli import EXIT_CANCELLED, main
from ssl_studio.core import jobs

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="no SIGUSR1")


def test_sigusr1_stops_pretraining_with_a_checkpoint(tmp_path, monkeypatch, capsys):
    before = signal.getsignal(signal.SIGUSR1)

    def pretrain(cfg, report, stop):
        handler = signal.getsignal(signal.SIGUSR1)
        assert callable(handler), "SIGUSR1 would end the process at once"
        handler(signal.SIGUSR1, None)  # as the signal arriving would
        status = "stopped" if stop.stopped else "done"
        return {"run_id": 3, "status": status, "steps": 5, "seconds": 1.0, "device": "cpu",
                "final_loss": None}  # fmt: skip

    monkeypatch.setattr(jobs, "pretrain", pretrain)
    assert main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"]) == EXIT_CANCELLED
    assert "Stopping after the current step (SIGUSR1)" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGUSR1) == before  # put back after the job
