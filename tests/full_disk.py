"""A disk that fills up, for tests of what a full disk does (no root, no tiny mount)."""

from __future__ import annotations

import errno
import os


class FillingDisk:
    """Stands in for os.fdopen: files whose writes stop at ``free`` bytes in all, as on a
    real disk (a short write first, then ENOSPC)."""

    def __init__(self, free: int) -> None:
        self.free = free
        self.real = os.fdopen

    def __call__(self, fd, *args, **kwargs):
        disk = self

        class File:
            def __init__(self) -> None:
                self.raw = disk.real(fd, "wb", buffering=0)

            def write(self, data) -> int:
                size = memoryview(data).nbytes
                if disk.free <= 0:
                    raise OSError(errno.ENOSPC, "No space left on device")
                done = self.raw.write(memoryview(data).cast("B")[: min(size, disk.free)])
                disk.free -= done
                return done

            def __getattr__(self, name):
                return getattr(self.raw, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                self.raw.close()

        return File()
