"""Decoding files in worker processes, surviving decoders that crash their process.

A codec that segfaults on a corrupt file kills its worker, and the whole pool with it.
The files that were in flight are then retried one at a time in a new pool, so the one
that crashes again is found and reported, and every other file is still decoded.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from ssl_studio.core.data.decode import FILE_KINDS, DecodeTask
from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.worker_lifetime import end_with_app
from ssl_studio.core.events import StopToken

K = TypeVar("K")
Decoder = Callable[[DecodeTask], DecodedFile]
IN_PROCESS_MAX_FILES = 4  # below this a worker pool costs more than it saves
_QUEUE_PER_WORKER = 4
# Windows waits on a pool's processes with WaitForMultipleObjects, which takes 64 handles:
# ProcessPoolExecutor refuses more than 61 workers there (ValueError), so an import on a
# machine with more cores (or --workers 64) crashed
WINDOWS_MAX_WORKERS = 61


def _pool_context() -> multiprocessing.context.BaseContext:
    """forkserver on Linux (safe from a GUI thread, cheap per worker), spawn elsewhere."""
    if sys.platform.startswith("linux"):
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["ssl_studio.core.data.decode"])
        return ctx
    return multiprocessing.get_context("spawn")


def pool_workers(asked: int) -> int:
    """``asked`` worker processes, or the most this system allows when that is fewer."""
    return min(asked, WINDOWS_MAX_WORKERS) if sys.platform == "win32" else asked


def fewer_workers_note(asked: int, files: int | None = None) -> str | None:
    """What to tell a user who asked for ``asked`` worker processes (0: one per core, a
    number never told) when this system allows fewer, else None. ``files``: how many
    there are to decode; where fewer files than the limit leave workers unused anyway,
    nothing is lost to the limit and nothing is said."""
    if not asked:
        return None
    used = asked if files is None else min(asked, files)  # (a worker per file at most)
    if pool_workers(used) >= used:
        return None
    return (  # (the number the user gave, not the number of files: that is what they know)
        f"Windows runs at most {pool_workers(asked)} worker processes together: decoding "
        f"with {pool_workers(asked)}, not the {asked} asked for."
    )


def _start_worker(app_pid: int) -> None:
    """Workers leave Ctrl+C (and Ctrl+Break, Windows's other console interrupt, which
    otherwise ends every worker) to the importer, which stops cleanly between files, and
    exit when the app (``app_pid``) is gone: a ``kill -9`` of it left them, the forkserver
    and the resource tracker running for good (worker_lifetime.py)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctrl_break = getattr(signal, "SIGBREAK", None)  # (Windows only)
    if ctrl_break is not None:
        signal.signal(ctrl_break, signal.SIG_IGN)
    end_with_app(app_pid)


def _pool(workers: int, context: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
    )


# what stops a pool from starting: its first worker died (BrokenProcessPool), the system
# refused a process, a pipe or the forkserver's socket (OSError), or the pool itself
# (ValueError: more workers than Windows allows)
_START_ERRORS = (BrokenProcessPool, OSError, ValueError)


def _started_pool(
    workers: int, context: multiprocessing.context.BaseContext
) -> ProcessPoolExecutor:
    """A pool of ``workers`` whose first worker has started. One of ``_START_ERRORS``
    when none can: e.g. an OSError for the forkserver's socket path, under a long
    temporary folder, over the 107 bytes AF_UNIX allows."""
    pool = _pool(workers, context)
    try:
        pool.submit(os.getpid).result()
    except _START_ERRORS:
        pool.shutdown(wait=False)
        raise
    return pool


def _fallback_warning(exc: BaseException) -> str:
    """What to tell the user when worker processes could not start (``exc``) and the
    files are decoded in this process instead: the real cause. A script's missing
    ``__main__`` guard is named only where the first worker died at once, the one case it
    explains (a worker that re-runs an unguarded script fails as it starts)."""
    if isinstance(exc, BrokenProcessPool):
        return (
            "Worker processes could not start (the first one ended at once); decoding in "
            "this process instead (slower). Scripts that run an import must guard their "
            "code with 'if __name__ == \"__main__\":'."
        )
    reason = str(exc) or type(exc).__name__
    return (
        f"Worker processes could not start ({reason}); decoding in this process instead (slower)."
    )


