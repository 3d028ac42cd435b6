"""Pretraining and the data it reads: a deleted cache, an unfinished import, data changed
since a run stopped or of an older fingerprint, too few items; the augmentation and the
health probe drawn from the dataset."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pretrain_shapes import config, shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Step, StopToken
from ssl_studio.core.jobs import import_data, pretrain
from ssl_studio.core.pretrain_setup import PROBE_ITEMS, probe_items
from ssl_studio.core.project.store import Store


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
