"""How much memory this process may still use."""

from __future__ import annotations

import os
from pathlib import Path


def free_memory() -> int:
    """Bytes of memory available to this process now: Linux's MemAvailable, or less when
    a container (cgroup v2) limits the process; else the machine's physical memory, else
    a cautious 8 GB."""
    free = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    free = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="utf-8").strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text(encoding="utf-8").strip())
        if limit != "max":
            free = min(free or 1 << 62, int(limit) - used)
    except (OSError, ValueError):
        pass
    if free is not None:
        return max(free, 0)
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 << 30
