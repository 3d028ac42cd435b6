"""Running under torchrun: ranks from the environment, the process group, rank-0 duties.

``torchrun --nproc_per_node N -m ssl_studio pretrain ...`` sets RANK, WORLD_SIZE and
LOCAL_RANK; the engine then wraps the model in DistributedDataParallel, gives each rank
its own shard of every epoch, and lets only rank 0 report, write checkpoints and touch
the project database. Without those variables everything runs in one process.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ssl_studio.core.engine import windows_processes
from ssl_studio.core.errors import ConfigError, SSLStudioError


@dataclass(frozen=True)
class World:
    """This process's place among the training processes."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def world_from_env() -> World:
    """The World torchrun describes in the environment (a single process otherwise)."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    return World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))


def processes_per_node(processes: int) -> int:
    """Training processes on this machine (torchrun's LOCAL_WORLD_SIZE; ``processes``,
    all of them, without it)."""
    try:
        return int(os.environ.get("LOCAL_WORLD_SIZE", processes))
    except ValueError:
        return processes


_collective_device = torch.device("cpu")  # where small collective tensors live (NCCL: GPU)
_launcher: int | None = None  # this rank's parent's id as it joined: torchrun (POSIX)
_launcher_handle: int | None = None  # (Windows) a handle of torchrun, to see it end


# said when CUDA processes cannot use NCCL (PyTorch for Windows is built without it)
NO_NCCL = (
    "This PyTorch has no NCCL (PyTorch for Windows comes without it): the training "
    "processes exchange their gradients through gloo instead, which works but is slower "
    "between GPUs."
)


def init(world: World, device: torch.device) -> str | None:
    """Join the process group: NCCL for CUDA where PyTorch has it, gloo otherwise (its
    collectives wait up to the join timeout until start_together raises it). Returns
    a note for the user when CUDA processes fall back to gloo (NO_NCCL), else None. While
    it waits for the other ranks, SIGTERM ends the process at once (the job's handler
    only asks it to stop at its next step, which a rank waiting here, e.g. for a rank 0
    that refused to start, never reaches: torchrun would wait 30 s and kill it)."""
    global _collective_device, _launcher, _launcher_handle
    note = None
    if world.distributed and not dist.is_initialized():
        nccl = device.type == "cuda" and dist.is_nccl_available()
        backend = "nccl" if nccl else "gloo"
        if device.type == "cuda" and not nccl:
            note = NO_NCCL
        if device.type == "cuda":
            torch.cuda.set_device(device)
        with _terminable():
            try:
                # NCCL with device_id forms its communicator here, under the join's
                # timeout (without it, lazily at the first collective)
                dist.init_process_group(
                    backend,
                    rank=world.rank,
                    world_size=world.size,
                    timeout=_join_timeout(),
                    device_id=device if nccl else None,
                )
            except dist.DistError as exc:  # (DistNetworkError, DistStoreError: a timeout)
                if _local_backend_failure(exc):
                    raise BackendFailed(exc) from exc
                raise PeerNeverJoined(world.size) from exc
        _collective_device = device if backend == "nccl" else torch.device("cpu")
        # (torchrun's own: a rank started by hand from a shell that then exits goes on)
        _launcher = os.getppid() if "TORCHELASTIC_RUN_ID" in os.environ else None
        _launcher_handle = _launcher_watch(_launcher)
    return note


# how long a rank waits for the others to join the group (a process that died before
# joining, or a node whose torchrun ended, must not keep the others waiting 30 minutes:
# gloo's default); SSL_STUDIO_JOIN_TIMEOUT_S changes it
JOIN_TIMEOUT_S = 300.0
# how long a collective of training may wait (gloo's default, as before)
TRAIN_TIMEOUT_S = 1800.0


def _join_timeout() -> datetime.timedelta:
    try:
        seconds = float(os.environ.get("SSL_STUDIO_JOIN_TIMEOUT_S", JOIN_TIMEOUT_S))
    except ValueError:
        seconds = JOIN_TIMEOUT_S
    return datetime.timedelta(seconds=max(seconds, 1.0))


def _set_pg_timeout(timeout: datetime.timedelta, group: Any) -> None:
    """The default group's timeout for later collectives (torch.distributed.set_timeout;
    older versions: its private forerunner; where neither is, the join's timeout stays)."""
    setter = getattr(dist, "set_timeout", None) or getattr(
        dist.distributed_c10d, "_set_pg_timeout", None
    )
    if setter is not None:
        with contextlib.suppress(Exception):
            setter(timeout, group)


