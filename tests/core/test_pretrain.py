"""The pretraining job end to end on a tiny image dataset (CPU, a few steps)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.engine.checkpoint import load_checkpoint, versions
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Checkpoint, Health, Started, Step, StopToken
from ssl_studio.core.jobs import import_data, pretrain
from ssl_studio.core.models import backbones
from ssl_studio.core.pretrain_setup import PROBE_ITEMS, probe_items
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS


def shapes(folder, n=48, size=32):
    """Circles and squares of random size and place, gray on black."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        r = rng.integers(5, 10)
        cy, cx = rng.integers(r, size - r, 2)
        if i % 2:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        image = (mask * rng.integers(120, 255) + rng.normal(0, 8, (size, size))).clip(0, 255)
        Image.fromarray(image.astype(np.uint8)).save(
            folder / f"{'circle' if i % 2 else 'square'}{i}.png"
        )


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


def config(project, task="simclr", backbone="cnn-small", steps=4, **train):
    options = {
        "steps": steps,
        "batch_size": 8,
        "checkpoint_every_steps": 2,
        "health_every_steps": 2,
        "log_every_seconds": 0.0,
        **train,
    }
    return PretrainConfig(
        project=project,
        dataset="shapes",
        task=task,
        backbone=backbone,
        image_size=32,
        train=TrainConfig(**options),
    )


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


def test_the_augmentation_a_run_uses_is_the_one_the_gui_starts_from(tmp_path):
    """Six ultrasound files (RGB) and three CT: the ultrasound defaults (may mirror, a
    little saturation) for the form, and the same for the run."""
    import dataclasses
    import shutil

    import pydicom

    from ssl_studio.core.jobs import create_project
    from ssl_studio.core.pretrain import latest_checkpoint
    from ssl_studio.core.pretrain_setup import augment_defaults, preview_augmentations

    files = Path(pydicom.__file__).parent / "data" / "test_files"
    folder = tmp_path / "scans"
    folder.mkdir()
    for copy in range(3):
        for name in ("ExplVR_BigEnd.dcm", "examples_jpeg2k.dcm", "CT_small.dcm"):
            shutil.copy(files / name, folder / f"{copy}-{name}")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32, workers=1))
    defaults = augment_defaults(project, "scans")
    assert defaults.hflip and defaults.saturation == 0.1 and not defaults.vflip
    summary = pretrain(
        PretrainConfig(
            project=project,
            dataset="scans",
            image_size=32,
            augment={"crop_scale": [0.5, 1.0]},
            train=TrainConfig(steps=1, batch_size=8, health_every_steps=10**6),
        )
    )
    state = latest_checkpoint(project / "runs" / str(summary["run_id"]))
    expected = dataclasses.replace(defaults, crop_scale=(0.5, 1.0))
    assert state["augment"] == dataclasses.asdict(expected)
    # the preview of a CT item shows the dataset's (ultrasound) defaults, as training does
    with Store.open(project) as store:
        ct = next(i for i in store.items(1) if i["modality"] == "CT")["id"]
    as_trained = preview_augmentations(project, "scans", ct, 4, image_size=32)
    mirrored = preview_augmentations(
        project, "scans", ct, 4, image_size=32, augment={"hflip": True}
    )
    unmirrored = preview_augmentations(
        project, "scans", ct, 4, image_size=32, augment={"hflip": False}
    )
    assert np.array_equal(as_trained, mirrored) and not np.array_equal(as_trained, unmirrored)
    with pytest.raises(ConfigError, match="No dataset 'nope'"):
        augment_defaults(project, "nope")


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


