"""The pretraining job end to end on a tiny image dataset (CPU, a few steps): what a run
records, every image task, stop and resume, clear refusals of bad choices, the
checkpoint, the augmentation preview, seeds, Ctrl+C and a lost peer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pretrain_shapes import config, shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.engine.checkpoint import load_checkpoint, versions
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Checkpoint, Health, Started, Step, StopToken
from ssl_studio.core.jobs import import_data, pretrain
from ssl_studio.core.models import backbones
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS


@pytest.fixture(scope="module")
def shapes_project(tmp_path_factory):
    from ssl_studio.core.jobs import create_project

    root = tmp_path_factory.mktemp("pretrain")
    project = create_project(root / "project")
    shapes(root / "shapes")
    import_data(ImportConfig(project=project, paths=[root / "shapes"], cache_size=32, workers=1))
    with Store.open(project, write=True) as store:
        items = store.items(1)
        store.add_label_set(
            1,
            "shape",
            "test",
            {i["id"]: "circle" if "circle" in i["rel_path"] else "square" for i in items},
        )
    return project


def test_views_larger_than_the_cached_images_are_pointed_out(shapes_project):
    events = []
    cfg = config(shapes_project, steps=1, health_every_steps=10**6)
    cfg.image_size = 48
    assert pretrain(cfg, report=events.append)["status"] == "done"
    assert isinstance(events[0], Started)  # the first event, warnings after it
    (said,) = [e.text for e in events if "upsampled" in getattr(e, "text", "")]
    assert "cached at 32 px, so training views of 48 px are upsampled" in said
    # the images themselves are no larger: importing them again at 48 px adds nothing
    assert "themselves are at most 32 px. Train at 32 px" in said and "--cache-size" not in said


def test_a_run_is_recorded_with_metrics_checkpoints_and_health(shapes_project):
    events = []
    summary = pretrain(config(shapes_project), report=events.append)
    assert summary["status"] == "done" and summary["steps"] == 4
    assert not any("upsampled" in getattr(e, "text", "") for e in events)  # 32 px cached
    assert summary["device"].startswith("CPU")
    health = [e for e in events if isinstance(e, Health)]
    assert [h.step for h in health] == [2, 4]
    assert all(0 <= h.knn_accuracy <= 1 and h.effective_rank >= 1 for h in health)
    assert [e.step for e in events if isinstance(e, Checkpoint)] == [2, 4]
    with Store.open(shapes_project) as store:
        run = store.run(summary["run_id"])
        losses = store.metrics(run["id"], "loss")
        knn = store.metrics(run["id"], "knn_accuracy")
        checkpoints = store.checkpoints(run["id"])
    assert run["status"] == "done" and run["kind"] == "pretrain" and run["task"] == "simclr"
    assert run["fingerprint"]["items"] == 48 and run["versions"]["torch"]
    assert run["config"]["train"]["steps"] == 4 and run["summary"]["final_loss"] > 0
    assert [s for s, _ in losses] == [1, 2, 3, 4] and [s for s, _ in knn] == [2, 4]
    assert [c["step"] for c in checkpoints] == [2, 4]  # both kept (keep_checkpoints = 2)
    state = load_checkpoint(shapes_project / checkpoints[-1]["path"])
    assert state["task"] == "simclr" and state["in_channels"] == 1 and state["image_size"] == 32
    assert (shapes_project / "runs" / str(run["id"]) / "config.json").is_file()


@pytest.mark.parametrize(
    "task", sorted(name for name, cls in TASKS.items() if "image" in cls.modalities)
)
def test_every_image_task_trains_through_the_job(shapes_project, task):
    fitting = TASKS[task].backbones  # (mae: the ViTs)
    backbone = "cnn-small" if fitting is None or "cnn-small" in fitting else fitting[0]
    events = []
    summary = pretrain(config(shapes_project, task, backbone, steps=2), report=events.append)
    steps = [e for e in events if isinstance(e, Step)]
    assert summary["status"] == "done" and [s.step for s in steps] == [1, 2]
    assert all(np.isfinite(s.loss) for s in steps)


def test_started_gives_the_number_of_steps_of_a_run_set_in_epochs(shapes_project):
    events = []
    summary = pretrain(
        config(shapes_project, steps=None, epochs=1, batch_size=16), report=events.append
    )
    assert isinstance(events[0], Started) and events[0].total == 3  # 48 images, 16 a step
    assert summary["steps"] == 3 and [e.total for e in events if isinstance(e, Step)] == [3] * 3


def test_stop_and_resume_continue_the_same_run(shapes_project):
    stop = StopToken()

    def stop_after_three(event):
        if isinstance(event, Step) and event.step == 3:
            stop.stop()

    first = pretrain(config(shapes_project, steps=6), report=stop_after_three, stop=stop)
    assert (first["status"], first["steps"]) == ("stopped", 3)
    events = []
    resumed = pretrain(
        PretrainConfig(project=shapes_project, resume_run=first["run_id"]), report=events.append
    )
    assert (resumed["status"], resumed["steps"], resumed["run_id"]) == ("done", 6, first["run_id"])
    assert isinstance(events[0], Started) and events[0].total == 6  # known from the start
    with Store.open(shapes_project) as store:
        row = store.run(first["run_id"])
        assert row["status"] == "done"
        assert [s for s, _ in store.metrics(first["run_id"], "loss")] == [1, 2, 3, 4, 5, 6]
    # the resumed session's own versions (its code may be newer); the row's: the first's
    assert row["config"]["sessions"][-1]["versions"] == versions()


def test_an_epochs_run_resumes_only_with_the_processes_that_wrote_it(shapes_project):
    """Its total is counted from each process's share of an epoch: on another number of
    processes it would end early (12 steps planned, 6 made) with another schedule."""
    from ssl_studio.core.engine.checkpoint import save_checkpoint

    stop = StopToken()

    def stop_after_two(event):
        if isinstance(event, Step) and event.step == 2:
            stop.stop()

    cfg = config(shapes_project, steps=None, epochs=2)
    first = pretrain(cfg, report=stop_after_two, stop=stop)
    assert first["status"] == "stopped"
    with Store.open(shapes_project) as store:
        folder = shapes_project / store.run(first["run_id"])["folder"] / "checkpoints"
    (path,) = sorted(folder.glob("step-*.pt"))[-1:]
    state = load_checkpoint(path)
    state["rng_ranks"] = state["rng_ranks"] * 2  # as if two processes had written it
    save_checkpoint(path, state)
    with pytest.raises(ConfigError, match="counts its length in epochs, shared out over the 2"):
        pretrain(PretrainConfig(project=shapes_project, resume_run=first["run_id"]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"dataset": "nope"}, "No dataset 'nope' in this project: its datasets are 'shapes'"),
        ({"task": "nope"}, "Unknown task 'nope'; the tasks are:"),
        ({"task": "mae"}, "vit-tiny or vit-small"),
        ({"backbone": "nope"}, "nope"),
        ({"image_size": 0}, "image_size must be between 16 and 1024"),  # not the preset's
    ],
)
def test_bad_choices_get_clear_messages(shapes_project, changes, message):
    cfg = config(shapes_project)
    for key, value in changes.items():
        setattr(cfg, key, value)
    with pytest.raises(ConfigError, match=message):
        pretrain(cfg)


def test_the_checkpoint_alone_rebuilds_the_trained_encoder(shapes_project):
    import torch

    from ssl_studio.core.data.cache import CacheReader
    from ssl_studio.core.evaluation.embeddings import embed_images
    from ssl_studio.core.models.backbones import build_backbone
    from ssl_studio.core.pretrain import latest_checkpoint
    from ssl_studio.core.pretrain_setup import rebuild_task

    summary = pretrain(config(shapes_project, steps=3))
    state = latest_checkpoint(shapes_project / "runs" / str(summary["run_id"]))
    with Store.open(shapes_project) as store:
        items = store.items(1)
    reader = CacheReader(shapes_project / "cache" / "dataset-1")
    options = {"channels": 1, "image_size": 32, "device": torch.device("cpu")}
    first = embed_images(rebuild_task(state).encoder, items, reader, **options)
    again = embed_images(rebuild_task(state).encoder, items, reader, **options)
    untrained = build_backbone("cnn-small", in_channels=1, image_size=32).module
    assert first.shape == (48, 256) and torch.equal(first, again)
    assert not torch.allclose(first, embed_images(untrained, items, reader, **options))


def test_preview_shows_augmented_views_of_one_real_item(shapes_project):
    from ssl_studio.core.pretrain_setup import preview_augmentations

    with Store.open(shapes_project) as store:
        item = store.items(1)[5]
    views = preview_augmentations(shapes_project, "shapes", item["id"], 6, image_size=32)
    assert views.shape == (6, 1, 32, 32) and views.min() >= 0 and views.max() <= 1
    assert len({v.tobytes() for v in views}) == 6  # six different views
    again = preview_augmentations(shapes_project, "shapes", item["id"], 6, image_size=32)
    assert np.array_equal(views, again)  # the same seed, the same preview
    with pytest.raises(ConfigError, match="no item 999999"):
        preview_augmentations(shapes_project, "shapes", 999999)
    with Store.open(shapes_project) as store:  # how the panel picks an item: by id only
        items = store.items(1)
        assert store.item(1, item["id"]) == item and store.item(1, 999999) is None
        assert store.pick_item_id(1) == items[0]["id"]
        picked = {store.pick_item_id(1, at_random=True) for _ in range(20)}
        assert picked <= {i["id"] for i in items} and len(picked) > 1


def test_the_same_seed_gives_the_same_weights_on_the_cpu(shapes_project):
    import torch

    from ssl_studio.core.pretrain import latest_checkpoint

    weights = []
    for _ in range(2):
        summary = pretrain(config(shapes_project, task="byol", steps=2, seed=7))
        state = latest_checkpoint(shapes_project / "runs" / str(summary["run_id"]))
        weights.append(state["model"])
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    other = pretrain(config(shapes_project, task="byol", steps=2, seed=8))
    state = latest_checkpoint(shapes_project / "runs" / str(other["run_id"]))
    assert not all(torch.equal(weights[0][k], state["model"][k]) for k in weights[0])


def test_mae_without_a_chosen_backbone_gets_a_vision_transformer(shapes_project):
    # the preset's backbone (cnn-small) cannot run MAE: a run that only picks the task works
    summary = pretrain(config(shapes_project, task="mae", backbone=None, steps=2))
    with Store.open(shapes_project) as store:
        assert store.run(summary["run_id"])["backbone"] == "vit-tiny"


def test_a_second_ctrl_c_leaves_the_run_interrupted_not_failed(shapes_project):
    """A second Ctrl+C (KeyboardInterrupt) cut the run off as a kill would: it marked
    the run "failed", as if something had gone wrong; it is "interrupted" (resumable)."""

    def report(event):
        if isinstance(event, Step) and event.step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pretrain(config(shapes_project, steps=6), report=report)
    with Store.open(shapes_project) as store:
        run = max(store.runs(), key=lambda r: r["id"])
    assert (run["status"], run["error"]) == ("interrupted", "Interrupted (Ctrl+C twice).")


def test_a_rank_whose_peer_died_says_so_and_how_to_resume(monkeypatch):
    from ssl_studio.core.engine.distributed import lost_a_peer
    from ssl_studio.core.pretrain import _peer_lost

    gloo = RuntimeError(
        "[../third_party/gloo/gloo/transport/tcp/pair.cc:545] Read error [10.0.0.1]:4242: "
        "Connection reset by peer"
    )
    assert lost_a_peer(gloo) and not lost_a_peer(RuntimeError("CUDA out of memory"))
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert _peer_lost(Path("/data/p"), 7, 2) == (
        "Another training process of run 7 stopped or lost its connection, so this one "
        "stopped too (that process's own output says why). The run's checkpoints are kept: "
        "resume it with torchrun --nproc_per_node 2 -m ssl_studio pretrain /data/p "
        "--resume 7."
    )


def test_a_run_keeps_its_options_as_built_and_resumes_with_them_after_defaults_change(
    shapes_project, monkeypatch
):
    """Options left to a default or worked out from the image size were stored as typed
    ({}), and resuming or rebuilding worked them out again: a later version with other
    defaults would have resumed with another augmentation, or built another network."""
    import dataclasses

    from ssl_studio.core import pretrain_setup
    from ssl_studio.core.pretrain import latest_checkpoint

    stop = StopToken()

    def stop_after_two(event):
        if isinstance(event, Step) and event.step == 2:
            stop.stop()

    first = pretrain(config(shapes_project, steps=4), report=stop_after_two, stop=stop)
    with Store.open(shapes_project) as store:
        row = store.run(first["run_id"])
    folder = shapes_project / row["folder"]
    began = latest_checkpoint(folder)
    assert began["backbone_options"] == {"stem_stride": 1}  # worked out for 32 px
    assert began["task_options"]["temperature"] == 0.2  # simclr's default
    kept = {k: began[k] for k in ("backbone_options", "augment", "task_options")}
    assert row["config"]["in_effect"] == json.loads(json.dumps(kept))  # (tuples: lists)

    # a newer version brightens more by default and changes the automatic stem
    bright = pretrain_setup.default_augment

    def newer_defaults(*args):
        return dataclasses.replace(bright(*args), brightness=0.9)

    monkeypatch.setattr(pretrain_setup, "default_augment", newer_defaults)
    monkeypatch.setitem(backbones._AUTOMATIC, "stem_stride", lambda size: 2)
    resumed = pretrain(PretrainConfig(project=shapes_project, resume_run=first["run_id"]))
    assert resumed["status"] == "done"
    ended = latest_checkpoint(folder)
    assert ended["augment"] == began["augment"] and ended["augment"]["brightness"] != 0.9
    assert ended["backbone_options"] == {"stem_stride": 1}
    rebuilt = pretrain_setup.rebuild_task(ended)  # as fine-tuning and export do
    assert rebuilt.encoder[0].stride == (1, 1)
