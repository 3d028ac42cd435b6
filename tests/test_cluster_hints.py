"""Words for batch clusters: a SIGTERM's stopping line names no Ctrl+C, and ``srun -n 2
ssl-studio pretrain`` without torchrun is pointed to torchrun."""

from __future__ import annotations

import signal

from ssl_studio.cli import EXIT_CANCELLED, main
from ssl_studio.cli_pretrain import srun_without_torchrun
from ssl_studio.core import jobs

STOPPED = {"run_id": 3, "status": "stopped", "steps": 5, "seconds": 1.0, "device": "cpu",
           "final_loss": None}  # fmt: skip


def _stopped_by(signum: int, monkeypatch) -> None:
    def pretrain(cfg, report, stop):
        signal.getsignal(signum)(signum, None)  # as the signal arriving would
        assert stop.stopped
        return STOPPED

    monkeypatch.setattr(jobs, "pretrain", pretrain)


def test_sigterm_is_not_told_to_press_ctrl_c_again(tmp_path, monkeypatch, capsys):
    """It said "(Ctrl+C again to abort)" to a scheduler's SIGTERM; a second SIGTERM does
    not abort anyway."""
    monkeypatch.delenv("RANK", raising=False)
    _stopped_by(signal.SIGTERM, monkeypatch)
    assert main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"]) == EXIT_CANCELLED
    err = capsys.readouterr().err
    assert "Stopping after the current step (SIGTERM)..." in err and "Ctrl+C" not in err
    _stopped_by(signal.SIGINT, monkeypatch)
    assert main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"]) == EXIT_CANCELLED
    assert "(Ctrl+C again to abort)" in capsys.readouterr().err


def test_srun_tasks_without_torchrun_are_pointed_to_torchrun(tmp_path, monkeypatch, capsys):
    assert srun_without_torchrun({}) is None
    assert srun_without_torchrun({"SLURM_NTASKS": "1"}) is None
    assert srun_without_torchrun({"SLURM_NTASKS": "2", "WORLD_SIZE": "8"}) is None  # torchrun
    monkeypatch.setenv("SLURM_NTASKS", "2")
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.setattr(jobs, "pretrain", lambda cfg, report, stop: {**STOPPED, "status": "done"})
    main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"])
    err = capsys.readouterr().err
    assert "one of 2 tasks srun started without torchrun" in err
    assert "srun --ntasks-per-node=1 torchrun" in err
