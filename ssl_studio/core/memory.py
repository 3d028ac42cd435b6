"""How much memory this process may still use."""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

from ssl_studio.core.cgroups import memory_headroom

SYSTEM_ROOT = Path("/")  # (where /sys is read; tests point it at a fake tree)


def free_memory() -> int:
    """Bytes of memory available to this process now: Linux's MemAvailable, or less when
    a control group limits the process (a container, a per-user systemd slice's
    MemoryMax; cgroup v2 or v1, the process's own group or one above it); Windows'
    available physical memory; else (macOS) the machine's physical memory, else a cautious
    8 GB."""
    if sys.platform == "win32":
        windows = _windows_free()
        if windows is not None:
            return windows
    free = None
    try:
        with open(SYSTEM_ROOT / "proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    room = memory_headroom(SYSTEM_ROOT)  # (its group's limit, or a group's above it)
    if room is not None:
        free = min(free or 1 << 62, room)
    if free is not None:
        return max(free, 0)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


class _MemoryStatus(ctypes.Structure):
    """Windows' MEMORYSTATUSEX."""

    _fields_ = [
        ("dwLength", ctypes.c_ulong),
        ("dwMemoryLoad", ctypes.c_ulong),
        ("ullTotalPhys", ctypes.c_ulonglong),
        ("ullAvailPhys", ctypes.c_ulonglong),
        ("ullTotalPageFile", ctypes.c_ulonglong),
        ("ullAvailPageFile", ctypes.c_ulonglong),
        ("ullTotalVirtual", ctypes.c_ulonglong),
        ("ullAvailVirtual", ctypes.c_ulonglong),
        ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
    ]


def _windows_free() -> int | None:
    """Windows' available physical memory (GlobalMemoryStatusEx), or None if unknown."""
    status = _MemoryStatus()
    status.dwLength = ctypes.sizeof(_MemoryStatus)
    try:
        ok = ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None
    return int(status.ullAvailPhys) if ok else None
