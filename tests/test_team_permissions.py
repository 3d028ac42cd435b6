"""A project shared by a team (README "Sharing a project within a team") with a member
whose umask is 022: what they make, the others may read but not change or delete.

- Removing such a run said "Removed run 2: 36 MB freed." and then that runs/2 could not be
  deleted: it says what was really freed, whose the folder is and the chmod that helps.
- Erasing told "close the programs that use the project" for a file the group may not
  write; it names the owner and the chmod, and refuses before anything changes when a run
  folder to delete cannot be deleted (as for the cache).

File permissions are real in the children (privilege_drop); only root can give a folder
to another user, as the colleague's umask would have left it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from privilege_drop import run_child

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
needs_root = pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() != 0,
    reason="only root can give a folder to another user",
)
BOB = 4242  # (a colleague with no account on this computer: named by number)


def made_by_bob(root: Path) -> None:
    """``root`` and all in it as a colleague with umask 022 made it."""
    for path in [root, *root.rglob("*")]:
        os.chown(path, BOB, BOB)
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def used(tmp_path: Path) -> tuple[Path, Path]:
    """A project with dataset 'scans' (4 PNGs) and run 1 on it, with a 2 MB checkpoint."""
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(4):
        Image.fromarray(np.full((16, 16), i * 60, np.uint8)).save(folder / f"scan_{i}.png")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[folder], name="scans", workers=1))
    with Store.open(project, write=True) as store:
        run = store.create_run(1, "pretrain", {"task": "simclr"})
        store.finish_run(run, "done", {})
    (project / "runs" / "1" / "checkpoints").mkdir()
    (project / "runs" / "1" / "checkpoints" / "step-0000001.pt").write_bytes(bytes(2_000_000))
    return project, folder


def _child(tmp_path: Path, code: str) -> dict:
    return run_child(
        f"""
        import contextlib, io, json
        from pathlib import Path
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            result = None
            try:
        {code}
            except Exception as exc:
                result = f"{{type(exc).__name__}}: {{exc}}"
        print(json.dumps({{"out": out.getvalue(), "result": result}}))
        """,
        tmp_path,
    )


@needs_root
def test_removing_a_colleagues_run_says_what_was_freed_and_how_to_let_the_team_delete_it(
    used, tmp_path
):
    project, _ = used
    made_by_bob(project / "runs" / "1")
    said = _child(
        tmp_path,
        "        from ssl_studio.cli import main\n"
        f"                result = main(['remove', {str(project)!r}, '--run', '1', '--yes'])",
    )
    out = said["out"]
    assert said["result"] == 0
    assert "Removed run 1: only 0 bytes of 2.0 MB freed, as what follows" in out
    assert "runs/1 could not be deleted (Permission denied): runs/1 belongs to user 4242" in out
    assert f'can run: chmod -R g+rwX "{project}"' in out
    assert "no program uses it" not in out
    with Store.open(project) as store:
        assert store.runs() == []  # (gone from the project; its folder is a leftover)


@needs_root
def test_erasing_refuses_before_anything_changes_when_a_run_folder_cannot_be_deleted(
    used, tmp_path
):
    project, folder = used
    made_by_bob(project / "runs" / "1")
    said = _child(
        tmp_path,
        "        from ssl_studio.core.erasure import erase, plan_erasure\n"
        "                from ssl_studio.core.project.store import Store\n"
        f"                with Store.open(Path({str(project)!r})) as store:\n"
        f"                    plan = plan_erasure(store, 'scans', [{str(folder / 'scan_1.png')!r}],"
        " with_dependents=True)\n"
        f"                erase(Path({str(project)!r}), plan)",
    )
    text = said["result"]
    assert text.startswith("ConfigError: runs/1 cannot be deleted, so nothing was erased")
    assert "runs/1 belongs to user 4242" in text and "chmod -R g+rwX" in text
    with Store.open(project) as store:
        assert len(store.items(1)) == 4 and [r["id"] for r in store.runs()] == [1]


@needs_root
def test_a_cache_file_the_group_may_not_write_names_its_owner_not_programs(used, tmp_path):
    project, folder = used
    for shard in (project / "cache" / "dataset-1").iterdir():
        os.chown(shard, BOB, BOB)
        shard.chmod(0o644)
    said = _child(
        tmp_path,
        "        from ssl_studio.core.erasure import erase, plan_erasure\n"
        "                from ssl_studio.core.project.store import Store\n"
        f"                with Store.open(Path({str(project)!r})) as store:\n"
        f"                    plan = plan_erasure(store, 'scans', [{str(folder / 'scan_1.png')!r}],"
        " with_dependents=True)\n"
        f"                erase(Path({str(project)!r}), plan)",
    )
    text = said["result"]
    assert "cannot be overwritten, so nothing was erased" in text
    assert "belongs to user 4242 and its group may not change it" in text
    assert "chmod -R g+rwX" in text and "close the programs" not in text


def test_json_result_keeps_what_the_folders_held(used):
    from ssl_studio.core.project.removal import plan_run_removal, remove

    project, _ = used
    with Store.open(project) as store:
        plan = plan_run_removal(store, [1])
    result = remove(project, plan)
    assert result["freed_bytes"] == result["bytes_on_disk"] >= 2_000_000
    json.dumps(result)
