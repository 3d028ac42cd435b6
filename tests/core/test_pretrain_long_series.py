"""Pretraining on a few long recordings: each recording gives ceil(T / series_length)
sections, and sections (not files) fill batches and reach the minimum."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Health, Message, Step
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.pretrain import MIN_ITEMS

STEPS = 20_000  # per recording: 79 sections of 256 steps
TINY = {
    "ts-conv": {"hidden": 8, "dim": 16, "depth": 2},
    "ts-patch": {"dim": 16, "depth": 1},
}


def long_project(root, recordings: int):
    """A project whose dataset 'ecg' holds ``recordings`` 2-channel recordings of STEPS
    steps at 500 Hz (sine and noise, a few missing values)."""
    rng = np.random.default_rng(recordings)
    t = np.arange(STEPS) / 500
    values = np.stack(
        [
            [np.sin(2 * np.pi * (1 + r) * t), np.cos(2 * np.pi * 3 * t)]
            + rng.normal(0, 0.1, (2, STEPS))
            for r in range(recordings)
        ]
    ).astype(np.float32)  # [N, C, T]
    values[:, 0, 100:110] = np.nan
    (root / "data").mkdir()
    np.save(root / "data" / "ecg.npy", values)
    project = create_project(root / "project")
    import_data(
        ImportConfig(
            project=project, paths=[root / "data"], workers=1, sampling_rate=500.0, name="ecg"
        )
    )
    return project


@pytest.fixture(scope="module")
def one_recording(tmp_path_factory):
    return long_project(tmp_path_factory.mktemp("one"), 1)


def config(project, task, backbone="ts-conv", steps=3, series_length=256, batch_size=8):
    return PretrainConfig(
        project=project,
        dataset="ecg",
        task=task,
        backbone=backbone,
        backbone_options=TINY[backbone],
        series_length=series_length,
        train=TrainConfig(
            steps=steps,
            batch_size=batch_size,
            health_every_steps=2,
            log_every_seconds=0.0,
            checkpoint_every_steps=100,
        ),
    )


@pytest.mark.parametrize(
    ("task", "backbone"), [("ts2vec", "ts-conv"), ("masked", "ts-patch"), ("forecast", "ts-conv")]
)
def test_one_long_recording_pretrains_with_every_series_task(one_recording, task, backbone):
    events = []
    summary = pretrain(config(one_recording, task, backbone), report=events.append)
    losses = [e.loss for e in events if isinstance(e, Step)]
    assert summary["status"] == "done" and len(losses) == 3 and np.isfinite(losses).all()
    said = " ".join(e.text for e in events if isinstance(e, Message))
    assert "1 recording of 20 000 steps gives 79 sections of 256 steps" in said
    assert "windows of up to 256 steps (0.512 s at 500 Hz)" in said
    # the health gauges see windows of many sections, not the one recording
    health = [e for e in events if isinstance(e, Health)]
    assert health and all(np.isfinite(h.embedding_std) for h in health)


def test_three_long_recordings_pretrain_and_sections_fill_the_batch(tmp_path):
    project = long_project(tmp_path, 3)
    events = []
    summary = pretrain(config(project, "ts2vec", batch_size=16), report=events.append)
    assert summary["status"] == "done"
    said = " ".join(e.text for e in events if isinstance(e, Message))
    assert "3 recordings of 20 000 steps give 237 sections of 256 steps" in said
    assert "Batch size lowered" not in said


def test_the_batch_is_lowered_to_the_sections_and_says_so(one_recording):
    events = []
    cfg = config(one_recording, "ts2vec", series_length=2500, steps=1)  # 8 sections
    summary = pretrain(cfg, report=events.append)
    assert summary["status"] == "done"
    said = [e.text for e in events if isinstance(e, Message)]
    assert not any("Batch size lowered" in t for t in said)  # 8 sections fill a batch of 8
    events.clear()
    cfg = config(one_recording, "ts2vec", series_length=2400, steps=1, batch_size=12)
    pretrain(cfg, report=events.append)  # 9 sections
    said = [e.text for e in events if isinstance(e, Message)]
    assert (
        "Batch size lowered to 9: 1 recording of 20 000 steps gives 9 sections of 2400 steps."
        in said
    )


def test_too_few_sections_are_refused_with_what_to_do(one_recording):
    cfg = config(one_recording, "ts2vec", series_length=3000)  # 7 sections
    with pytest.raises(
        ConfigError,
        match=rf"gives 7 sections of 3000 steps, .*at least {MIN_ITEMS}.* smaller series_length",
    ):
        pretrain(cfg)


def test_a_run_begun_before_sections_resumes_sampling_as_it_began(tmp_path, monkeypatch):
    """A run whose checkpoint does not record sections (made by an older version) is
    resumed with one window per recording, as it began; a new run records them."""
    import torch

    from ssl_studio.core import pretrain_setup
    from ssl_studio.core.engine.checkpoint import load_checkpoint
    from ssl_studio.core.events import StopToken
    from ssl_studio.core.project.store import Store

    built = []
    real = pretrain_setup.SeriesBatches

    def spy(*args, **kwargs):
        built.append(kwargs["sections"])
        return real(*args, **kwargs)

    monkeypatch.setattr(pretrain_setup, "SeriesBatches", spy)
    project = long_project(tmp_path, MIN_ITEMS)  # (as many as a run before sections took)
    stop = StopToken()
    first = pretrain(
        config(project, "forecast", steps=4, batch_size=4),
        report=lambda e: isinstance(e, Step) and e.step == 2 and stop.stop(),
        stop=stop,
    )
    assert first["status"] == "stopped" and built == [True]
    with Store.open(project) as store:
        folder = project / store.run(first["run_id"])["folder"] / "checkpoints"
    [path] = sorted(folder.glob("step-*.pt"))
    state = load_checkpoint(path)
    assert state["series_sections"] is True
    del state["series_sections"]  # as a run of an older version recorded it
    torch.save(state, path)
    resumed = pretrain(PretrainConfig(project=project, resume_run=first["run_id"]))
    assert resumed["status"] == "done" and built == [True, False]