def test_a_cache_deleted_behind_our_back_is_a_message_and_a_failed_run(tmp_path):
    import shutil

    from ssl_studio.core.jobs import create_project

    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=12)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32))
    shutil.rmtree(project / "cache")
    with pytest.raises(ConfigError, match="missing or unreadable .* folders again"):
        pretrain(config(project, steps=2))
    with Store.open(project) as store:
        assert [r["status"] for r in store.runs()] in ([], ["failed"])  # never "running"
        ids = sorted(i["id"] for i in store.items(1))
    # as the message says: importing the folder again makes the cache again, same items
    said = []
    again = import_data(
        ImportConfig(project=project, paths=[tmp_path / "shapes"]), report=said.append
    )
    assert again["imported"] == 12 and again["unchanged"] == 0
    assert any("is missing" in getattr(e, "text", "") for e in said)
    with Store.open(project) as store:
        assert sorted(i["id"] for i in store.items(1)) == ids  # labels and runs still fit
    assert pretrain(config(project, steps=2))["status"] == "done"


def test_mae_without_a_chosen_backbone_gets_a_vision_transformer(shapes_project):
    # the preset's backbone (cnn-small) cannot run MAE: a run that only picks the task works
    summary = pretrain(config(shapes_project, task="mae", backbone=None, steps=2))
    with Store.open(shapes_project) as store:
        assert store.run(summary["run_id"])["backbone"] == "vit-tiny"


def test_a_dataset_whose_last_import_did_not_finish_is_refused_unless_allowed(tmp_path):
    """A stopped import left a note in the Data panel, and pretraining ran on the part
    that was read as if it were the whole dataset."""
    from ssl_studio.core.jobs import create_project

    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=12)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32))
    with Store.open(project, write=True) as store:  # a re-import of the grown folder, stopped
        dataset_id = store.dataset("shapes")["id"]
        stopped = store.start_import(dataset_id, {})
        store.finish_import(stopped, "cancelled", {"files_done": 5, "files_seen": 20})
    stopped_note = (
        "Dataset 'shapes' is only partly imported. Import stopped after 5 of 20 files — "
        "import the folder again to finish (files already imported are kept, not imported "
        "again). To pretrain on what is imported so far anyway, set allow_partial_import."
    )
    with pytest.raises(ConfigError) as refused:
        pretrain(config(project, steps=1))
    assert str(refused.value) == stopped_note
    with Store.open(project, write=True) as store:
        assert store.runs() == []  # refused before any run was made
        store.start_import(dataset_id, {})  # cut off: a crash, a kill, a full disk
    with pytest.raises(ConfigError, match="The last import did not finish .* again to finish"):
        pretrain(config(project, steps=1))

    allowed = config(project, steps=1, health_every_steps=10**6)
    allowed.allow_partial_import = True
    summary = pretrain(allowed)
    assert summary["status"] == "done"
    with Store.open(project) as store:  # the run says it knowingly trained on part
        assert store.run(summary["run_id"])["config"]["allow_partial_import"] is True
    finished = import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"]))
    assert not finished["cancelled"]
    assert pretrain(config(project, steps=1, health_every_steps=10**6))["status"] == "done"


def test_a_folder_stopped_then_a_folder_inside_it_finished_is_still_refused(tmp_path):
    """Only the last import decided: a stopped import of a folder, then one of a folder
    inside it that finished, and pretraining took the dataset as whole."""
    from ssl_studio.core.data.decode import decode
    from ssl_studio.core.data.importer import Importer
    from ssl_studio.core.events import Progress
    from ssl_studio.core.jobs import create_project

    project = create_project(tmp_path / "project")
    folder = tmp_path / "shapes"
    folder.mkdir()
    shapes(folder / "a", n=24)
    shapes(folder / "sub", n=12)
    stop = StopToken()

    def report(event):  # Stop once a file was decoded
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    def slow_decode(task):
        time.sleep(0.02)
        return decode(task)

    cfg = ImportConfig(project=project, paths=[folder], name="shapes", cache_size=32, workers=1)
    with Store.open(project, write=True) as store:
        stopped = Importer(store, cfg, report, stop, decoder=slow_decode).run()
    assert stopped["cancelled"] and stopped["files_done"] < 36
    sub = ImportConfig(project=project, paths=[folder / "sub"], name="shapes", add=True)
    assert not import_data(sub)["cancelled"]
    with pytest.raises(ConfigError) as refused:
        pretrain(config(project, steps=1))
    said = str(refused.value)
    assert said.startswith("Dataset 'shapes' is only partly imported. An earlier import of ")
    assert f"was stopped after {stopped['files_done']} of 36 files — import that folder" in said

    import_data(ImportConfig(project=project, paths=[folder], name="shapes"))
    assert pretrain(config(project, steps=1, health_every_steps=10**6))["status"] == "done"


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


