"""The training loop on a fake task when things go wrong or wait: out of GPU memory,
non-finite losses, pauses and stops."""

from __future__ import annotations

import threading

import pytest
import torch
from fake_training import Batch, FakeTask, MemoryBatches, train

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.engine.trainer import Trainer, TrainingError
from ssl_studio.core.events import Message, Step, StopToken


def test_out_of_memory_halves_the_batch_and_keeps_the_effective_batch(tmp_path):
    events = []
    trainer, summary = train(tmp_path, task=FakeTask(oom_at=3), events=events, steps=8)
    assert summary["status"] == "done" and summary["steps"] == 8
    assert (summary["batch_size"], summary["accumulate"]) == (4, 2)
    [warning] = [e for e in events if isinstance(e, Message) and e.level == "warning"]
    assert "batch size halved to 4 with 2 accumulation steps" in warning.text
    assert "each optimiser step still takes 8 samples" in warning.text
    assert "unchanged" not in warning.text  # a loss over the batch sees 4 at a time
    assert "now sees 4 at a time (contrastive tasks: fewer decoys" in warning.text


class AlwaysOutOfMemory(FakeTask):
    """Out of memory on every call from ``oom_at`` on, whatever the batch size."""

    def forward(self, batch: Batch):
        if self.calls + 1 >= self.oom_at:
            self.calls += 1
            raise torch.cuda.OutOfMemoryError("simulated")
        return super().forward(batch)


@pytest.mark.parametrize("floor", [1, 2, 3])
def test_out_of_memory_halving_stops_at_the_task_s_smallest_batch(tmp_path, floor):
    """A loss over the batch (SimCLR's decoys, BatchNorm statistics) means nothing on one
    item: the halving stops at the task's ``min_batch_size`` and fails clearly there."""
    task = AlwaysOutOfMemory(oom_at=2)
    task.name, task.min_batch_size = "contrastive", floor
    events = []
    with pytest.raises(TrainingError, match="Out of GPU memory at batch size") as e:
        train(tmp_path, task=task, events=events, steps=4)
    halved = [
        int(m.text.split("halved to ")[1].split()[0])
        for m in events
        if isinstance(m, Message) and "halved to" in m.text
    ]
    assert halved == [n for n in (4, 2, 1) if n >= floor]
    if floor == 1:
        assert "even a batch of 1 does not fit" in str(e.value)
    else:
        failed_at = 2 if floor == 2 else 4  # (3 would halve 4 to 2, below 3)
        assert f"at batch size {failed_at} (step 1)" in str(e.value)
        assert f"contrastive needs at least {floor} items per batch" in str(e.value)


def test_a_non_finite_loss_stops_with_a_message_and_keeps_the_good_checkpoint(tmp_path):
    with pytest.raises(TrainingError, match="loss became nan at step 6.*last good checkpoint"):
        train(tmp_path, task=FakeTask(fail_at=6), steps=12)
    files = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert files == ["step-0000004.pt"]
    state = load_checkpoint(tmp_path / "checkpoints" / "step-0000004.pt")
    assert all(torch.isfinite(t).all() for t in state["model"].values())


@pytest.mark.parametrize("action", ["stop", "pause"])
def test_a_stop_or_pause_never_saves_the_weights_of_a_diverged_run(tmp_path, action):
    class PauseThenStop(StopToken):
        def wait_while_paused(self, timeout: float | None = None) -> bool:
            self.stop()  # (a test never waits)
            return False

    stop = PauseThenStop()

    class NanThenStop(FakeTask):
        def forward(self, batch):
            loss, logs = super().forward(batch)
            if self.calls == 3:  # step 3 goes NaN; it is not logged (see log_every_seconds)
                loss = loss * float("nan")
            if self.calls == 4:
                getattr(stop, action)()
            return loss, logs

    with pytest.raises(TrainingError, match="loss became nan .*step.* last good checkpoint"):
        train(
            tmp_path,
            task=NanThenStop(),
            stop=stop,
            log_every_seconds=3600.0,
            checkpoint_every_steps=1000,
        )
    assert list((tmp_path / "checkpoints").glob("*.pt")) == []


def test_pause_waits_and_resume_goes_on(tmp_path):
    stop = StopToken()
    seen = []

    def report(event):
        seen.append(event)
        if isinstance(event, Step) and event.step == 3:
            stop.pause()
            threading.Timer(0.2, stop.resume).start()

    trainer = Trainer(
        FakeTask(),
        MemoryBatches(),
        TrainConfig(steps=6, batch_size=8, log_every_seconds=0.0),
        device=torch.device("cpu"),
        run_dir=tmp_path,
        report=report,
        stop=stop,
    )
    assert trainer.fit()["steps"] == 6
    texts = [e.text for e in seen if isinstance(e, Message)]
    assert "Paused at step 3." in texts and "Resumed." in texts


class FakeClock:
    """time.perf_counter for the trainer: each forward pass takes one second."""

    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


class LongPause(StopToken):
    """A pause that lasts 1000 (fake) seconds, then resumes."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def wait_while_paused(self, timeout: float | None = None) -> bool:
        self.clock.now += 1000.0
        self.resume()
        return True


def test_time_paused_counts_neither_in_the_rate_nor_in_the_run_time(tmp_path, monkeypatch):
    import ssl_studio.core.engine.trainer as trainer_module

    clock = FakeClock()
    monkeypatch.setattr(trainer_module, "time", clock)

    class OneSecondTask(FakeTask):
        def forward(self, batch):
            clock.now += 1.0
            return super().forward(batch)

    stop = LongPause(clock)
    events = []

    def report(event):
        events.append(event)
        if isinstance(event, Step) and event.step == 3:
            stop.pause()

    _, summary = train(
        tmp_path, task=OneSecondTask(), stop=stop, report=report, steps=6, batch_size=8
    )
    steps = {e.step: e for e in events if isinstance(e, Step)}
    assert "Paused at step 3." in [e.text for e in events if isinstance(e, Message)]
    # the step after the pause took one second like the others: 8 samples/s, 2 s left
    assert steps[4].samples_per_s == pytest.approx(8.0)
    assert steps[4].eta_s == pytest.approx(2.0)
    assert summary["seconds"] == pytest.approx(6.0)  # six steps of one second, no pause


def test_weights_that_diverge_before_a_health_check_get_the_loss_message(tmp_path):
    """The health gauges take an SVD, which fails on NaN with a linear-algebra error;
    an unlogged NaN step just before a health step must end the run with the loss
    message instead."""
    from ssl_studio.core.engine.health import HealthMonitor

    def embed(task):  # [8, D] embeddings that follow the (diverging) weights
        return task.encoder.weight.repeat(8, 1) * torch.arange(1, 9.0)[:, None]

    trainer = Trainer(
        FakeTask(fail_at=3),
        MemoryBatches(batch_size=8),
        TrainConfig(
            steps=10,
            batch_size=8,
            log_every_seconds=3600.0,
            health_every_steps=4,
            checkpoint_every_steps=100,
        ),
        device=torch.device("cpu"),
        run_dir=tmp_path,
        health=HealthMonitor(embed, None, lambda *a: None),
    )
    with pytest.raises(TrainingError, match="loss became nan between steps 2 and 4"):
        trainer.fit()
