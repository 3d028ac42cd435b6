"""Progress within one file: a reader that reads a large file in pieces tells how many of
its bytes it has read; the import that runs the reader in its own process (and thread)
turns that into Progress events. Readers in worker processes report to nobody."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Hook = Callable[[int, int], None]  # (bytes read, bytes in the file)

_HOOK: ContextVar[Hook | None] = ContextVar("file_progress", default=None)


@contextmanager
def reporting_to(hook: Hook) -> Iterator[None]:
    """Within this block, readers in this thread report their bytes read to ``hook``."""
    token = _HOOK.set(hook)
    try:
        yield
    finally:
        _HOOK.reset(token)


def report(done: int, total: int) -> None:
    """A reader has read ``done`` of the ``total`` bytes of the file it reads."""
    hook = _HOOK.get()
    if hook is not None:
        hook(done, total)