def test_the_health_probe_is_a_stratified_draw_of_the_labeled_items():
    """A dataset imported class folder by class folder lists one class first: the first
    256 labeled items were all 'normal', and the kNN gauge was silently off."""
    items = [{"id": i} for i in range(1, 1001)]
    labels = {i: "normal" if i <= 600 else "pneumonia" for i in range(1, 1001)}
    probe, targets = probe_items(items, labels)
    assert len(probe) == PROBE_ITEMS and targets is not None
    counts = Counter(labels[i["id"]] for i in probe)
    assert counts == {"normal": 154, "pneumonia": 102}  # 60 % and 40 % of 256
    assert targets.tolist() == [int(labels[i["id"]] == "pneumonia") for i in probe]
    assert [i["id"] for i in probe_items(items, labels)[0]] == [i["id"] for i in probe]
    assert len({i["id"] for i in probe}) == PROBE_ITEMS  # fixed, no item twice
    few = {i: labels[i] for i in (1, 2, 3, 4, 5, 601, 602, 603, 604, 605, 606)}
    assert sorted(i["id"] for i in probe_items(items, few)[0]) == sorted(few)


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


def test_a_run_does_not_resume_on_data_that_changed_while_it_was_stopped(tmp_path):
    """Files added to its dataset since it stopped: resumed, it would train on them while
    its record says otherwise. It is refused, saying what changed and what to do."""
    from ssl_studio.core.jobs import create_project

    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=24)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    stop = StopToken()

    def stop_after_two(event):
        if isinstance(event, Step) and event.step == 2:
            stop.stop()

    first = pretrain(config(project, steps=6), report=stop_after_two, stop=stop)
    assert first["status"] == "stopped"
    more = tmp_path / "more"
    more.mkdir()
    for i in range(4):
        Image.fromarray(np.full((32, 32), 40 * i, np.uint8)).save(more / f"m{i}.png")
    import_data(ImportConfig(project=project, paths=[more], name="shapes", add=True, workers=1))
    resume = PretrainConfig(project=project, resume_run=first["run_id"])
    with pytest.raises(ConfigError) as told:
        pretrain(resume)
    text = str(told.value)
    assert "began on 24 items of dataset 'shapes', which now holds 28 usable items (+4)" in text
    assert "Start a new run" in text and "fine-tuned from" in text
    with Store.open(project) as store:
        run = store.run(first["run_id"])
        assert run["status"] == "stopped" and run["fingerprint"]["items"] == 24