class PeerNeverJoined(SSLStudioError):
    """Another process of the job ended, or lost touch, before all of them had joined."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"Not all {size} processes of this job joined it: another one ended before it "
            "started training, or its machine could not be reached (that process's own "
            f"output, or its node's log, says why). Nothing was trained. (A process waits "
            f"{_join_timeout().total_seconds():.0f} s for the others; "
            "SSL_STUDIO_JOIN_TIMEOUT_S changes it.)"
        )


def _local_backend_failure(exc: BaseException) -> bool:
    """Whether joining failed in this machine's NCCL (DistBackendError: forming the
    communicator under device_id), not through a peer that never came (DistStoreError,
    DistNetworkError, or a backend that timed out waiting for it)."""
    backend_error = getattr(dist, "DistBackendError", None)
    if backend_error is None or not isinstance(exc, backend_error):
        return False
    text = str(exc).lower()
    return not any(word in text for word in ("timed out", "timeout", "time out"))


class BackendFailed(SSLStudioError):
    """The GPU communication library (NCCL) failed on this machine while joining."""

    def __init__(self, exc: BaseException) -> None:
        said = str(exc).strip() or type(exc).__name__
        super().__init__(
            "The GPU communication library (NCCL) failed on this machine while this "
            f"process joined the job: {said}\nCheck NCCL and the interconnect between the "
            "GPUs (NCCL_DEBUG=INFO says more). Nothing was trained."
        )


class PeerCouldNotStart(SSLStudioError):
    """This process started, but another one of the job could not."""

    def __init__(self, ranks: list[int]) -> None:
        names = ", ".join(str(r) for r in ranks)
        which = f"Process {names} of this job" if len(ranks) == 1 else f"Processes {names}"
        super().__init__(
            f"{which} could not start (see its output, or its node's log, for why), so "
            "this one stopped too. Nothing was trained."
        )
        self.every_process = True  # (the first process says it, once for all)


class RanksChoseDifferentRuns(SSLStudioError):
    """The processes of a job were about to resume different runs (or some a new one)."""

    def __init__(self, low: int, high: int) -> None:
        which = [f"run {r}" if r >= 0 else "a new run" for r in (low, high)]
        super().__init__(
            f"The processes of this job chose different runs to resume ({which[0]} and "
            f"{which[1]}): the project changed while they read it (--resume latest is "
            "read by each process). Nothing was trained. Start the job again, or name the "
            "run: --resume RUN_ID."
        )
        self.every_process = True  # (the first process says it, once for all)


def start_together(
    failure: BaseException | None, world: World, resuming: int | None = None
) -> None:
    """After joining: every rank learns which ranks failed to start (``failure``: this
    one's error while opening the project or building the run, None when it started).
    A failed rank raises its own error; the others raise PeerCouldNotStart, so every
    process ends at once rather than waiting for the failed one in a collective. This
    first collective still waits the join timeout at most (PeerNeverJoined); only once
    every rank has answered do the collectives of training get their longer one. The
    ranks also compare ``resuming``, the run each would resume (None: a new one): when
    they differ (--resume latest, read by each, while the project changed) all raise
    RanksChoseDifferentRuns together."""
    if not world.distributed:
        if failure is not None:
            raise failure
        return
    chosen = -1 if resuming is None else int(resuming)
    # [a flag per rank, the largest chosen run, minus the smallest] in one exchange
    flags = torch.zeros(world.size + 2, dtype=torch.float64, device=_collective_device)
    flags[world.size], flags[world.size + 1] = chosen, -chosen
    if failure is not None:
        flags[world.rank] = 1.0
    try:
        with _terminable():
            dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    except Exception as exc:  # (gloo: a timeout or a lost peer, often a RuntimeError)
        if failure is not None:
            raise failure from exc
        raise PeerNeverJoined(world.size) from exc
    # the collectives of training wait longer than the join (rank 0 writing a
    # checkpoint on a slow disk keeps the others waiting)
    _set_pg_timeout(datetime.timedelta(seconds=TRAIN_TIMEOUT_S), None)
    *ranks, high, low = flags.tolist()
    failed = [rank for rank, flag in enumerate(ranks) if flag > 0]
    if failure is not None:
        raise failure
    if failed:
        raise PeerCouldNotStart(failed)
    if high != -low:
        raise RanksChoseDifferentRuns(int(-low), int(high))


def held_for_join(exc: Exception, world: World) -> Exception:
    """This process's start-up failure ``exc``, kept to be shared when the processes join
    (``join``), so that all of them stop together; raised at once when the job is one
    process. A ConfigError is marked ``every_process``: every process reads the same
    config and project, so the command line says it once."""
    if isinstance(exc, ConfigError):
        exc.every_process = True  # type: ignore[attr-defined]
    if not world.distributed:
        raise exc
    return exc


def join(
    world: World,
    device: torch.device,
    failure: BaseException | None,
    resuming: int | None = None,
) -> str | None:
    """init, then start_together: every rank ends at once when one could not start
    (``failure``: this one's error, None when it started) or when they would resume
    different runs (``resuming``), or goes on together. When this one could not start
    and the others cannot be reached either, its own error is the one told. Returns
    init's note (NO_NCCL) or None."""
    try:
        note = init(world, device)
    except PeerNeverJoined:
        if failure is not None:
            raise failure from None
        raise
    start_together(failure, world, resuming)
    return note


def launcher_gone() -> bool:
    """Whether the torchrun that started this rank is gone (killed with SIGKILL, or ended
    from the Task Manager: it could not stop its ranks); the rank then stops at its next
    step. POSIX reparents the rank (its parent process id changes); Windows never does
    (``os.getppid`` keeps naming the dead torchrun), so there the handle of torchrun's
    process, opened as the rank joined, says whether it has exited."""
    if _launcher is None:
        return False
    if _launcher_handle is not None:
        import _winapi

        return _winapi.WaitForSingleObject(_launcher_handle, 0) == _winapi.WAIT_OBJECT_0
    return os.getppid() != _launcher


def _launcher_watch(parent: int | None) -> int | None:
    """Windows: the handle launcher_gone waits on. In a virtual environment a rank's
    parent is the venv's python.exe, a redirector that lives as long as the rank, so
    torchrun is its parent, opened at once (before its id could name another process);
    the direct parent where that cannot be told or opened, as before."""
    if parent is None or sys.platform != "win32":
        return None
    executable = getattr(sys, "executable", "") or ""
    base = getattr(sys, "_base_executable", executable) or executable
    torchrun = windows_processes.venv_launcher_parent(parent, executable, base)
    handle = _process_handle(torchrun)
    return handle if handle is not None else _process_handle(parent)


def _process_handle(pid: int | None) -> int | None:
    """Windows: a handle to wait on process ``pid`` (held until ``shutdown``, so that its
    id cannot name another process meanwhile); None elsewhere, or where it cannot be
    opened (the rank then goes on without this watch, as before)."""
    if pid is None or sys.platform != "win32":
        return None
    try:
        import _winapi

        return _winapi.OpenProcess(_winapi.SYNCHRONIZE, False, pid)
    except (ImportError, OSError):
        return None


@contextlib.contextmanager
def _terminable() -> Iterator[None]:
    """SIGTERM with its default action (end the process) inside the block, when the
    block runs on the main thread (only it may change signal handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


# what gloo and NCCL say when another rank died (their errors are often plain RuntimeErrors)
_PEER_GONE = ("Connection reset by peer", "Connection closed by peer", "Broken pipe")


def lost_a_peer(exc: BaseException) -> bool:
    """Whether ``exc`` is a collective failing because another rank stopped or lost touch."""
    if isinstance(exc, dist.DistError):
        return True
    return isinstance(exc, RuntimeError) and any(text in str(exc) for text in _PEER_GONE)


def shutdown() -> None:
    global _launcher, _launcher_handle
    _launcher = None
    if _launcher_handle is not None:
        import _winapi

        with contextlib.suppress(OSError):
            _winapi.CloseHandle(_launcher_handle)
        _launcher_handle = None
    if dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value: Any, world: World) -> Any:
    """Rank 0's ``value`` on every rank (any picklable object; our own values only)."""
    if not world.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def opened_by_main(open_run: Callable[[], Any], world: World) -> Any:
    """Rank 0's ``open_run()`` (it makes the run; the other ranks wait for its id) on
    every rank. When it fails, rank 0 raises its error and the others, told None,
    raise PeerCouldNotStart([0]) at once, rather than waiting in a later collective."""
    value, failure = None, None
    if world.is_main:
        try:
            value = open_run()
        except BaseException as exc:  # (told to the others as None)
            failure = exc
    value = broadcast(value, world)
    if failure is not None:
        raise failure
    if value is None:
        raise PeerCouldNotStart([0])
    return value


def all_gather(value: Any, world: World) -> list[Any]:
    """Every rank's ``value``, in rank order, on every rank (any picklable object; our
    own values only)."""
    if not world.distributed:
        return [value]
    values: list[Any] = [None] * world.size
    dist.all_gather_object(values, value)
    return values


def any_of(flags: list[bool], world: World) -> list[bool]:
    """Each flag true on every rank when it is true on any rank (one collective for all):
    decisions each rank makes on its own clock (log now, a timed checkpoint is due) must
    be the same everywhere, as they enter collectives."""
    if not world.distributed:
        return list(flags)
    tensor = torch.tensor([1.0 if f else 0.0 for f in flags], device=_collective_device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return [v > 0 for v in tensor.tolist()]


def mean(value: float, world: World) -> float:
    """The mean of ``value`` over the ranks."""
    return means([value], world)[0]


def means(values: list[float], world: World) -> list[float]:
    """The mean of each of ``values`` over the ranks (one collective for all)."""
    if not world.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=_collective_device)
    dist.all_reduce(tensor)
    return [v / world.size for v in tensor.tolist()]


def sync_batch_norms(module: torch.nn.Module, world: World, device: torch.device) -> int:
    """Make ``module``'s BatchNorm layers (in place) normalise over the whole batch of all
    ranks, as the tasks that compare the items of a batch assume (``min_batch_size`` 2:
    SimCLR, MoCo v3 and BYOL in their papers): per-GPU statistics of a small per-GPU batch
    are noisier and differ from one GPU to the next. Only on CUDA with more than one rank
    (torch's SyncBatchNorm trains on GPUs only); state_dict keys and values are unchanged,
    so checkpoints load either way. Returns how many layers were converted."""
    if not world.distributed or device.type != "cuda":
        return 0
    # replaces the layers inside ``module`` (which is itself no BatchNorm: a task)
    torch.nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return sum(isinstance(m, torch.nn.SyncBatchNorm) for m in module.modules())


def in_sync(module: torch.nn.Module, world: World) -> bool:
    """Whether every rank holds the same parameters (compares per-tensor checksums)."""
    if not world.distributed:
        return True
    with torch.no_grad():
        sums = torch.stack([p.detach().double().sum() for p in module.parameters()])
    sums = sums.to(_collective_device)
    high, low = sums.clone(), sums.clone()
    dist.all_reduce(high, op=dist.ReduceOp.MAX)
    dist.all_reduce(low, op=dist.ReduceOp.MIN)
    return bool(torch.equal(high, low))
