"""The memory free for a job: Linux's MemAvailable (with control groups' limits:
tests/core/test_cgroups.py), Windows' available physical memory."""

from __future__ import annotations

import ctypes

from ssl_studio.core import memory


def test_windows_gives_its_available_physical_memory(monkeypatch):
    """On Windows (no /proc/meminfo, no sysconf) every machine was taken to have 8 GB
    free: an NPZ needing 5 GB was refused on a 64 GB workstation."""

    class Kernel32:
        @staticmethod
        def GlobalMemoryStatusEx(ref):  # noqa: N802 - the Windows API's name
            ref._obj.ullAvailPhys = 48 << 30
            return 1

    class WinDLL:
        kernel32 = Kernel32()

    monkeypatch.setattr(memory.sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", WinDLL(), raising=False)
    assert memory.free_memory() == 48 << 30
    monkeypatch.setattr(Kernel32, "GlobalMemoryStatusEx", staticmethod(lambda ref: 0))
    assert memory.free_memory() > 0  # (the call failed: the other ways, as before)