def test_a_run_begun_before_content_hashes_resumes_after_files_are_only_read_again(
    tmp_path, monkeypatch
):
    """A run of an older version has a fingerprint of item ids and cache slots; files
    touched and imported again keep their items but move their slots. Resumed with a
    warning that the data cannot be verified; items added since are still refused."""
    import itertools
    import os
    import sqlite3
    from datetime import UTC, datetime, timedelta

    from ssl_studio.core.data_fingerprint import fingerprint
    from ssl_studio.core.events import Message
    from ssl_studio.core.jobs import create_project

    # times are recorded to the second: a clock that moves on at each reading puts the run
    # after the import without waiting for the next second
    ticks, start = itertools.count(1), datetime(2026, 1, 1, tzinfo=UTC)
    for module in ("runs", "imports", "datasets", "import_report", "walk_errors"):
        monkeypatch.setattr(
            f"ssl_studio.core.project.store.{module}.now",
            lambda: (start + timedelta(seconds=next(ticks))).isoformat(timespec="seconds"),
        )
    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=24)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    stop = StopToken()

    def stop_at(step):
        def report(event):
            events.append(event)
            if isinstance(event, Step) and event.step == step:
                stop.stop()

        return report

    events: list = []
    first = pretrain(config(project, steps=8), report=stop_at(2), stop=stop)
    with Store.open(project) as store:
        items = store.items(1)
    older = fingerprint([{**i, "content_hash": None} for i in items])
    older.pop("content")  # as versions before content hashes wrote it
    conn = sqlite3.connect(project / "project.db")
    conn.execute("UPDATE runs SET fingerprint = ? WHERE id = ?", (json.dumps(older), 1))
    conn.commit()
    conn.close()
    later = time.time() + 5
    for path in (tmp_path / "shapes").iterdir():  # touched: the same pixels
        os.utime(path, (later, later))
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    with Store.open(project) as store:
        moved = store.items(1)
    assert [i["id"] for i in moved] == [i["id"] for i in items]
    assert [i["cache_index"] for i in moved] != [i["cache_index"] for i in items]
    events.clear()
    stop = StopToken()
    resume = PretrainConfig(project=project, resume_run=first["run_id"])
    again = pretrain(resume, report=stop_at(4), stop=stop)
    assert again["status"] == "stopped"
    [note] = [e.text for e in events if isinstance(e, Message) and "verified" in e.text]
    assert "the same 24 items" in note
    more = tmp_path / "more"
    more.mkdir()
    Image.fromarray(np.full((32, 32), 40, np.uint8)).save(more / "m.png")
    import_data(ImportConfig(project=project, paths=[more], name="shapes", add=True, workers=1))
    with pytest.raises(ConfigError, match="now holds 25 usable items"):
        pretrain(PretrainConfig(project=project, resume_run=first["run_id"]))


def test_resume_is_refused_when_items_changed_or_changed_places():
    """Items swapped between files keep the set of data (its fingerprint) but not the
    order training reads them in: a resumed run would not continue as it began."""
    from ssl_studio.core.data_fingerprint import fingerprint, refuse_changed_data

    items = [
        {"id": n, "cache_file": "f", "cache_index": n, "modality": "PNG", "content_hash": h}
        for n, h in enumerate(["aa", "bb", "cc"], start=1)
    ]
    run, dataset = {"id": 3, "fingerprint": fingerprint(items)}, {"name": "d"}
    refuse_changed_data(run, dataset, items)  # the same: resumed
    swapped = [{**i, "content_hash": h} for i, h in zip(items, ["bb", "aa", "cc"], strict=True)]
    assert fingerprint(swapped)["sha256"] == run["fingerprint"]["sha256"]
    with pytest.raises(ConfigError, match="the same 3 items, but some changed places"):
        refuse_changed_data(run, dataset, swapped)
    changed = [*items[:2], {**items[2], "content_hash": "dd"}]
    with pytest.raises(ConfigError, match="still holds 3 items, but some of them changed"):
        refuse_changed_data(run, dataset, changed)
    older = {k: v for k, v in run["fingerprint"].items() if k != "order_sha256"}
    refuse_changed_data({**run, "fingerprint": older}, dataset, swapped)  # (not recorded)


def test_too_few_items_are_refused_before_a_run_is_made_by_every_process_alike(tmp_path):
    """A refusal every process reads from the same project (under torchrun it is said
    once, by the first process: see tests/test_torchrun_failures.py)."""
    from ssl_studio.core.jobs import create_project

    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes", n=5)
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32))
    with pytest.raises(ConfigError, match="has 5 images; pretraining needs at least 8") as said:
        pretrain(config(project, steps=2))
    assert getattr(said.value, "every_process", False)
    with Store.open(project) as store:
        assert store.runs() == []
