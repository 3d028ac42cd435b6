"""A rank whose torchrun was killed stops at its next step, on Windows too (simulated):
POSIX reparents such a rank, which is how it noticed; Windows never does (os.getppid keeps
the dead torchrun's id), so there the rank waits on a handle of torchrun's process. In a
virtual environment the rank's parent is the venv's python.exe, a redirector that lives
as long as the rank: there torchrun is the redirector's parent, found in a (fake) Toolhelp
snapshot of the processes."""

from __future__ import annotations

import ctypes
import sys
import types
from collections.abc import Callable, Iterator

import pytest
import torch

from ssl_studio.core.engine import distributed, windows_processes
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
        self.exited: set[int] = set()  # the processes that have ended
        self.refused: set[int] = set()  # the processes OpenProcess may not open

    @staticmethod
    def handle_of(pid: int) -> int:
        return 1000 + pid

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # noqa: N802
        assert access & self.SYNCHRONIZE and not inherit
        if pid in self.refused:
            raise PermissionError(5, "Access is denied")
        self.opened.append(pid)
        return self.handle_of(pid)

    def WaitForSingleObject(self, handle: int, milliseconds: int) -> int:  # noqa: N802
        assert handle - 1000 in self.opened and milliseconds == 0  # (never blocks a step)
        return self.WAIT_OBJECT_0 if handle - 1000 in self.exited else self.WAIT_TIMEOUT

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
    windows_rank.exited.add(4321)  # torchrun killed from the Task Manager
    assert distributed.launcher_gone()
    assert windows_rank.opened == [4321]  # torchrun: its parent as it joined


def test_the_handle_is_closed_when_the_rank_leaves_the_group(windows_rank):
    distributed.shutdown()
    assert windows_rank.closed == [windows_rank.handle_of(4321)]
    assert not distributed.launcher_gone()


def test_a_rank_whose_torchrun_cannot_be_opened_goes_on_without_the_watch(monkeypatch):
    winapi = _FakeWinapi()
    winapi.refused.add(4321)
    monkeypatch.setattr(distributed.os, "getppid", lambda: 4321)
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


class _FakeKernel32:
    """The Toolhelp calls of windows_processes, over a table of fake processes."""

    SNAPSHOT = 77

    def __init__(self, processes: dict[int, tuple[int, str]]) -> None:
        self.processes = processes  # id: (its parent's id, its executable's file name)
        self.snapshot: int | None = self.SNAPSHOT  # what CreateToolhelp32Snapshot returns
        self.snapshot_fails: Exception | None = None
        self.taken = 0
        self.closed: list[int | None] = []
        self._left: list[int] = []

    def CreateToolhelp32Snapshot(self, flags: int, pid: int) -> int | None:  # noqa: N802
        assert flags == windows_processes.TH32CS_SNAPPROCESS and pid == 0
        if self.snapshot_fails is not None:
            raise self.snapshot_fails
        self.taken += 1
        return self.snapshot

    def Process32FirstW(self, snapshot: int, entry: ctypes._Pointer) -> int:  # noqa: N802
        self._left = list(self.processes)
        return self.Process32NextW(snapshot, entry)

    def Process32NextW(self, snapshot: int, entry: ctypes._Pointer) -> int:  # noqa: N802
        assert snapshot == self.SNAPSHOT
        # (Windows refuses a structure whose dwSize was not set: ERROR_BAD_LENGTH)
        assert entry.contents.dwSize == ctypes.sizeof(windows_processes.ProcessEntry)
        if not self._left:
            return 0  # (ERROR_NO_MORE_FILES)
        pid = self._left.pop(0)
        entry.contents.th32ProcessID = pid
        entry.contents.th32ParentProcessID, entry.contents.szExeFile = self.processes[pid]
        return 1

    def CloseHandle(self, handle: int | None) -> int:  # noqa: N802
        self.closed.append(handle)
        return 1


VENV_PYTHON = r"C:\Users\ana\ssl-studio\.venv\Scripts\python.exe"
BASE_PYTHON = r"C:\Users\ana\AppData\Local\Programs\Python\Python311\python.exe"
# `torchrun ...` in a venv: torchrun.exe starts the venv's python.exe (90), which starts
# the base interpreter running torchrun (100); it starts each rank as `sys.executable
# -m ssl_studio`: the venv's python.exe again (200), whose child is the rank (300)
VENV_CHAIN = {
    10: (4, "cmd.exe"),
    80: (10, "torchrun.exe"),
    90: (80, "python.exe"),
    100: (90, "python.exe"),
    200: (100, "python.exe"),
    300: (200, "python.exe"),
}


@pytest.fixture
def join_on_windows(monkeypatch) -> Iterator[Callable[..., _FakeWinapi]]:
    """Joins this process to a (no real) group as a Windows rank whose parent is
    ``parent``, with sys.executable ``executable`` and sys._base_executable ``base``;
    ``kernel32``: what loads the fake the Toolhelp lookup gets; ``refused``: the
    processes OpenProcess may not open."""

    def join(
        parent: int,
        executable: str,
        base: str,
        kernel32: Callable[[], _FakeKernel32],
        refused: tuple[int, ...] = (),
    ) -> _FakeWinapi:
        winapi = _FakeWinapi()
        winapi.refused.update(refused)
        monkeypatch.setitem(sys.modules, "_winapi", winapi)
        fake_sys = types.SimpleNamespace(
            platform="win32", executable=executable, _base_executable=base
        )
        monkeypatch.setattr(distributed, "sys", fake_sys, raising=False)
        monkeypatch.setattr(windows_processes, "_kernel32", kernel32)
        monkeypatch.setenv("TORCHELASTIC_RUN_ID", "none")
        monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
        monkeypatch.setattr(distributed.dist, "init_process_group", lambda *a, **k: None)
        monkeypatch.setattr(distributed.os, "getppid", lambda: parent)
        distributed.init(World(rank=1, size=2), torch.device("cpu"))
        return winapi

    try:
        yield join
    finally:
        distributed.shutdown()


