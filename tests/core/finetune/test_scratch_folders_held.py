"""Scratch folders whose checkpoints another program holds open (on Windows an antivirus
scan or the search indexer, just after they were written), simulated on Linux by a
deletion that fails as Windows's does. Deleting the scratch folder of a cross-validation
fold or of a label-efficiency point then raised PermissionError, and the job, its
training all done, ended as an unexpected error. Now the folder is left, and the next job
that writes to the project deletes it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from finetune_projects import folder_labels_config

from ssl_studio.core.jobs import finetune, label_efficiency
from ssl_studio.core.project.deleting import delete_leftovers
from ssl_studio.core.project.scratch import SCRATCH_PREFIX
from ssl_studio.core.project.store import Store

# (what Windows says, WinError 32)
IN_USE = "The process cannot access the file because it is being used by another process"
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the folder of a dir_fd in /proc"
)


def _in_scratch(project: Path, path: str) -> bool:
    """Whether ``path`` lies in a folder a job made for the time being in a run folder
    (runs/<id>/<folder>/..., not the run's own checkpoints/)."""
    try:
        parts = Path(path).relative_to(project / "runs").parts
    except ValueError:
        return False
    return len(parts) >= 3 and parts[1] != "checkpoints"


@pytest.fixture
def held_checkpoints(monkeypatch):
    """Files in the runs' scratch folders cannot be deleted, as on Windows while another
    program has them open (PermissionError); returns a switch that lets go of them."""
    real_unlink = os.unlink
    holding = {"project": None}

    def unlink(path, *, dir_fd=None):
        # (shutil.rmtree names a file relative to an open folder, dir_fd)
        folder = os.readlink(f"/proc/self/fd/{dir_fd}") if dir_fd is not None else ""
        full = os.path.join(folder, os.fsdecode(path))
        if holding["project"] and _in_scratch(holding["project"], full):
            raise PermissionError(13, IN_USE, full)
        return real_unlink(path, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", unlink)
    return holding


def _scratch(project: Path) -> list[Path]:
    """The folders in run folders but the runs' own checkpoints/."""
    found = (project / "runs").glob("*/*")
    return sorted(p for p in found if p.is_dir() and p.name != "checkpoints")


def test_a_fold_whose_checkpoints_are_held_open_still_finishes(image_project, held_checkpoints):
    project, run = image_project
    # cross-validation (2 folds), each fold's model trained (protocol full: checkpoints)
    cfg = folder_labels_config(project, run, protocol="full", folds=2, n_boot=5)
    held_checkpoints["project"] = project
    result = finetune(cfg)
    assert result["status"] == "done" and result["evaluation"].startswith("2-fold")
    left = _scratch(project)
    assert left and all(p.parent.name == str(result["run_id"]) for p in left)
    assert all(any(f.is_file() for f in p.rglob("*")) for p in left)  # (held, so kept)

    held_checkpoints["project"] = None  # let go: the next job deletes them
    label_efficiency(folder_labels_config(project, run), ks=(2,), seeds=(0,))
    assert _scratch(project) == []


def test_a_curve_point_whose_checkpoints_are_held_open_still_finishes(
    image_project, held_checkpoints
):
    project, run = image_project
    held_checkpoints["project"] = project
    curve = label_efficiency(folder_labels_config(project, run), ks=(2,), seeds=(0,))
    assert curve["status"] == "done" and len(curve["curve"]) == 1
    left = _scratch(project)
    assert left and all(p.parent.name == str(curve["run_id"]) for p in left)

    held_checkpoints["project"] = None  # let go: the next job deletes them
    finetune(folder_labels_config(project, run))
    assert _scratch(project) == []


def test_an_import_deletes_scratch_folders_left_behind(project):
    with Store.open(project, write=True) as store:
        run_folder = store.paths.runs / "7"  # (whichever run: only the folder counts)
        left = run_folder / f"{SCRATCH_PREFIX}abc" / "checkpoints"
        left.mkdir(parents=True)
        (left / "step-0000002.pt").write_bytes(b"held open when the job ended")
        (run_folder / "checkpoints").mkdir()  # (the run's own: kept)
        assert delete_leftovers(store) == []
        assert [p.name for p in run_folder.iterdir()] == ["checkpoints"]


def test_scratch_folders_earlier_versions_named_tmp_are_deleted_too(project):
    """Before scratch-, tempfile.TemporaryDirectory named them tmpXXXXXXXX; a job killed
    in a fold left one. Only folders named exactly so go."""
    with Store.open(project, write=True) as store:
        run_folder = store.paths.runs / "7"
        left = run_folder / "tmpk3x_9q2a" / "checkpoints"
        left.mkdir(parents=True)
        (left / "step-0000002.pt").write_bytes(b"left by a killed fold")
        (run_folder / "tmp-notes").mkdir()  # (not tempfile's name: someone's)
        (run_folder / "tmpabcdefgh.json").write_text("{}")  # (a file: never swept)
        (run_folder / "checkpoints").mkdir()
        assert delete_leftovers(store) == []
        kept = sorted(p.name for p in run_folder.iterdir())
        assert kept == ["checkpoints", "tmp-notes", "tmpabcdefgh.json"]
