"""Waiting for a busy project (the command line's --wait): the write lock is taken as
soon as the other process lets go, within a time limit, and never while asked to stop."""

from __future__ import annotations

import threading

import pytest

from ssl_studio.core.errors import ProjectLockedError
from ssl_studio.core.project import lock
from ssl_studio.core.project.lock import LockWait, waiting_for_writers
from ssl_studio.core.project.store import Store


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setattr(lock, "POLL_SECONDS", 0.05)


def _let_go_later(proc, seconds: float) -> threading.Timer:
    def let_go() -> None:
        proc.stdin.write("go\n")
        proc.stdin.flush()

    timer = threading.Timer(seconds, let_go)
    timer.start()
    return timer


def test_a_waiting_writer_gets_the_project_once_the_other_lets_go(project, other_writer):
    other = other_writer(project, "ssl-studio pretrain")
    said: list[str] = []
    timer = _let_go_later(other, 0.5)
    with waiting_for_writers(LockWait(None, lambda: False, said.append)):
        with Store.open(project, write=True, purpose="queued finetune") as store:
            assert other.poll() is not None or other.wait(timeout=10) == 0  # it had let go
            assert store.paths.root == project
    timer.join()
    assert len(said) == 1  # told once, naming whom it waits for
    assert "ssl-studio pretrain" in said[0] and "waiting for it to finish" in said[0]
    assert "at most" not in said[0]


def test_the_wait_ends_at_its_limit_with_the_busy_error(project, other_writer):
    other_writer(project, "ssl-studio import")
    said: list[str] = []
    with waiting_for_writers(LockWait(0.3, lambda: False, said.append)):
        with pytest.raises(ProjectLockedError, match=r"ssl-studio import.*\(waited 0.3 s\)"):
            Store.open(project, write=True)
    assert "(at most 0.3 s)" in said[0]
    # the failed wait kept no lock: the next writer is refused by the other process only
    with pytest.raises(ProjectLockedError, match="another SSL Studio process"):
        Store.open(project, write=True)


def test_a_stop_ends_the_wait(project, other_writer):
    other_writer(project, "ssl-studio import")
    asks = iter([False, False, True])
    with waiting_for_writers(LockWait(None, lambda: next(asks), lambda text: None)):
        with pytest.raises(ProjectLockedError, match="asked to stop while waiting"):
            Store.open(project, write=True)


def test_without_a_wait_a_busy_project_fails_at_once(project, other_writer, monkeypatch):
    other_writer(project, "ssl-studio import")
    monkeypatch.setattr(lock, "_waited_for", lambda *a: pytest.fail("waited without --wait"))
    with pytest.raises(ProjectLockedError, match="another SSL Studio process"):
        Store.open(project, write=True)
    with waiting_for_writers(None):
        with pytest.raises(ProjectLockedError):
            Store.open(project, write=True)


def test_a_lock_this_process_holds_is_never_waited_for(project, monkeypatch):
    """A second writer in this very process (the window's own job) would wait forever."""
    monkeypatch.setattr(lock, "_waited_for", lambda *a: pytest.fail("waited for itself"))
    with Store.open(project, write=True, purpose="the window's import"):
        with waiting_for_writers(LockWait(None, lambda: False, lambda text: None)):
            with pytest.raises(ProjectLockedError, match="A job of this window"):
                Store.open(project, write=True)


def test_after_a_wait_the_next_writer_is_told_who_holds_the_project(project, other_writer):
    """The waiting process read the holder's line, which moved the file's position: its
    own line went in after as many NUL bytes, and a third writer was told of nobody."""
    import subprocess
    import sys

    other = other_writer(project, "ssl-studio pretrain")
    timer = _let_go_later(other, 0.3)
    with waiting_for_writers(LockWait(None, lambda: False, lambda text: None)):
        with Store.open(project, write=True, purpose="queued finetune"):
            timer.join()
            third = subprocess.run(
                [sys.executable, "-c", "from ssl_studio.core.project.store import Store\n"
                 f"Store.open({str(project)!r}, write=True)"],
                capture_output=True, text=True,
            )  # fmt: skip
            held = (project / ".write.lock").read_bytes()
    assert b"\x00" not in held and held.startswith(b"pid ")
    assert "queued finetune" in third.stderr and "\\x00" not in third.stderr