def test_a_venv_rank_watches_torchrun_past_the_venvs_python_exe(join_on_windows):
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))
    winapi = join_on_windows(200, VENV_PYTHON, BASE_PYTHON, lambda: kernel32)
    assert winapi.opened == [100]  # torchrun, not the redirector that outlives it
    assert kernel32.closed == [_FakeKernel32.SNAPSHOT]  # (the snapshot is let go)
    assert not distributed.launcher_gone()
    winapi.exited.add(100)  # torchrun killed from the Task Manager; python.exe 200 stays
    assert distributed.launcher_gone()
    distributed.shutdown()
    assert winapi.closed == [winapi.handle_of(100)]


def test_without_a_venv_a_rank_watches_its_own_parent(join_on_windows):
    kernel32 = _FakeKernel32({100: (80, "python.exe"), 300: (100, "python.exe")})
    winapi = join_on_windows(100, BASE_PYTHON, BASE_PYTHON, lambda: kernel32)
    assert winapi.opened == [100]
    assert kernel32.taken == 0  # (no redirector to look past: no snapshot either)
    winapi.exited.add(100)
    assert distributed.launcher_gone()


def _snapshot_invalid() -> _FakeKernel32:
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))
    kernel32.snapshot = windows_processes.INVALID_HANDLE_VALUE
    return kernel32


def _snapshot_raises() -> _FakeKernel32:
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))
    kernel32.snapshot_fails = OSError(5, "Access is denied")
    return kernel32


def _no_kernel32() -> _FakeKernel32:
    raise AttributeError("module 'ctypes' has no attribute 'WinDLL'")  # (not Windows)


@pytest.mark.parametrize("kernel32", [_snapshot_invalid, _snapshot_raises, _no_kernel32])
def test_a_failed_process_lookup_falls_back_to_the_direct_parent(join_on_windows, kernel32):
    winapi = join_on_windows(200, VENV_PYTHON, BASE_PYTHON, kernel32)
    assert winapi.opened == [200]  # as before the lookup existed; training goes on
    assert not distributed.launcher_gone()


def test_a_parent_other_than_the_venvs_python_exe_is_watched_itself(join_on_windows):
    processes = {100: (80, "torchrun-wrapper.exe"), 300: (100, "python.exe")}
    winapi = join_on_windows(100, VENV_PYTHON, BASE_PYTHON, lambda: _FakeKernel32(processes))
    assert winapi.opened == [100]


def test_a_torchrun_that_cannot_be_opened_leaves_the_direct_parent_watched(join_on_windows):
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))
    winapi = join_on_windows(200, VENV_PYTHON, BASE_PYTHON, lambda: kernel32, refused=(100,))
    assert winapi.opened == [200]


def test_parent_pid_reads_the_snapshot_and_closes_it():
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))
    assert windows_processes.parent_pid(300, kernel32) == 200
    assert windows_processes.process_entry(80, kernel32) == (10, "torchrun.exe")
    assert windows_processes.parent_pid(12345, kernel32) is None  # (not running)
    assert kernel32.closed == [_FakeKernel32.SNAPSHOT] * 3


def test_the_snapshot_is_closed_when_walking_it_fails():
    kernel32 = _FakeKernel32(dict(VENV_CHAIN))

    def broken(snapshot: int, entry: ctypes._Pointer) -> int:
        raise OSError(18, "There are no more files")

    kernel32.Process32NextW = broken  # type: ignore[method-assign]
    assert windows_processes.parent_pid(300, kernel32) is None
    assert kernel32.closed == [_FakeKernel32.SNAPSHOT]


def test_the_redirector_is_told_apart_case_blind():
    processes = {200: (100, "PYTHON.EXE")}
    kernel32 = _FakeKernel32(processes)
    upper = VENV_PYTHON.upper()
    assert windows_processes.venv_launcher_parent(200, upper, BASE_PYTHON, kernel32) == 100
    # the same interpreter spelled in another case: no virtual environment
    assert windows_processes.venv_launcher_parent(200, upper, VENV_PYTHON, kernel32) is None


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="64-bit layout")
def test_the_process_entry_has_windows_x64_offsets():
    # PROCESSENTRY32W as the Windows SDK lays it out on x64 (szExeFile's own width,
    # WCHAR, is 2 bytes on Windows only: sizeof is 568 there)
    offsets = {
        name: getattr(windows_processes.ProcessEntry, name).offset
        for name in (
            "dwSize",
            "cntUsage",
            "th32ProcessID",
            "th32DefaultHeapID",
            "th32ModuleID",
            "cntThreads",
            "th32ParentProcessID",
            "pcPriClassBase",
            "dwFlags",
            "szExeFile",
        )
    }
    assert list(offsets.values()) == [0, 4, 8, 16, 24, 28, 32, 36, 40, 44]
