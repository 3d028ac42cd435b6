"""Exports on a disk that fills up or refuses a write, and exports that were killed: a
message, never a crash of the process, and no half-written folder left behind."""

from __future__ import annotations

import errno
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
from finetune_projects import quick_train

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Message
from ssl_studio.core.export.work_folder import LOCK
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import DiskFullError


@pytest.fixture(scope="module")
def classifier_run(image_project):
    project, run = image_project
    labels_from_folders(project, "shapes")
    cfg = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="knn", n_boot=10,
        train=quick_train(steps=2),
    )  # fmt: skip
    return project, finetune(cfg)["run_id"]


# the export, with every file it writes limited to a few kilobytes (RLIMIT_FSIZE: what a
# full disk does to a writer, without root or a tiny mount)
CHILD = """
import resource, signal, sys
from ssl_studio.cli import main
from ssl_studio.core.export import writer

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
real = writer.export_classifier

def limited(*args, **kwargs):
    resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY))
    try:
        return real(*args, **kwargs)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)

writer.export_classifier = limited
code = main(sys.argv[1:])
import gc
gc.collect()  # torch's failed C++ file writer used to abort the process here
print("exit", code)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("fmt", ["torchscript", "safetensors"])
def test_a_failed_write_inside_torch_or_safetensors_is_a_message_not_a_crash(
    classifier_run, tmp_path, fmt
):
    project, run_id = classifier_run
    target = tmp_path / "model"
    argv = ["export", str(project), "--run", str(run_id), "--format", fmt, "--out", str(target)]
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), *argv],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]  # not aborted (134)
    assert done.stdout.strip().endswith("exit 1")
    assert "stopped: File too large" in done.stderr and "This is a bug" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # neither the export nor its work folder


def test_a_full_disk_is_the_disk_full_message_for_every_format(
    classifier_run, tmp_path, monkeypatch
):
    project, run_id = classifier_run
    real = pathlib.Path.write_bytes

    def full_for(name):
        def write_bytes(self, data):
            if self.name == name:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(self, data)

        return write_bytes

    for name, fmt in (("model.pt", "torchscript"), ("model.safetensors", "safetensors")):
        monkeypatch.setattr(pathlib.Path, "write_bytes", full_for(name))
        with pytest.raises(ConfigError, match="the disk is full. Free some space"):
            export(project, run_id, tmp_path / "model", (fmt,))
        assert list(tmp_path.iterdir()) == []
    with Store.open(project) as store:
        assert store.exports(run_id) == []


def test_the_work_folders_of_killed_exports_are_removed_by_the_next_one(classifier_run, tmp_path):
    project, run_id = classifier_run
    killed = tmp_path / ".model-k1ll3d00"  # a killed export: its lock is free
    killed.mkdir()
    (killed / LOCK).write_text("pid 1, ssl-studio export")
    (killed / "model.pt").write_bytes(b"half")
    running = tmp_path / ".model-runn1ng0"  # another export still writing
    running.mkdir()
    other = tmp_path / ".model-n0t0urs0"  # someone else's folder
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    said = []
    with WriteLock(running / LOCK, "ssl-studio export"):
        export(project, run_id, tmp_path / "model", ("safetensors",), report=said.append)
        assert running.is_dir()
    assert not killed.exists() and (other / "notes.txt").read_text() == "mine"
    texts = [e.text for e in said if isinstance(e, Message)]
    assert any("Removed 1 unfinished export folder" in t and killed.name in t for t in texts)
    assert LOCK not in {p.name for p in (tmp_path / "model").iterdir()}


def test_a_full_disk_while_predictions_are_written_says_so(classifier_run, tmp_path, monkeypatch):
    project, run_id = classifier_run
    export(project, run_id, tmp_path / "model", ("onnx",))
    image = next((project.parent / "shapes").rglob("*.png"))
    real = os.fdopen

    def full(fd, *args, **kwargs):
        file = real(fd, *args, **kwargs)

        class Full:
            def write(self, text):
                raise OSError(errno.ENOSPC, "No space left on device")

            def __getattr__(self, name):
                return getattr(file, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                file.close()

        return Full()

    (tmp_path / "out").mkdir()
    monkeypatch.setattr(os, "fdopen", full)
    with pytest.raises(DiskFullError, match="no table was written"):
        predict(tmp_path / "model", [image], tmp_path / "out" / "p.csv")
    monkeypatch.undo()
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize(("fmt", "name"), [("torchscript", "TorchScript"), ("onnx", "ONNX")])
def test_an_export_that_does_not_reproduce_the_model_is_refused_and_leaves_nothing(
    classifier_run, tmp_path, monkeypatch, fmt, name
):
    """The parity check: the written model, loaded back, must give PyTorch's probabilities
    (within 1e-4). Here every probability it gives is off by 1e-3."""
    import torch

    from ssl_studio.core.errors import SSLStudioError
    from ssl_studio.core.export import writer

    project, run_id = classifier_run
    if fmt == "onnx":
        run_onnx = writer._run_onnx
        monkeypatch.setattr(writer, "_run_onnx", lambda *a: run_onnx(*a) + 1e-3)
    else:
        load = torch.jit.load

        def off_by_a_little(*args, **kwargs):
            loaded = load(*args, **kwargs)
            return lambda *inputs: loaded(*inputs) + 1e-3

        monkeypatch.setattr(writer.torch.jit, "load", off_by_a_little)
    out = tmp_path / "exports" / "model"
    with Store.open(project) as store:
        recorded = store.exports(run_id)
    with pytest.raises(SSLStudioError, match=f"The {name} export does not reproduce") as told:
        export(project, run_id, out, (fmt,))
    assert "differs by 1.00e-03 (allowed 1e-04). Nothing was exported" in str(told.value)
    assert list((tmp_path / "exports").iterdir()) == []  # no export, no work folder
    with Store.open(project) as store:
        assert store.exports(run_id) == recorded  # none recorded either


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="names open files via /proc")
def test_an_export_and_a_prediction_table_are_on_the_disk_before_they_are_in_place(
    classifier_run, tmp_path, monkeypatch
):
    """After a power cut a finished-looking export must not hold empty files: each file
    and the folder are flushed before the rename, the parent after it (so is predict's
    table before it replaces an older one)."""
    project, run_id = classifier_run
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(pathlib.Path(os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "exports" / "model"
    out.parent.mkdir()
    export(project, run_id, out, ("onnx", "safetensors"))
    work = [p for p in synced if p.parent == out.parent and p.name.startswith(".model-")]
    assert len(work) == 1, synced  # the work folder, before its rename
    written = {p.name for p in out.iterdir()}
    assert written >= {"model.onnx", "model.safetensors", "model_card.json", "golden.npz"}
    assert written <= {p.name for p in synced if p.parent == work[0]}
    assert out.parent in synced[synced.index(work[0]) :]  # the rename, after it
    synced.clear()
    image = next((project.parent / "shapes").rglob("*.png"))
    predict(out, [image], tmp_path / "p.csv")
    assert [p.name[:13] for p in synced[:-1]] == [".predictions-"]
    assert synced[-1] == tmp_path
