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


@pytest.mark.parametrize("rank, said", [("0", True), ("1", False)])
def test_only_the_first_process_says_it_stops(tmp_path, monkeypatch, capsys, rank, said):
    """Ctrl+C reaches every process torchrun started from the terminal (and SIGTERM or
    SIGUSR1 each of them): the stopping line is printed once, by the first process."""
    monkeypatch.setenv("RANK", rank)

    def pretrain(cfg, report, stop):
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        signal.getsignal(signal.SIGUSR1)(signal.SIGUSR1, None)
        assert stop.stopped
        return {"run_id": 3, "status": "stopped", "steps": 5, "seconds": 1.0,
                "device": "cpu", "final_loss": None}  # fmt: skip

    monkeypatch.setattr(jobs, "pretrain", pretrain)
    assert main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"]) == EXIT_CANCELLED
    err = capsys.readouterr().err
    assert ("Stopping after the current step" in err) is said


@pytest.mark.parametrize("rank, said", [("0", True), ("1", False)])
def test_only_the_first_fine_tuning_process_says_it_stops(
    tmp_path, monkeypatch, capsys, rank, said
):
    monkeypatch.setenv("RANK", rank)

    def finetune(cfg, report, stop):
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)
        assert stop.stopped
        return {"run_id": 4, "status": "stopped"}

    monkeypatch.setattr(jobs, "finetune", finetune)
    assert main(["finetune", str(tmp_path / "p"), "--run", "1"]) == EXIT_CANCELLED
    assert ("Stopping after the step" in capsys.readouterr().err) is said
