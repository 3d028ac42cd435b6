"""The CPU and memory limits Linux control groups put on this process.

A CPU quota (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``: systemd's CPUQuota,
``docker --cpus``, a Kubernetes limit) and a memory limit (v2 ``memory.max``, v1
``memory.limit_in_bytes``: a per-user systemd slice's MemoryMax, a container's limit) may be
set on the process's own group or on any group above it, so every level from the
process's group (``/proc/self/cgroup``) up to the mount point of the hierarchy is read and
the tightest limit wins. Where a file is missing, unreadable or says "max", that level sets
no limit. Every function takes ``root``, the folder standing for ``/`` (tests give a fake
tree), and never raises: no cgroups (macOS, Windows) simply means no limits.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

V1_UNLIMITED = 1 << 60  # (v1 writes "no limit" as a number near 2**63)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _groups(root: Path) -> dict[str, str]:
    """The process's group per hierarchy: {"": v2 path, "memory": v1 path, "cpu": ...}
    from ``/proc/self/cgroup`` (lines "0::/path" and "N:memory:/path",
    "N:cpu,cpuacct:/path")."""
    text = _read(root / "proc/self/cgroup") or ""
    groups: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3 or not parts[2].startswith("/"):
            continue
        for controller in parts[1].split(","):
            groups.setdefault(controller, parts[2])
    return groups


def _mounts(root: Path) -> list[tuple[str, str, str, set[str]]]:
    """(fstype, mount root, mount point, super options) of each cgroup hierarchy mounted,
    from ``/proc/self/mountinfo``; the usual places where it cannot be read."""
    mounts = []
    for line in (_read(root / "proc/self/mountinfo") or "").splitlines():
        head, sep, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if not sep or len(fields) < 5 or len(rest) < 3 or rest[0] not in ("cgroup", "cgroup2"):
            continue
        mount_root, point = _unescape(fields[3]), _unescape(fields[4])
        mounts.append((rest[0], mount_root, point, set(rest[2].split(","))))
    if mounts:
        return mounts
    base = "/sys/fs/cgroup"
    return [
        ("cgroup2", "/", base, set()),
        ("cgroup", "/", f"{base}/memory", {"memory"}),
        ("cgroup", "/", f"{base}/cpu,cpuacct", {"cpu", "cpuacct"}),
        ("cgroup", "/", f"{base}/cpu", {"cpu"}),
    ]


def _unescape(field: str) -> str:
    """A mountinfo path with its octal escapes undone ("\\040" a space, "\\011" a tab,
    "\\012" a newline, "\\134" a backslash)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _levels(root: Path, controller: str) -> list[tuple[str, Path]]:
    """("v2" or "v1", folder) of every level of the process's group that may limit
    ``controller`` ("memory", "cpu"), the process's own group first."""
    groups = _groups(root)
    levels: list[tuple[str, Path]] = []
    for fstype, mount_root, point, options in _mounts(root):
        version = "v2" if fstype == "cgroup2" else "v1"
        key = "" if version == "v2" else controller
        if (version == "v1" and controller not in options) or key not in groups:
            continue
        path = groups[key]
        if mount_root != "/":
            if path != mount_root and not path.startswith(mount_root + "/"):
                continue  # (another group's subtree mounted: its limits are not ours)
            path = path[len(mount_root) :]  # (a container sees its group as the top)
        top = root / point.lstrip("/")
        if not top.is_dir():
            continue
        where = top / path.strip("/") if path.strip("/") else top
        while True:
            levels.append((version, where))
            if where == top or top not in where.parents:
                break
            where = where.parent
    return levels


def _stat(path: Path, key: str) -> int:
    """The value of ``key`` in a memory.stat file ("key value" lines), 0 where absent."""
    for line in (_read(path) or "").splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return max(0, _number(value.strip()) or 0)
    return 0


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:  # "max", or damaged
        return None


def cpu_quota_cores(root: Path = Path("/")) -> int | None:
    """Whole cores the tightest CPU quota on this process allows (quota / period,
    rounded up: 1.5 CPUs are 2 threads' worth), or None where no quota is set."""
    tightest: int | None = None
    for version, folder in _levels(root, "cpu"):
        if version == "v2":
            parts = (_read(folder / "cpu.max") or "").split()
            quota = _number(parts[0]) if len(parts) == 2 else None
            period = _number(parts[1]) if len(parts) == 2 else None
        else:
            quota = _number(_read(folder / "cpu.cfs_quota_us"))
            period = _number(_read(folder / "cpu.cfs_period_us"))
        if quota is None or period is None or quota <= 0 or period <= 0:
            continue  # ("max", -1 in v1: no quota here)
        cores = max(1, math.ceil(quota / period))
        tightest = cores if tightest is None else min(tightest, cores)
    return tightest


def memory_headroom(root: Path = Path("/")) -> int | None:
    """Bytes this process's groups still allow it (the smallest of limit minus usage over
    its group and every group above it), or None where no memory limit is set. Usage
    leaves out the inactive file cache (memory.stat ``inactive_file``, v1
    ``total_inactive_file``), which the kernel reclaims before it would refuse memory, as
    kubelet and cAdvisor count it: reading a large dataset left almost no headroom."""
    tightest: int | None = None
    for version, folder in _levels(root, "memory"):
        if version == "v2":
            limit = _number(_read(folder / "memory.max"))
            used = _number(_read(folder / "memory.current"))
        else:
            limit = _number(_read(folder / "memory.limit_in_bytes"))
            used = _number(_read(folder / "memory.usage_in_bytes"))
            if limit is not None and limit >= V1_UNLIMITED:
                limit = None
        if limit is None:
            continue
        cache = _stat(
            folder / "memory.stat", "inactive_file" if version == "v2" else "total_inactive_file"
        )
        room = max(0, limit - max(0, (used or 0) - cache))
        tightest = room if tightest is None else min(tightest, room)
    return tightest
