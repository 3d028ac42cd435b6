"""How many CPU cores this process may use."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """The CPU cores this process may run on: its CPU affinity where the system has one
    (a SLURM job's --cpus-per-task, taskset, a container's cpuset), else every core of
    the machine (``os.cpu_count``, which counts cores the process may not use)."""
    getaffinity = getattr(os, "sched_getaffinity", None)  # (Linux; not macOS or Windows)
    if getaffinity is not None:
        try:
            return max(1, len(getaffinity(0)))
        except OSError:
            pass
    return os.cpu_count() or 1
