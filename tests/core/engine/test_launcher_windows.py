"""A rank whose torchrun was killed stops at its next step, on Windows too (simulated):
POSIX reparents such a rank, which is how it noticed; Windows never does (os.getppid keeps
the dead torchrun's id), so there the rank waits on a handle of torchrun's process."""

from __future__ import annotations

import sys
import types

import pytest
import torch

from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.distributed import World


class _FakeWinapi(types.ModuleType):
    """The calls of CPython's _winapi that distributed.py makes, on a fake process."""

    SYNCHRONIZE = 0x00100000
    WAIT_OBJECT_0 = 0
    WAIT_TIMEOUT = 258

    def __init__(self) -> None:
        super().__init__("_winapi")
        self.opened: list[int] = []
        self.closed: list[int] = []
        self.exited = False

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # noqa: N802
        assert access & self.SYNCHRONIZE and not inherit
        self.opened.append(pid)
        return 1234

    def WaitForSingleObject(self, handle: int, milliseconds: int) -> int:  # noqa: N802
        assert handle == 1234 and milliseconds == 0  # (never blocks a training step)
        return self.WAIT_OBJECT_0 if self.exited else self.WAIT_TIMEOUT

    def CloseHandle(self, handle: int) -> None:  # noqa: N802
        self.closed.append(handle)


@pytest.fixture
def windows_rank(monkeypatch):
    """This process as a rank torchrun started on Windows, joined (no real group)."""
    winapi = _FakeWinapi()
    monkeypatch.setitem(sys.modules, "_winapi", winapi)
    monkeypatch.setattr(distributed, "sys", types.SimpleNamespace(platform="win32"), raising=False)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: None)
    monkeypatch.setattr(distributed.os, "getppid", lambda: 4321)  # (Windows: never changes)
    try:
        distributed.init(World(rank=1, size=2), torch.device("cpu"))
        yield winapi
    finally:
        distributed.shutdown()


def test_a_windows_rank_sees_its_killed_torchrun_gone(windows_rank):
    assert not distributed.launcher_gone()
    windows_rank.exited = True  # torchrun killed from the Task Manager
    assert distributed.launcher_gone()
    assert windows_rank.opened == [4321]  # torchrun: its parent as it joined


def test_the_handle_is_closed_when_the_rank_leaves_the_group(windows_rank):
    distributed.shutdown()
    assert windows_rank.closed == [1234]
    assert not distributed.launcher_gone()


def test_a_rank_whose_torchrun_cannot_be_opened_goes_on_without_the_watch(monkeypatch):
    winapi = _FakeWinapi()

    def refused(access: int, inherit: bool, pid: int) -> int:
        raise PermissionError(5, "Access is denied")

    winapi.OpenProcess = refused  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "_winapi", winapi)
    monkeypatch.setattr(distributed, "sys", types.SimpleNamespace(platform="win32"), raising=False)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: None)
    try:
        distributed.init(World(rank=1, size=2), torch.device("cpu"))
        assert not distributed.launcher_gone()
    finally:
        distributed.shutdown()
