"""Checkpoints on a disk that fills up: a clear message, the earlier checkpoints intact,
nothing half-written, and no error inside torch's C++ writer (one there can abort the
whole process, and the app runs its jobs in its own process)."""

from __future__ import annotations

import gc
import os

import pytest
import torch
from fake_training import train
from full_disk import FillingDisk

from ssl_studio.core.engine.checkpoint import load_checkpoint, save_checkpoint
from ssl_studio.core.storage_errors import DiskFullError


def test_a_full_disk_is_a_clear_message_and_leaves_the_last_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    save_checkpoint(path, {"model": {"w": torch.ones(1000)}})
    size = path.stat().st_size
    monkeypatch.setattr(os, "fdopen", FillingDisk(free=size // 2))
    with pytest.raises(DiskFullError) as info:
        save_checkpoint(path, {"model": {"w": torch.zeros(1000)}})
    gc.collect()  # (torch's writer is gone without a word)
    message = str(info.value)
    assert "The disk is full" in message and "Free some space" in message
    assert "model.pt written before is kept" in message
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.ones(1000))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]  # no temporary file


def test_a_run_whose_disk_fills_up_keeps_its_last_good_checkpoint(tmp_path, monkeypatch):
    _, summary = train(tmp_path / "measure", steps=4, checkpoint_every_steps=4)
    size = (tmp_path / "measure" / "checkpoints" / "step-0000004.pt").stat().st_size
    monkeypatch.setattr(os, "fdopen", FillingDisk(free=int(size * 2.5)))  # two checkpoints
    with pytest.raises(DiskFullError, match=r"step-0000012.pt could not be written") as info:
        train(tmp_path / "run", steps=12, checkpoint_every_steps=4, keep_checkpoints=3)
    monkeypatch.undo()
    assert "the last good checkpoint, step-0000008.pt, is kept" in str(info.value)
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["step-0000004.pt", "step-0000008.pt"]
    assert load_checkpoint(folder / "step-0000008.pt")["progress"]["step"] == 8


def test_a_checkpoint_gets_the_modes_any_new_file_gets(tmp_path):
    """Written through a private temporary file (mode 0600), checkpoints and fine-tuned
    models stayed private: a colleague given read access to the project could list its
    runs but not open their maps or models."""
    from ssl_studio.core.engine.checkpoint import save_checkpoint

    path = tmp_path / "runs" / "1" / "model.pt"
    save_checkpoint(path, {"step": 1})
    (tmp_path / "plain.txt").write_text("x", encoding="utf-8")  # what the umask gives
    assert path.stat().st_mode & 0o777 == (tmp_path / "plain.txt").stat().st_mode & 0o777


def test_a_checkpoint_of_a_newer_format_says_to_update(tmp_path):
    """It said "not an SSL Studio checkpoint", which sends the user looking for damage."""
    from ssl_studio.core.engine.checkpoint import CheckpointError

    torch.save({"format": 2, "model": {}}, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match=r"newer SSL Studio \(checkpoint format 2; this"):
        load_checkpoint(tmp_path / "new.pt")
    torch.save({"format": "x"}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="is not an SSL Studio checkpoint"):
        load_checkpoint(tmp_path / "odd.pt")
