"""The write lock on file systems that cannot lock files (Lustre without flock, some FUSE
mounts): a clear error, never "being changed by another SSL Studio process"."""

from __future__ import annotations

import errno
import sys

import pytest

from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project import lock
from ssl_studio.core.project.lock import LocksUnsupportedError, WriteLock, writer_present

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock: Linux and macOS")


def _flock_fails(code: int):
    def flock(fd: int, operation: int) -> None:
        raise OSError(code, "simulated")

    return flock


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK])
def test_a_file_system_without_locks_is_said_to_be_one(tmp_path, monkeypatch, code):
    monkeypatch.setattr(lock.fcntl, "flock", _flock_fails(code))
    with pytest.raises(LocksUnsupportedError, match="does not support file locks") as caught:
        WriteLock(tmp_path / ".write.lock").acquire()
    assert not isinstance(caught.value, ProjectLockedError)
    assert "local or lock-capable file system" in str(caught.value)
    # whether a writer is there cannot be told (nor can any have written the project)
    assert writer_present(tmp_path / ".write.lock") is None


@pytest.mark.parametrize("code", [errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES])
def test_a_lock_held_elsewhere_is_still_busy(tmp_path, monkeypatch, code):
    (tmp_path / ".write.lock").write_text("pid 1, ssl-studio import, since today")
    monkeypatch.setattr(lock.fcntl, "flock", _flock_fails(code))
    with pytest.raises(ProjectLockedError, match="another SSL Studio process"):
        WriteLock(tmp_path / ".write.lock").acquire()
    assert writer_present(tmp_path / ".write.lock") is True


def test_a_project_on_such_a_file_system_opens_read_only(tmp_path, monkeypatch):
    """The window opens a project it cannot write read-only (ProjectReadOnlyError), with
    the reason; one it cannot lock is one of those (it raised out of opening it)."""
    from ssl_studio.core.errors import ProjectReadOnlyError
    from ssl_studio.core.jobs import create_project, recover_interrupted

    project = create_project(tmp_path / "p")
    monkeypatch.setattr(lock.fcntl, "flock", _flock_fails(errno.ENOLCK))
    with pytest.raises(ProjectReadOnlyError, match="does not support file locks"):
        recover_interrupted(project)
