"""The stored loss curve is reproducible from the config and seed: the mean loss over
fixed blocks of steps (not over the steps between time-based progress reports, which
depend on machine load), the same for a resumed run as for an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest
from fake_training import FakeTask, LossRecordingTask, MetricRows, train

from ssl_studio.core.engine import loss_curve
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.engine.loss_curve import curve_every
from ssl_studio.core.engine.trainer import TrainingError
from ssl_studio.core.events import Step, StopToken


@pytest.fixture
def five_points(monkeypatch):
    """At most 5 stored points a run: 24 steps are stored in blocks of 5 steps."""
    monkeypatch.setattr(loss_curve, "POINTS", 5)


def stored(recorder: MetricRows, name: str) -> dict[int, float]:
    """The metric ``name`` as the project store reads it back: the latest value per step."""
    return {step: value for step, _, n, value in recorder.rows if n == name}


def test_a_run_stores_at_most_a_thousand_points_in_round_blocks():
    assert [curve_every(n) for n in (1, 24, 1000, 1001, 2000, 2001, 5001)] == [1, 1, 1, 2, 2, 5, 10]
    assert curve_every(100_000) == 100 and curve_every(100_001) == 200
    assert curve_every(24, points=5) == 5


def test_the_stored_curve_does_not_depend_on_when_progress_is_reported(tmp_path, five_points):
    runs = {}
    for name, seconds, every in (("often", 0.0, 4), ("seldom", 3600.0, 7)):
        task, recorder, events = LossRecordingTask(), MetricRows(), []
        train(tmp_path / name, task=task, recorder=recorder, events=events, steps=24,
              log_every_seconds=seconds, checkpoint_every_steps=every)  # fmt: skip
        runs[name] = (task, recorder, [e for e in events if isinstance(e, Step)])
    task, often, often_steps = runs["often"]
    _, seldom, seldom_steps = runs["seldom"]
    # the live reports differ (every step, or the first, checkpoints and the last) ...
    assert [s.step for s in often_steps] == list(range(1, 25))
    assert [s.step for s in seldom_steps] == [1, 7, 14, 21, 24]
    # ... the stored curve does not: blocks of 5 steps and the last, partial one
    assert list(stored(often, "loss")) == [5, 10, 15, 20, 24]
    assert stored(often, "loss") == stored(seldom, "loss")
    for end, value in stored(often, "loss").items():
        start = (end - 1) // 5 * 5
        assert value == pytest.approx(np.mean(task.losses[start:end]), rel=1e-5)
    assert stored(often, "lr") == stored(seldom, "lr") and list(stored(often, "lr")) == [
        5, 10, 15, 20, 24
    ]  # fmt: skip
    assert stored(often, "calls") == {5: 5.0, 10: 10.0, 15: 15.0, 20: 20.0, 24: 24.0}
    assert stored(often, "epoch_loss") == stored(seldom, "epoch_loss")


def test_a_resumed_run_stores_the_curve_of_an_uninterrupted_one(tmp_path, five_points):
    straight = MetricRows()
    options = {"steps": 24, "log_every_seconds": 3600.0, "checkpoint_every_steps": 100}
    train(tmp_path / "a", recorder=straight, **options)

    stop, steps = StopToken(), []

    def stop_at_seven(event):  # a Step of every step, so the stop comes after step 7
        if isinstance(event, Step):
            steps.append(event.step)
            if event.step == 7:
                stop.stop()

    interrupted = MetricRows()
    _, first = train(tmp_path / "b", stop=stop, report=stop_at_seven, recorder=interrupted,
                     **{**options, "log_every_seconds": 0.0})  # fmt: skip
    assert first["steps"] == 7  # in the second block of 5 steps
    saved = load_checkpoint(tmp_path / "b" / "checkpoints" / "step-0000007.pt")
    assert saved["loss_curve"]["every"] == 5 and saved["loss_curve"]["steps"] == 2
    train(tmp_path / "b", resume=saved, recorder=interrupted, **options)
    for name in ("loss", "lr", "epoch_loss"):
        assert stored(interrupted, name) == stored(straight, name), name
    assert list(stored(straight, "loss")) == [5, 10, 15, 20, 24]


def test_a_checkpoint_of_an_older_version_resumes_with_a_block_from_its_step(tmp_path, five_points):
    """Checkpoints written before the curve was kept in them have no ``loss_curve``: the
    resumed run starts a block at its step (its first point averages fewer steps)."""
    train(tmp_path, steps=24, checkpoint_every_steps=7, keep_checkpoints=10)
    saved = load_checkpoint(tmp_path / "checkpoints" / "step-0000014.pt")
    del saved["loss_curve"]
    task, recorder = LossRecordingTask(), MetricRows()
    train(tmp_path, task=task, recorder=recorder, resume=saved, steps=24)
    assert stored(recorder, "loss")[15] == pytest.approx(task.losses[0], rel=1e-5)


def test_a_run_stopped_by_a_nan_loss_keeps_the_blocks_before_it(tmp_path, five_points):
    """Closed blocks were stored only after the finite check passed: the NaN at step 13
    threw away the block of steps 6-10, closed since the last check (step 8)."""
    recorder = MetricRows()
    with pytest.raises(TrainingError, match="loss became nan between steps 9 and 16"):
        train(tmp_path, task=FakeTask(fail_at=13), recorder=recorder, steps=24,
              log_every_seconds=3600.0, checkpoint_every_steps=100)  # fmt: skip
    assert list(stored(recorder, "loss")) == [5, 10]
    assert all(np.isfinite(v) for v in stored(recorder, "loss").values())
