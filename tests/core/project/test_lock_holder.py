"""The write lock's holder line names the user and computer (a team's shared project is
written from several computers, where a process id alone says nothing), and its file is
created as the umask says, so a group-shared project (umask 002) can be written by each
member in turn."""

from __future__ import annotations

import getpass
import os
import socket
import stat
import sys
from pathlib import Path

import pytest

from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project import lock
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.store import Store

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="Windows ignores mode bits")


def test_the_message_names_the_holders_user_and_computer(project: Path, other_writer):
    proc = other_writer(project, "ssl-studio import")
    with pytest.raises(ProjectLockedError) as info:
        Store.open(project, write=True)
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    assert f"(pid {proc.pid} on {who}, ssl-studio import, since " in str(info.value)


def test_a_user_or_computer_that_cannot_be_found_is_named_unknown(monkeypatch):
    def no_user() -> str:
        raise OSError("No username set in the environment")

    def no_host() -> str:
        raise OSError("no host name")

    monkeypatch.setattr(lock.getpass, "getuser", no_user)
    monkeypatch.setattr(lock.socket, "gethostname", lambda: "ward\n7 ")
    lock.user_at_host.cache_clear()
    try:
        assert lock.user_at_host() == "unknown user@ward7"
        monkeypatch.setattr(lock.socket, "gethostname", no_host)
        lock.user_at_host.cache_clear()
        assert lock.user_at_host() == "unknown user@unknown computer"
    finally:
        lock.user_at_host.cache_clear()


def test_the_same_pid_on_another_computer_is_another_process(project: Path, other_writer):
    """A holder line with this process's id, written on another computer (or by an older
    version there), is not a job of this window."""
    other_writer(project, "ssl-studio import")
    (project / ".write.lock").write_text(f"pid {os.getpid()}, ssl-studio import, since today")
    with pytest.raises(ProjectLockedError) as info:
        Store.open(project, write=True)
    assert "being changed by another SSL Studio process" in str(info.value)


@posix_only
@pytest.mark.parametrize(("umask", "expected"), [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_the_lock_file_follows_the_umask(tmp_path: Path, umask: int, expected: int):
    old = os.umask(umask)
    try:
        with WriteLock(tmp_path / ".write.lock", "test"):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / ".write.lock").st_mode) == expected
