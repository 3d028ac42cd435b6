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


# rank 0 cannot write the run's split file (its disk is full); each rank writes down
# how its ssl-studio ended
FULL_DISK = """
import errno, os, sys
from pathlib import Path
import ssl_studio.core.finetune.job as job
original = job.write_json_atomically
def full_disk(path, *args, **kwargs):
    if os.environ["RANK"] == "0" and path.name == "split.json":
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    return original(path, *args, **kwargs)
job.write_json_atomically = full_disk
from ssl_studio.cli import main
code = main(sys.argv[1:])
Path(os.environ["ENDED"], os.environ["RANK"]).write_text(str(code))
sys.exit(code)
"""


def test_under_torchrun_the_run_fails_and_the_other_rank_is_told(image_project, tmp_path):
    """Two nodes (two torchrun launchers here, so that neither ends the other's process).
    Before: rank 1 waited for the run id in broadcast_object_list (with NCCL up to the
    training timeout, 30 minutes) and the run stayed "running"."""
    import os
    import subprocess
    import sys
    import time

    from torchrun_projects import free_port

    project, run = image_project
    project = shutil.copytree(project, tmp_path / "project")
    labels_from_folders(project, "shapes", name="ddp-disk")
    script = tmp_path / "full_disk.py"
    script.write_text(FULL_DISK)
    ended = tmp_path / "ended"
    ended.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SSL_STUDIO_JOIN_TIMEOUT_S": "60"}
    port = free_port()
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
             "--nproc_per_node", "1", "--node_rank", str(rank), "--rdzv-backend", "c10d",
             "--rdzv-endpoint", f"localhost:{port}", "--rdzv-id", "finetune-disk",
             str(script), "finetune", str(project), "--pretrain-run", str(run),
             "--labels", "ddp-disk", "--protocol", "full", "--steps", "3",
             "--batch-size", "4", "--no-baseline", "--device", "cpu"],
            env={**env, "ENDED": str(ended)}, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )
        for rank in (0, 1)
    ]  # fmt: skip
    start = time.monotonic()
    try:
        out = [node.communicate(timeout=120)[0] for node in nodes]
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
    assert time.monotonic() - start < 60
    both = "\n".join(out)  # (c10d gives the ranks in the order the nodes join)
    assert (ended / "0").read_text() == "1", both[-3000:]  # (its own error, said)
    assert (ended / "1").read_text() == "1", both[-3000:]  # PeerCouldNotStart: rank 0
    said = [line for line in both.splitlines() if line.startswith("ssl-studio:")]
    assert len(said) == 1 and "disk is full" in said[0], both[-3000:]  # once for all
    with Store.open(project) as store:
        made = [r for r in store.runs() if (r["config"] or {}).get("labels") == "ddp-disk"]
    assert [r["status"] for r in made] == ["failed"], made
