"""Worker processes that cannot start leave decoding to the importing process: a pool
that breaks at once, and an OSError from its start (the forkserver's socket path, under a
long temporary folder, over the 107 bytes AF_UNIX allows), which crashed the import. The
warning says the real cause: a script's ``__main__`` guard only where a worker died at
once, which is what a missing guard does."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

import pytest

from ssl_studio.core.data import parallel
from ssl_studio.core.events import StopToken


class _Unstartable:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.shut = False

    def submit(self, *args, **kwargs):
        raise self.error

    def shutdown(self, *args, **kwargs) -> None:
        self.shut = True


@pytest.mark.parametrize(
    "error", [OSError("AF_UNIX path too long"), BrokenProcessPool("a worker died")]
)
def test_workers_that_cannot_start_leave_decoding_to_this_process(monkeypatch, error):
    pool = _Unstartable(error)
    monkeypatch.setattr(parallel, "_pool", lambda workers, context: pool)
    warnings = _decoded_with_warnings(monkeypatch)
    assert pool.shut
    assert len(warnings) == 1 and "decoding in this process instead" in warnings[0]
    guard = "if __name__" in warnings[0]
    assert guard == isinstance(error, BrokenProcessPool)  # (the one cause it explains)


def _decoded_with_warnings(monkeypatch) -> list[str]:
    """Decode a few more files than one process takes alone; the warnings given."""
    monkeypatch.setattr(parallel, "_pool_context", lambda: None)
    warnings: list[str] = []
    tasks = [(i, i) for i in range(parallel.IN_PROCESS_MAX_FILES + 3)]
    done = list(
        parallel.decode_files(
            tasks, lambda task: task * 10, workers=2, stop=StopToken(), warn=warnings.append
        )
    )
    assert done == [(i, i * 10) for i in range(len(tasks))]
    return warnings


@pytest.mark.parametrize("error", [OSError("no /dev/shm"), ValueError("max_workers too big")])
def test_a_pool_the_system_will_not_build_is_said_with_its_cause(monkeypatch, error):
    """Not blamed on a missing ``if __name__ == "__main__"`` guard."""

    def refused(*args, **kwargs):
        raise error

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", refused)
    warnings = _decoded_with_warnings(monkeypatch)
    assert warnings == [
        f"Worker processes could not start ({error}); decoding in this process instead (slower)."
    ]
