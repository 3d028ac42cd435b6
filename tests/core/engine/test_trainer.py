"""The training loop on a fake task: steps, checkpoints, exact resume, faults."""

from __future__ import annotations

import pickle
import threading
from pathlib import Path

import pytest
import torch
from torch import nn

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from ssl_studio.core.engine.optimizer import param_groups
from ssl_studio.core.engine.schedule import warmup_cosine
from ssl_studio.core.engine.trainer import Trainer, TrainingError
from ssl_studio.core.events import Checkpoint, Epoch, Message, Step, StopToken
from ssl_studio.core.storage_errors import DiskFullError


class Batch:
    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def to(self, device: torch.device) -> Batch:
        return Batch(self.x.to(device), self.y.to(device))


class MemoryBatches:
    """A deterministic in-memory loader with the engine's loader interface."""

    def __init__(self, n: int = 64, batch_size: int = 8, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(123)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x @ torch.tensor([1.0, -2.0, 0.5, 3.0]) + 0.1
        self.batch_size = batch_size
        self.seed = seed

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def epoch(self, epoch: int, skip: int = 0):
        order = torch.randperm(len(self.x), generator=torch.Generator().manual_seed(epoch))
        for b in range((len(self.x) - skip) // self.batch_size):
            pick = order[skip + b * self.batch_size : skip + (b + 1) * self.batch_size]
            yield Batch(self.x[pick], self.y[pick])


class FakeTask(nn.Module):
    """Linear regression with a little random noise (so RNG state matters for resume)."""

    def __init__(self, fail_at: int | None = None, oom_at: int | None = None) -> None:
        super().__init__()
        torch.manual_seed(0)  # the same initial weights every time (jobs seed first too)
        self.encoder = nn.Linear(4, 1)
        self.calls = 0
        self.fail_at, self.oom_at = fail_at, oom_at
        self.ema_updates = 0

    def forward(self, batch: Batch):
        self.calls += 1
        if self.oom_at is not None and self.calls == self.oom_at:
            raise torch.cuda.OutOfMemoryError("simulated")
        noise = 0.01 * torch.randn(batch.x.shape[0])
        loss = ((self.encoder(batch.x).squeeze(1) + noise - batch.y) ** 2).mean()
        if self.fail_at is not None and self.calls >= self.fail_at:
            loss = loss * float("nan")
        return loss, {"calls": float(self.calls)}

    def on_step_end(self, step: int, total: int) -> None:
        self.ema_updates += 1


class FolderRecorder:
    """Keeps the checkpoint paths a run records, as the project store does."""

    def __init__(self) -> None:
        self.paths: set[str] = set()

    def metrics(self, rows) -> None:
        pass

    def checkpoint(self, step, epoch, path, kind) -> None:
        self.paths.add(path.name)

    def checkpoint_removed(self, path) -> None:
        self.paths.discard(path.name)


def train(
    tmp_path,
    task=None,
    batches=None,
    stop=None,
    resume=None,
    events=None,
    report=None,
    recorder=None,
    **cfg,
):
    options = {
        "steps": 12,
        "batch_size": 8,
        "lr": 0.05,
        "warmup_fraction": 0.1,
        "checkpoint_every_steps": 4,
        "log_every_seconds": 0.0,
        "keep_checkpoints": 2,
        "optimizer": "sgd",
        "grad_clip": 0.0,
    }
    options.update(cfg)
    batches = batches or MemoryBatches(batch_size=options["batch_size"])
    trainer = Trainer(
        task or FakeTask(),
        batches,
        TrainConfig(**options),
        device=torch.device("cpu"),
        run_dir=tmp_path,
        report=report or (events.append if events is not None else lambda e: None),
        stop=stop,
        recorder=recorder,
        snapshot={"task": "fake"},
    )
    return trainer, trainer.fit(resume)


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


def test_gradient_accumulation_matches_a_bigger_batch(tmp_path):
    big, _ = train(tmp_path / "big", steps=6, batch_size=8)
    small, summary = train(tmp_path / "small", steps=6, batch_size=4, accumulate=2)
    assert summary["accumulate"] == 2
    w_big, w_small = big.task.encoder.weight, small.task.encoder.weight
    # the fake task's noise is drawn per micro-batch, so allow for it
    assert torch.allclose(w_big, w_small, atol=0.05)


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


class LossRecordingTask(FakeTask):
    """Keeps the loss of every forward pass (one per optimiser step without accumulation)."""

    def __init__(self) -> None:
        super().__init__()
        self.losses: list[float] = []

    def forward(self, batch: Batch):
        loss, logs = super().forward(batch)
        self.losses.append(float(loss.detach()))
        return loss, logs


class MetricRows(FolderRecorder):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, int, str, float]] = []

    def metrics(self, rows) -> None:
        self.rows += rows


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
