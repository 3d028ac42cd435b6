"""Fine-tuning's run creation failing once the row is made (config.json or the split
file cannot be written: a full disk, permissions): the run ends "failed", never left
"running", the error reaches the user, and under torchrun the other ranks are told at
once (rather than waiting for rank 0's run id in a collective)."""

from __future__ import annotations

import errno
import shutil

import pytest
from finetune_projects import quick_train

import ssl_studio.core.finetune.job as job
from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.distributed import PeerCouldNotStart, World
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import finetune
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


@pytest.mark.parametrize("file", ["config.json", "split.json"])
def test_a_run_whose_files_cannot_be_written_ends_failed(
    image_project, tmp_path, monkeypatch, file
):
    project, run = image_project
    project = shutil.copytree(project, tmp_path / "project")
    labels_from_folders(project, "shapes")
    real = job.write_json_atomically

    def full_disk(path, *args, **kwargs):
        if path.name == file:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(job, "write_json_atomically", full_disk)
    cfg = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="linear", baseline=False,
        n_boot=20, train=quick_train(steps=2),
    )  # fmt: skip
    with pytest.raises(Exception) as raised:
        finetune(cfg)
    assert "space" in str(raised.value).lower(), raised.value
    with Store.open(project) as store:
        runs = [r for r in store.runs() if r["kind"] == "finetune"]
    assert [r["status"] for r in runs] == ["failed"]
    assert "space" in runs[0]["error"].lower()


def test_the_other_ranks_stop_at_once_when_rank_0_cannot_make_the_run(monkeypatch):
    told = []

    def broadcast(value, world):  # (what rank 0 broadcasts, on every rank)
        told.append(value)
        return None

    monkeypatch.setattr(distributed, "broadcast", broadcast)

    def failing():
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):  # rank 0: its own error, after telling the others
        distributed.opened_by_main(failing, World(0, 2))
    assert told == [None]
    with pytest.raises(PeerCouldNotStart, match="Process 0 of this job could not start"):
        distributed.opened_by_main(failing, World(1, 2))
    monkeypatch.setattr(distributed, "broadcast", lambda value, world: 7)
    assert distributed.opened_by_main(lambda: 7, World(0, 2)) == 7
    assert distributed.opened_by_main(failing, World(1, 2)) == 7  # (not called there)
