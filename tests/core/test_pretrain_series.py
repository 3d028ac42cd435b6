"""Pretraining on time series end to end: default task, every series task, embeddings, probe."""

from __future__ import annotations

import numpy as np
import pytest
from series_data import write_waves

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.probes import logistic_probe, svm_probe
from ssl_studio.core.events import Health, Step
from ssl_studio.core.jobs import create_project, embed, import_data, pretrain
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS


@pytest.fixture(scope="module")
def series_project(tmp_path_factory):
    """40 one-channel recordings, sine or square waves of random phase, unequal lengths,
    a few missing values, labels in a label column."""
    root = tmp_path_factory.mktemp("series")
    write_waves(root / "waves")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "waves"], workers=1))
    return project


def config(project, task=None, steps=4, **train):
    options = {
        "steps": steps,
        "batch_size": 8,
        "health_every_steps": 2,
        "log_every_seconds": 0.0,
        "checkpoint_every_steps": 2,
        **train,
    }
    return PretrainConfig(
        project=project, dataset="waves", task=task, train=TrainConfig(**options), backbone=None
    )


def test_the_default_series_run_is_ts2vec_on_ts_conv_with_health(series_project):
    events = []
    summary = pretrain(config(series_project), report=events.append)
    assert summary["status"] == "done" and summary["steps"] == 4
    health = [e for e in events if isinstance(e, Health)]
    assert health and all(h.knn_accuracy is not None for h in health)  # labels imported
    with Store.open(series_project) as store:
        run = store.run(summary["run_id"])
    assert (run["task"], run["backbone"]) == ("ts2vec", "ts-conv")
    assert run["config"]["series_length"] == 3000
    # the encoder standardizes its input with the dataset's statistics, saved with it
    state = latest_checkpoint(series_project / "runs" / str(summary["run_id"]))["model"]
    with Store.open(series_project) as store:
        items = store.items(store.dataset("waves")["id"])
    reader = CacheReader(series_project / "cache" / f"dataset-{items[0]['dataset_id']}")
    values = np.concatenate([v[m] for v, m in map(reader.series, items)])
    shift, scale = state["encoder.input_shift"], state["encoder.input_scale"]
    np.testing.assert_allclose([shift[0], scale[0]], [values.mean(), values.std()], rtol=1e-4)


@pytest.mark.parametrize(
    "task", [name for name, cls in TASKS.items() if "timeseries" in cls.modalities]
)
def test_every_series_task_trains_through_the_job(series_project, task):
    events = []
    cfg = config(series_project, task, steps=2)
    fitting = TASKS[task].backbones  # None: the default, ts-conv, fits
    cfg.backbone = None if fitting is None or "ts-conv" in fitting else fitting[0]
    summary = pretrain(cfg, report=events.append)
    losses = [e.loss for e in events if isinstance(e, Step)]
    assert summary["status"] == "done" and len(losses) == 2 and np.isfinite(losses).all()


def test_image_tasks_and_backbones_are_refused_for_series(series_project):
    with pytest.raises(ConfigError, match="works on image data"):
        pretrain(config(series_project, "simclr"))
    cfg = config(series_project, "ts2vec")
    cfg.backbone = "cnn-small"
    with pytest.raises(ConfigError, match="cnn-small is for images.*use ts-conv or ts-patch"):
        pretrain(cfg)


def test_ts2vec_on_ts_patch_is_refused_and_ts_patch_alone_trains_masked(series_project):
    cfg = config(series_project, "ts2vec")
    cfg.backbone = "ts-patch"
    with pytest.raises(
        ConfigError, match="ts2vec cannot train ts-patch: choose the backbone ts-conv"
    ):
        pretrain(cfg)
    cfg = config(series_project, steps=2)
    cfg.backbone = "ts-patch"
    summary = pretrain(cfg)
    with Store.open(series_project) as store:
        assert store.run(summary["run_id"])["task"] == "masked"


def test_embeddings_per_series_and_per_step_feed_a_probe(series_project):
    summary = pretrain(config(series_project, steps=6))
    ids, z = embed(series_project, summary["run_id"])
    assert z.shape == (40, 320) and np.isfinite(z).all()
    ids_steps, steps = embed(series_project, summary["run_id"], per_timestep=True)
    assert ids_steps == ids
    with Store.open(series_project) as store:
        items = {i["id"]: i for i in store.items(1)}
        labels = store.latest_label_set(1)
    assert [s.shape for s in steps] == [(items[i]["length"], 320) for i in ids]
    y = np.array([labels[i] for i in ids])
    train, test = np.arange(40) < 24, np.arange(40) >= 24
    svm = svm_probe(z[train], y[train], z[test], y[test])
    logistic = logistic_probe(z[train], y[train], z[test], y[test])
    assert svm.accuracy >= 0.8 and logistic.accuracy >= 0.8  # sine vs square is easy


