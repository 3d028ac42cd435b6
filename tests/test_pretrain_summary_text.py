"""The line `ssl-studio pretrain` ends with says what its loss is."""

from __future__ import annotations

from ssl_studio.cli import main
from ssl_studio.core import jobs


def test_the_summary_line_names_the_loss_as_the_last_epochs_mean(tmp_path, monkeypatch, capsys):
    done = {"run_id": 3, "status": "done", "steps": 5, "seconds": 1.0, "device": "cpu"}
    monkeypatch.setattr(jobs, "pretrain", lambda cfg, **_: {**done, "final_loss": 1.23456})
    assert main(["pretrain", str(tmp_path / "p"), "--dataset", "scans"]) == 0
    out = capsys.readouterr().out
    assert "Run 3 done: 5 steps, last epoch's mean loss 1.2346," in out
    assert "final loss" not in out  # (it was the last epoch's mean, partial or not)
