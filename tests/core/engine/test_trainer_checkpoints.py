"""The training loop's checkpoints: exact resume, pruning of older ones, files held open,
refused pickles, failed writes and optimiser states that cannot be resumed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from fake_training import Batch, FakeTask, FolderRecorder, MemoryBatches, train
from torch import nn

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.events import Step, StopToken
from ssl_studio.core.storage_errors import DiskFullError


def test_stop_then_resume_continues_exactly(tmp_path):
    _, straight = train(tmp_path / "a", steps=12)
    reference = load_checkpoint(tmp_path / "a" / "checkpoints" / "step-0000012.pt")

    stop = StopToken()

    def stop_at_five(event):
        if isinstance(event, Step) and event.step == 5:
            stop.stop()

    trainer = Trainer(
        FakeTask(),
        MemoryBatches(),
        TrainConfig(
            steps=12,
            batch_size=8,
            lr=0.05,
            warmup_fraction=0.1,
            checkpoint_every_steps=4,
            log_every_seconds=0.0,
            optimizer="sgd",
            grad_clip=0.0,
        ),
        device=torch.device("cpu"),
        run_dir=tmp_path / "b",
        report=stop_at_five,
        stop=stop,
    )
    first = trainer.fit()
    assert first["status"] == "stopped" and first["steps"] == 5
    saved = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000005.pt")
    _, second = train(tmp_path / "b", resume=saved, steps=12)
    assert second["steps"] == 12
    # the run's time counts both sessions: the first one's is in its checkpoint
    assert 0 < saved["progress"]["seconds"] < second["seconds"]
    resumed = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000012.pt")
    for name, tensor in reference["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name
    assert resumed["progress"]["history"] == reference["progress"]["history"]


def test_a_resumed_run_prunes_the_checkpoints_of_earlier_sessions(tmp_path):
    stop = StopToken()
    recorder = FolderRecorder()

    def stop_at_five(event):
        if isinstance(event, Step) and event.step == 5:
            stop.stop()

    options = {"steps": 12, "checkpoint_every_steps": 2, "keep_checkpoints": 2}
    train(tmp_path, stop=stop, report=stop_at_five, recorder=recorder, **options)
    folder = tmp_path / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["step-0000004.pt", "step-0000005.pt"]
    saved = load_checkpoint(folder / "step-0000005.pt")
    train(tmp_path, resume=saved, recorder=recorder, **options)
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["step-0000010.pt", "step-0000012.pt"]
    assert recorder.paths == set(files)  # the records match the files on disk


def test_an_old_checkpoint_held_open_is_deleted_later_and_does_not_fail_the_run(
    tmp_path, monkeypatch
):
    """Windows will not delete a file a backup or antivirus holds open (simulated): the
    run goes on, and the file is deleted at a later checkpoint."""
    recorder, real, refused = FolderRecorder(), Path.unlink, []

    def unlink(self, missing_ok=False):
        if self.name == "step-0000002.pt" and len(refused) < 2:
            refused.append(self.name)
            raise PermissionError(13, "The process cannot access the file", str(self))
        return real(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    options = {"steps": 12, "checkpoint_every_steps": 2, "keep_checkpoints": 2}
    _, summary = train(tmp_path, recorder=recorder, **options)
    assert len(refused) == 2 and summary["steps"] == 12
    files = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert files == ["step-0000010.pt", "step-0000012.pt"]
    assert recorder.paths == set(files)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_checkpoints_refuse_pickles_and_survive_failed_writes(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    save_checkpoint(path, {"model": {"w": torch.ones(2)}})

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"format": 1, "x": Evil()}))
    with pytest.raises(CheckpointError, match="unsafe pickle"):
        load_checkpoint(tmp_path / "evil.pt")
    (tmp_path / "cut.pt").write_bytes(path.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "cut.pt")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(DiskFullError, match="model.pt written before is kept"):
        save_checkpoint(path, {"model": {"w": torch.zeros(2)}})
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []


def test_a_resumed_optimiser_state_of_another_shape_is_refused():
    """An earlier version's head of another shape (masked ts-patch predicted one value a
    patch) cannot be resumed: AdamW would fail on its moving averages mid-step."""
    from ssl_studio.core.engine.trainer_state import check_optimizer_state

    old = torch.nn.Linear(4, 1)
    optimizer = torch.optim.AdamW(old.parameters())
    old(torch.ones(2, 4)).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    same = torch.optim.AdamW(torch.nn.Linear(4, 1).parameters())
    same.load_state_dict(state)
    check_optimizer_state(same)
    wider = torch.optim.AdamW(torch.nn.Linear(4, 8).parameters())
    wider.load_state_dict(state)
    with pytest.raises(CheckpointError, match="cannot be resumed"):
        check_optimizer_state(wider)


class TaskWithPositions(FakeTask):
    """FakeTask with a learned position table, which weight decay now spares."""

    def __init__(self) -> None:
        super().__init__()
        self.pos = nn.Parameter(torch.full((2, 4), 0.1))

    def forward(self, batch: Batch):
        loss, logs = super().forward(batch)
        return loss + (self.pos**2).sum() * 0.01, logs


def test_a_run_begun_before_positions_were_spared_weight_decay_resumes_as_it_began(
    tmp_path, monkeypatch
):
    """The optimiser's groups of an older run (positions decayed with the weights) no
    longer matched, and resuming raised a raw ValueError; it now goes on exactly as the
    older version would have."""
    from ssl_studio.core.engine import trainer as trainer_module

    adamw = {"optimizer": "adamw", "weight_decay": 0.1, "steps": 8}
    with monkeypatch.context() as older:
        older.setattr(trainer_module, "NO_DECAY", frozenset())
        _, straight = train(tmp_path / "a", task=TaskWithPositions(), **adamw)
        reference = load_checkpoint(tmp_path / "a" / "checkpoints" / "step-0000008.pt")
        stop = StopToken()

        def stop_at_four(event):
            if isinstance(event, Step) and event.step == 4:
                stop.stop()

        train(tmp_path / "b", task=TaskWithPositions(), stop=stop, report=stop_at_four, **adamw)
    begun = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000004.pt")
    _, resumed = train(tmp_path / "b", task=TaskWithPositions(), resume=begun, **adamw)
    assert resumed["steps"] == 8
    ended = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000008.pt")
    for name, tensor in reference["model"].items():
        assert torch.allclose(tensor, ended["model"][name]), name
