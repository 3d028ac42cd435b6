"""Windows: which process started a process, and the process a torchrun rank should watch.

In a virtual environment, ``.venv\\Scripts\\python.exe`` is no interpreter but a small
redirector (CPython's venvlauncher, bpo-34977): it starts the base interpreter as its own
child and waits for it. torchrun starts its ranks as ``sys.executable -m ...``, so a
rank's parent is that redirector, which lives exactly as long as the rank; torchrun is
the redirector's parent. Windows keeps no parent links a process can ask for directly:
a Toolhelp snapshot of all processes names each one's parent and executable.

Every call goes through ``kernel32`` (ctypes), which tests replace with a fake. Any
failure answers None, so that a caller keeps its old behaviour (and training goes on).
"""

from __future__ import annotations

import contextlib
import ctypes
import ntpath
from typing import Any

TH32CS_SNAPPROCESS = 0x2  # a snapshot of the processes (no threads, modules, heaps)
INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value  # what a failed snapshot returns
MAX_PATH = 260


class ProcessEntry(ctypes.Structure):
    """PROCESSENTRY32W: one process of a Toolhelp snapshot (fixed-width integers: DWORD
    and LONG are 32 bits on Windows, whatever the platform's C long)."""

    _fields_ = [  # noqa: RUF012 - ctypes reads this class attribute
        ("dwSize", ctypes.c_uint32),
        ("cntUsage", ctypes.c_uint32),
        ("th32ProcessID", ctypes.c_uint32),
        ("th32DefaultHeapID", ctypes.c_size_t),  # (ULONG_PTR: pointer-sized)
        ("th32ModuleID", ctypes.c_uint32),
        ("cntThreads", ctypes.c_uint32),
        ("th32ParentProcessID", ctypes.c_uint32),
        ("pcPriClassBase", ctypes.c_int32),
        ("dwFlags", ctypes.c_uint32),
        ("szExeFile", ctypes.c_wchar * MAX_PATH),
    ]


def _kernel32() -> Any:
    """kernel32 with the signatures of the calls made here. A private instance: setting
    argtypes on the shared ``ctypes.windll.kernel32`` would change them for any other
    code of the process. (Elsewhere than Windows ctypes has no WinDLL: AttributeError.)"""
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle, dword, win_bool = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int
    kernel32.CreateToolhelp32Snapshot.restype = handle
    kernel32.CreateToolhelp32Snapshot.argtypes = [dword, dword]
    for walk in (kernel32.Process32FirstW, kernel32.Process32NextW):
        walk.restype = win_bool
        walk.argtypes = [handle, ctypes.POINTER(ProcessEntry)]
    kernel32.CloseHandle.restype = win_bool
    kernel32.CloseHandle.argtypes = [handle]
    return kernel32


def process_entry(pid: int, kernel32: Any = None) -> tuple[int, str] | None:
    """Process ``pid``'s parent's id and its executable's file name (no folder), from a
    snapshot of the running processes; None when it is not running or the snapshot
    fails. (Windows never updates a parent's id: once the parent has ended, the id may
    name another process.)"""
    try:
        kernel32 = kernel32 if kernel32 is not None else _kernel32()
        snapshot = kernel32.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)
        if snapshot is None or snapshot == INVALID_HANDLE_VALUE:
            return None
        try:
            entry = ProcessEntry()
            entry.dwSize = ctypes.sizeof(ProcessEntry)  # (Process32FirstW fails without)
            pointer = ctypes.pointer(entry)
            more = kernel32.Process32FirstW(snapshot, pointer)
            while more:
                if entry.th32ProcessID == pid:
                    return int(entry.th32ParentProcessID), str(entry.szExeFile)
                more = kernel32.Process32NextW(snapshot, pointer)
            return None
        finally:
            with contextlib.suppress(Exception):
                kernel32.CloseHandle(snapshot)
    except Exception:  # (ctypes: OSError, AttributeError, ...: never stops training)
        return None


def parent_pid(pid: int, kernel32: Any = None) -> int | None:
    """The id of the process that started process ``pid``; None where it cannot be told."""
    entry = process_entry(pid, kernel32)
    return entry[0] if entry is not None else None


def venv_launcher_parent(
    pid: int, executable: str, base_executable: str, kernel32: Any = None
) -> int | None:
    """When process ``pid`` (a rank's parent) is this virtual environment's python.exe
    redirector, the process that started it (torchrun); None otherwise or where it
    cannot be told. ``executable`` and ``base_executable``: the rank's sys.executable
    and sys._base_executable, which differ only in a virtual environment (the base
    interpreter reports the redirector's path as its own executable)."""
    try:
        if not executable or ntpath.normcase(executable) == ntpath.normcase(base_executable):
            return None  # no virtual environment: the parent is torchrun itself
        entry = process_entry(pid, kernel32)
        if entry is None:
            return None
        parent, exe_file = entry
        # the snapshot names the executable's file only; the base interpreter is also a
        # python.exe, hence the check above that a redirector is in play at all
        if ntpath.normcase(exe_file) != ntpath.normcase(ntpath.basename(executable)):
            return None
        return parent or None  # (0: the System Idle Process, no parent)
    except Exception:
        return None
