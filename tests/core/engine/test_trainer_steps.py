"""The training loop on a fake task: steps, learning rate, logging, gradient
accumulation, weight decay and the loss each step reports."""

from __future__ import annotations

import pytest
import torch
from fake_training import FakeTask, LossRecordingTask, MemoryBatches, MetricRows, train
from torch import nn

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.engine.optimizer import param_groups
from ssl_studio.core.engine.schedule import warmup_cosine
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.events import Checkpoint, Epoch, Step


def test_a_run_reports_steps_epochs_and_checkpoints_and_learns(tmp_path):
    events = []
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / ".tmp-killed.pt").write_bytes(b"half a checkpoint")
    (tmp_path / ".tmp-killed.json").write_text('{"half": ')  # (a killed config.json write)
    trainer, summary = train(tmp_path, events=events, steps=24)
    assert not (tmp_path / ".tmp-killed.json").exists()
    steps = [e for e in events if isinstance(e, Step)]
    assert summary["status"] == "done" and summary["steps"] == 24
    assert [s.step for s in steps] == list(range(1, 25))
    assert steps[-1].loss < steps[0].loss / 5
    assert all(s.total == 24 and s.samples_per_s > 0 for s in steps)
    assert [e.epoch for e in events if isinstance(e, Epoch)] == [0, 1, 2]
    saved = [e.step for e in events if isinstance(e, Checkpoint)]
    assert saved == [4, 8, 12, 16, 20, 24]
    files = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    # only the newest two are kept; the half-written file of a killed process is gone
    assert files == ["step-0000020.pt", "step-0000024.pt"]
    state = load_checkpoint(tmp_path / "checkpoints" / "step-0000024.pt")
    assert state["progress"]["step"] == 24 and state["task"] == "fake"
    assert set(state["versions"]) >= {"torch", "ssl_studio"}
    assert trainer.task.ema_updates == 24


def test_learning_rate_warms_up_then_decays():
    rates = [warmup_cosine(s, 100, 10) for s in range(100)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)
    assert rates[10] == pytest.approx(1.0) and rates[99] < 0.05
    assert all(a >= b for a, b in zip(rates[10:], rates[11:], strict=False))


def test_steps_report_the_learning_rate_they_used(tmp_path):
    events = []
    train(tmp_path, events=events, steps=10, lr=1.0, warmup_fraction=0.2)
    shown = [e.lr for e in events if isinstance(e, Step)]
    # step s (1-based) runs at the schedule's value for s - 1: step 1 warms up at half
    # the peak (a warm-up of 2 steps), it does not show the next step's rate
    assert shown[:3] == pytest.approx([0.5, 1.0, 1.0])
    assert shown == pytest.approx([warmup_cosine(s, 10, 2) for s in range(10)])


def test_gradient_accumulation_matches_a_bigger_batch(tmp_path):
    big, _ = train(tmp_path / "big", steps=6, batch_size=8)
    small, summary = train(tmp_path / "small", steps=6, batch_size=4, accumulate=2)
    assert summary["accumulate"] == 2
    w_big, w_small = big.task.encoder.weight, small.task.encoder.weight
    # the fake task's noise is drawn per micro-batch, so allow for it
    assert torch.allclose(w_big, w_small, atol=0.05)


def test_the_first_step_is_logged_however_long_the_machine_has_been_up(tmp_path, monkeypatch):
    """perf_counter counts from boot: a log interval longer than the uptime (a fresh
    machine) once left the first step unlogged, and the first point of every plot late."""
    from types import SimpleNamespace

    from ssl_studio.core.engine import trainer as trainer_module

    clock = iter(range(10, 10**6))  # seconds since boot: a machine started 10 s ago
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    events = []
    train(tmp_path, events=events, steps=6, log_every_seconds=3600.0)
    assert [e.step for e in events if isinstance(e, Step)] == [1, 4, 6]


@pytest.mark.parametrize("backbone", ["vit-tiny", "ts-patch"])
def test_weight_decay_leaves_tokens_and_position_embeddings_alone(tmp_path, backbone):
    """AdamW's decay would pull the class token, mask token and learned positions towards
    zero; a position MAE rarely shows gets little gradient to pull them back."""
    from ssl_studio.core.models.backbones import build_backbone

    task = FakeTask()
    task.encoder = build_backbone(backbone, in_channels=1, image_size=32).module
    task.mask_token = nn.Parameter(torch.zeros(1, 1, 8))
    trainer = Trainer(
        task,
        MemoryBatches(),
        TrainConfig(steps=2, batch_size=8, weight_decay=0.05),
        device=torch.device("cpu"),
        run_dir=tmp_path,
    )
    names = {id(q): name for name, q in task.named_parameters()}
    decayed = {
        names[id(q)]
        for g in param_groups(task, trainer.cfg)
        if g["weight_decay"]
        for q in g["params"]
    }
    kept = {"mask_token", "encoder.class_token", "encoder.encoder.pos_embedding"}
    kept = kept if backbone == "vit-tiny" else {"mask_token", "encoder.mask_token", "encoder.pos"}
    assert kept <= set(names.values()) and not kept & decayed
    assert all(q.ndim > 1 for q in task.parameters() if names[id(q)] in decayed)
    assert len(decayed) >= 4  # the weight matrices still decay


def test_a_step_event_reports_the_mean_loss_of_the_steps_since_the_last_one(tmp_path):
    """Step events are throttled; each reported the last batch's loss alone (one batch in
    hundreds: noise). Now the mean of the steps since the previous event. The project
    database keeps the curve of fixed blocks of steps instead (test_loss_curve.py): of
    single steps in a run this short."""
    events, task, recorder = [], LossRecordingTask(), MetricRows()
    train(tmp_path, task=task, events=events, recorder=recorder, steps=24,
          log_every_seconds=3600.0, checkpoint_every_steps=5)  # fmt: skip
    steps = [e for e in events if isinstance(e, Step)]
    assert [s.step for s in steps] == [1, 5, 10, 15, 20, 24]  # first, checkpoints, last
    before = 0
    for event in steps:
        mean = sum(task.losses[before : event.step]) / (event.step - before)
        assert event.loss == pytest.approx(mean, rel=1e-5)
        before = event.step
    stored = [(s, v) for s, _, name, v in recorder.rows if name == "loss"]
    assert stored == [(s, pytest.approx(v, rel=1e-5)) for s, v in enumerate(task.losses, 1)]
