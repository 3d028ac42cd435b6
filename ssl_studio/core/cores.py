"""How many CPU cores this process may use."""

from __future__ import annotations

import os
from pathlib import Path

from ssl_studio.core.cgroups import cpu_quota_cores

SYSTEM_ROOT = Path("/")  # (where /proc and /sys are read; tests point it at a fake tree)


def usable_cores() -> int:
    """The CPU cores this process may run on: its CPU affinity where the system has one
    (a SLURM job's --cpus-per-task, taskset, a container's cpuset), else every core of
    the machine (``os.cpu_count``, which counts cores the process may not use); fewer
    where a CPU quota on its control group allows fewer (systemd's CPUQuota,
    ``docker --cpus``: quota / period, rounded up), which affinity does not show."""
    cores = os.cpu_count() or 1
    getaffinity = getattr(os, "sched_getaffinity", None)  # (Linux; not macOS or Windows)
    if getaffinity is not None:
        try:
            cores = max(1, len(getaffinity(0)))
        except OSError:
            pass
    quota = cpu_quota_cores(SYSTEM_ROOT)
    return cores if quota is None else max(1, min(cores, quota))


def quota_threads() -> int | None:
    """Tensor threads for a process whose CPU quota allows fewer cores than its affinity
    shows (the number torch and the BLAS libraries would otherwise start), else None:
    without a quota their default already follows the affinity."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    try:
        shown = len(getaffinity(0)) if getaffinity is not None else os.cpu_count() or 1
    except OSError:
        shown = os.cpu_count() or 1
    cores = usable_cores()
    return cores if cores < shown else None
