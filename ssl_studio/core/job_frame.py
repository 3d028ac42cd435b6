"""The frame every job in jobs.py runs in: Started, then Finished with its result, or
Failed for an error a user can act on (see the contract at the top of jobs.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ssl_studio.core.events import Failed, Finished, Reporter, Started, Stopped
from ssl_studio.core.storage_errors import user_error

R = TypeVar("R")


@contextlib.contextmanager
def told(project: Path | None, fail: Callable[[str], None]) -> Iterator[None]:
    """Every error a user can act on is passed to ``fail`` (which reports Failed) and
    raised again; a storage failure met deep inside a job (a full disk, a damaged or
    locked project.db) first becomes such an error. Anything else is a bug: raised as is."""
    try:
        yield
    except Exception as exc:
        error = user_error(exc, project)
        if error is None:
            raise
        fail(str(error))
        if error is exc:
            raise
        raise error from exc


def framed(
    job: str,
    project: Path | None,
    report: Reporter,
    work: Callable[[], R],
    summary: Callable[[R], dict[str, Any]],
    *,
    total: int | None = None,
    cancelled: Callable[[R], bool] = lambda result: False,
) -> R:
    """Run ``work`` between Started (with ``total``) and Finished (``summary`` of its
    result, ``cancelled``), or Failed for an error a user can act on (``told``). Work that
    raises events.Stopped ends with Finished(cancelled=True), and Stopped is raised again."""
    report(Started(job, total=total))
    try:
        with told(project, lambda error: report(Failed(job, error=error))):
            result = work()
    except Stopped:
        report(Finished(job, cancelled=True))
        raise
    report(Finished(job, result=summary(result), cancelled=cancelled(result)))
    return result