def crashed(task: DecodeTask) -> DecodedFile:
    """The result for a file whose decoder killed its process."""
    problem = ImportProblem(
        "decoder-crashed",
        "The decoder crashed on this file (its process died); the file is probably corrupt. "
        "The rest of the import went on.",
    )
    return DecodedFile(kind=FILE_KINDS[task.sniffed], problems=[problem])


def decode_files(
    tasks: Iterable[tuple[K, DecodeTask]],
    decoder: Decoder,
    *,
    workers: int,
    stop: StopToken,
    warn: Callable[[str], None],
    ordered: bool = False,
) -> Iterator[tuple[K, DecodedFile]]:
    """Decode ``(key, task)`` pairs, yielding ``(key, result)`` as files finish.

    workers: processes to use (1, or a handful of files, decodes in this process; at
        most ``pool_workers`` allows).
    warn: told when worker processes cannot start (and why), and decoding falls back to
        this process.
    ordered: yield in the order of ``tasks`` (whichever worker ends first), holding at most
        a few results per worker: what is recorded first then never depends on timing.
    """
    queue = deque(tasks)
    workers = max(1, min(pool_workers(workers), len(queue)))
    if workers == 1 or len(queue) <= IN_PROCESS_MAX_FILES:
        yield from _in_process(queue, decoder, stop)
        return
    context = _pool_context()
    try:
        pool = _started_pool(workers, context)
    except _START_ERRORS as exc:  # (slower, but the import goes on: better than a crash)
        warn(_fallback_warning(exc))
        yield from _in_process(queue, decoder, stop)
        return
    suspects: deque[tuple[K, DecodeTask]] = deque()  # in flight when a pool broke
    inflight: dict[Future, tuple[K, DecodeTask]] = {}
    turn: deque[int] = deque()  # (ordered) positions given out, in the order of ``tasks``
    held: dict[int, tuple[K, DecodedFile]] = {}  # (ordered) done, waiting for their turn
    position = {id(pair): i for i, pair in enumerate(queue)}

    def finish(pair: tuple[K, DecodeTask], result: DecodedFile) -> Iterator:
        if not ordered:
            yield pair[0], result
            return
        held[position[id(pair)]] = (pair[0], result)
        while turn and turn[0] in held:
            yield held.pop(turn.popleft())

    alone: Future | None = None  # a suspect running by itself, until it ends
    try:
        while (queue or suspects or inflight) and not stop.stopped:
            if suspects and alone is None:
                if not inflight:  # a suspect runs alone, so a crash names it
                    pair = suspects.popleft()
                    alone = pool.submit(decoder, pair[1])
                    inflight[alone] = pair
            elif alone is None:  # (nothing joins a suspect while it runs, however long)
                while queue and len(inflight) + len(held) < workers * _QUEUE_PER_WORKER:
                    pair = queue.popleft()
                    turn.append(position[id(pair)])
                    inflight[pool.submit(decoder, pair[1])] = pair
            finished, _ = wait(inflight, timeout=0.25, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                pair = inflight.pop(future)
                isolated = future is alone
                if isolated:
                    alone = None
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    if isolated:
                        yield from finish(pair, crashed(pair[1]))
                    else:
                        suspects.append(pair)
                    continue
                except Exception as exc:  # noqa: BLE001 - e.g. a result too big to send back
                    result = _failed(pair[1], exc)
                yield from finish(pair, result)
            if broken:
                suspects.extend(inflight.values())
                inflight.clear()
                alone = None
                pool.shutdown(wait=False, cancel_futures=True)
                pool = _pool(workers, context)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _failed(task: DecodeTask, exc: Exception) -> DecodedFile:
    problem = ImportProblem(
        "unexpected",
        f"The worker could not return this file's data ({type(exc).__name__}). "
        "Please report it with the file's format (not the file).",
    )
    return DecodedFile(kind=FILE_KINDS[task.sniffed], problems=[problem])


def _in_process(
    queue: deque[tuple[K, DecodeTask]], decoder: Decoder, stop: StopToken
) -> Iterator[tuple[K, DecodedFile]]:
    while queue and not stop.stopped:
        key, task = queue.popleft()
        yield key, decoder(task)
