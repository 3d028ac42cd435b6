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

    def __call__(self, fd, mode="r", *args, **kwargs):
        disk = self
        encoding = None if "b" in mode else kwargs.get("encoding") or "utf-8"

        class File:
            def __init__(self) -> None:
                self.raw = disk.real(fd, "wb", buffering=0)

            def write(self, data) -> int:
                if encoding is not None:  # a text file (its writes count characters;
                    data = data.encode(encoding)  # the tests write ASCII)
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
