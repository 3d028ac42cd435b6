"""A stdout whose reader went away (`| head` quit): every write raises the error the
system gives for it (BrokenPipeError; on Windows OSError EINVAL)."""

from __future__ import annotations


class ClosedPipe:
    def __init__(self, error: OSError) -> None:
        self.error = error

    def write(self, text: str) -> int:
        raise self.error

    def flush(self) -> None:
        pass
