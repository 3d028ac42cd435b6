"""A run left "running" (its process killed) in a project opened where nobody may write
it (a read-only share, a copy on a DVD) read "running" for ever: whether a process writes
the project cannot be checked there. It reads "running, or cut off (cannot tell: the
project is read-only)"; the JSON's status stays "running" for scripts.

File permissions are real in the child (privilege_drop)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from privilege_drop import run_child
from test_read_only_project_notes import read_only

from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.info import UNSURE_RUNNING
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


def test_a_run_left_running_in_a_read_only_project_may_have_been_cut_off(tmp_path):
    project = create_project(tmp_path / "project")
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        store.create_run(dataset, "pretrain", {"task": "simclr"})  # (its process: killed)
    read_only(project)
    seen = run_child(
        f"""
        import contextlib, io, json
        from ssl_studio.cli import main
        from ssl_studio.core.project.info import project_info
        (run,) = project_info({str(project)!r})["runs"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["info", {str(project)!r}])
        print(json.dumps({{"run": run, "out": out.getvalue()}}))
        """,
        tmp_path,
    )
    assert seen["run"]["status"] == "running"  # (the key as before, for scripts)
    assert seen["run"]["status_text"] == UNSURE_RUNNING
    assert f"on 'scans': {UNSURE_RUNNING}" in seen["out"]
    assert UNSURE_RUNNING == "running, or cut off (cannot tell: the project is read-only)"


def test_elsewhere_the_status_text_is_the_status(project: Path):
    from ssl_studio.core.project.info import project_info

    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        run = store.create_run(dataset, "pretrain", {"task": "simclr"})
    (only,) = project_info(project)["runs"]
    assert only["id"] == run and only["status"] == only["status_text"] == "interrupted"
    assert os.path.exists(project / ".write.lock")