def test_series_are_embedded_unpadded_a_few_at_a_time_with_the_same_result(
    series_project, monkeypatch
):
    from ssl_studio.core.data import series_batches

    chunks = series_batches.same_length_groups
    assert list(chunks([10, 10, 10, 30, 30, 500], 9, max_steps=60)) == [[0, 1, 2], [3, 4], [5]]
    assert list(chunks([5] * 9, 4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]  # never padded
    summary = pretrain(config(series_project, steps=2))
    ids, whole = embed(series_project, summary["run_id"])
    monkeypatch.setattr(series_batches, "STEPS_AT_ONCE", 100)  # one or two series at a time
    ids_small, small = embed(series_project, summary["run_id"])
    assert ids_small == ids and np.allclose(small, whole, atol=1e-5)


def test_default_steps_follow_ts2vec_by_the_number_of_values(series_project):
    """TS2Vec trains 200 steps when its training array holds at most 100 000 values, else
    600; the count is series x steps x channels, so a few long recordings get 600."""
    from ssl_studio.core.pretrain import n_values

    with Store.open(series_project) as store:
        items = store.items(store.dataset("waves")["id"])
    assert n_values(items) == sum(i["length"] for i in items)  # one channel each
    steps = {}
    for values, preset in (
        (n_values(items), "quick"),
        (100_000, "quick"),
        (100_001, "quick"),
        (100_001, "standard"),
    ):
        cfg = PretrainConfig(project=series_project, dataset="waves", preset=preset)
        cfg.resolve("timeseries", values)
        steps[values, preset] = cfg.train.steps
    assert steps == {
        (n_values(items), "quick"): 200,
        (100_000, "quick"): 200,
        (100_001, "quick"): 600,
        (100_001, "standard"): 1800,
    }
    assert (cfg.train.batch_size, cfg.train.lr) == (16, 1e-3)


@pytest.mark.parametrize(
    ("modality", "preset", "typed", "expected"),
    [
        ("timeseries", "quick", {}, (16, 1e-3)),
        ("timeseries", "quick", {"batch_size": 128, "lr": 2e-3}, (128, 2e-3)),
        ("image", "quick", {}, (128, 2e-3)),
        ("image", "standard", {}, (256, 2e-3)),
        ("image", "standard", {"batch_size": 128}, (128, 2e-3)),
    ],
)
def test_a_typed_batch_size_and_lr_are_kept_even_when_they_equal_another_default(
    tmp_path, modality, preset, typed, expected
):
    """Empty means "the default for this data and preset"; a value the user typed is used
    as typed. Before, 128 and 0.002 (the image defaults) typed for a series run were
    silently replaced by the series defaults, and 128 with the standard preset by 256."""
    cfg = PretrainConfig(project=tmp_path, dataset="d", preset=preset, train=TrainConfig(**typed))
    cfg.resolve(modality, 1000)
    assert (cfg.train.batch_size, cfg.train.lr) == expected


@pytest.mark.parametrize(
    ("task", "backbone", "expected"),
    [(None, None, "ts2vec"), ("forecast", None, "forecast"), (None, "ts-patch", "masked")],
)
def test_ts2vec_alone_trains_with_batch_16_the_other_series_tasks_with_8(
    tmp_path, task, backbone, expected
):
    """TS2Vec's contrast tells each series from the others in its batch: 16 gave it better
    representations than TS2Vec's 8 on UCR/UEA, while forecasting did worse with 16, so
    the other series tasks keep 8 (README, Benchmarks)."""
    cfg = PretrainConfig(project=tmp_path, dataset="d", task=task, backbone=backbone)
    cfg.resolve("timeseries", 1000)
    assert cfg.task == expected
    assert cfg.train.batch_size == (16 if expected == "ts2vec" else 8)


@pytest.mark.parametrize(
    ("modality", "option", "message"),
    [
        ("timeseries", {"image_size": 64}, "image_size .*applies to image datasets"),
        ("image", {"series_length": 500}, "series_length applies to time-series datasets"),
        # the backbone first: it said "needs --image-size", then refused --image-size
        (
            "timeseries",
            {"backbone": "resnet18", "image_size": 64},
            "resnet18 is for images, and 'd' holds time series: use ts-conv or ts-patch",
        ),
        ("image", {"backbone": "ts-conv"}, "ts-conv is for time series.*use cnn-small or"),
    ],
)
def test_an_option_for_the_other_kind_of_data_is_refused_not_ignored(
    tmp_path, modality, option, message
):
    cfg = PretrainConfig(project=tmp_path, dataset="d", **option)
    with pytest.raises(ConfigError, match=message):
        cfg.resolve(modality, 1000)


@pytest.mark.parametrize("minutes", [0, -1.0])
def test_a_checkpoint_interval_of_no_minutes_is_refused(minutes):
    with pytest.raises(ConfigError, match="checkpoint_every_minutes must be more than 0"):
        TrainConfig(checkpoint_every_minutes=minutes).validate()
