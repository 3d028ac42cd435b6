""".write.lock deleted or replaced while a job holds it (someone took the holder's line,
left after a crash, for a stale lock): the lock is on the file, so a second writer gets
in; the first must notice before it commits again and stop, never write beside it. The
file says not to delete it; a project on a network drive says why a lock may outlive a
crashed computer there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project import lock
from ssl_studio.core.project.file_system import RemoteMount
from ssl_studio.core.project.lock import NOTE, WriteLock, WriteLockLostError
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows cannot delete a file that is open"
)


def _write(store: Store, value: str) -> None:
    with store.transaction():
        store._set_meta("test", value)


def _run_status(project: Path, run_id: int) -> str:
    with Store.open(project) as store:
        return store.run(run_id)["status"]


def test_a_job_whose_lock_file_was_deleted_stops_before_its_next_commit(project: Path):
    first = Store.open(project, write=True, purpose="ssl-studio pretrain")
    try:
        run_id = first.create_run(None, "pretrain", {"task": "simclr"})
        (project / ".write.lock").unlink()  # "pid 9769 ... since ...": looks stale
        with Store.open(project, write=True) as second:  # (gets in: a new file)
            assert second.mark_interrupted_runs() == 1
        with pytest.raises(WriteLockLostError) as caught:
            first.finish_run(run_id, "done", {"steps": 40})
        assert "Never delete .write.lock" in str(caught.value)
        assert "another SSL Studio process may be changing it" in str(caught.value)
        first.fail_run(run_id, caught.value)  # (as a job's handler does: nothing written)
    finally:
        first.close()
    assert _run_status(project, run_id) == "interrupted"  # never "done" by the first


def test_a_lock_file_replaced_by_another_is_noticed_too(project: Path):
    with Store.open(project, write=True) as store:
        _write(store, "before")
        other = project / "other.lock"
        other.write_text("")
        os.replace(other, project / ".write.lock")
        with pytest.raises(WriteLockLostError):
            _write(store, "after")
    with Store.open(project) as store:
        assert store.meta("test") == "before"  # (rolled back)


def test_a_lock_file_replaced_as_it_is_taken_is_taken_again(tmp_path: Path, monkeypatch):
    """Between opening the file and locking it, another process deleted it (or renamed
    another over it): the lock then held is on no file at the path; take the one there."""
    path = tmp_path / ".write.lock"
    real = lock._try_lock
    calls = []

    def replaced_first(fd: int) -> bool:
        calls.append(fd)
        if len(calls) == 1:
            path.unlink()
            path.write_text("")
        return real(fd)

    monkeypatch.setattr(lock, "_try_lock", replaced_first)
    held = WriteLock(path, "test")
    held.acquire()
    try:
        assert len(calls) == 2
        monkeypatch.setattr(lock, "_try_lock", real)
        with pytest.raises(ProjectLockedError):
            WriteLock(path, "second").acquire()
    finally:
        held.release()


def test_the_lock_file_says_not_to_delete_it_and_the_refusal_names_the_holder_only(
    project: Path, other_writer
):
    path = project / ".write.lock"
    with WriteLock(path, "ssl-studio pretrain"):
        holder, note = path.read_text().splitlines()
        assert holder.startswith(f"pid {os.getpid()} on ") and note == NOTE
        assert "Do not delete it" in NOTE and "stays after a crash" in NOTE
    assert path.read_text().splitlines() == [NOTE]  # (no holder's line once let go)
    proc = other_writer(project, "ssl-studio import")
    with pytest.raises(ProjectLockedError) as caught:
        Store.open(project, write=True)
    text = str(caught.value)
    assert f"(pid {proc.pid} on " in text and "ssl-studio import, since " in text
    assert "Do not delete" not in text


def test_a_lock_file_that_went_with_its_project_folder_still_holds(project: Path, tmp_path: Path):
    """The folder moved or renamed whole (the job then meets the move where it uses paths,
    and says so): its lock file went with it and still keeps others out, so what the job
    records meanwhile (how its run ended) is written; one deleted there is lost still."""
    moved = tmp_path / "renamed"
    with Store.open(project, write=True) as store:
        project.rename(moved)
        _write(store, "after the move")
        with pytest.raises(ProjectLockedError):
            Store.open(moved, write=True)
        (moved / ".write.lock").unlink()
        with pytest.raises(WriteLockLostError):
            _write(store, "lost")
    with Store.open(moved) as store:
        assert store.meta("test") == "after the move"


def test_a_refusal_on_a_network_drive_says_a_lock_may_outlive_a_crashed_computer(
    project: Path, other_writer, monkeypatch
):
    other_writer(project, "ssl-studio pretrain")
    with pytest.raises(ProjectLockedError) as caught:
        Store.open(project, write=True)
    assert "network drive" not in str(caught.value)
    monkeypatch.setattr(lock, "remote_file_system", lambda folder: RemoteMount("nfs4"))
    with pytest.raises(ProjectLockedError) as caught:
        Store.open(project, write=True)
    text = str(caught.value)
    assert "on a network drive (nfs4)" in text and "keeps its lock until it notices" in text
    assert "NFSv3 until that computer starts again" in text
