"""Running under torchrun: ranks from the environment, the process group, rank-0 duties.

``torchrun --nproc_per_node N -m ssl_studio pretrain ...`` sets RANK, WORLD_SIZE and
LOCAL_RANK; the engine then wraps the model in DistributedDataParallel, gives each rank
its own shard of every epoch, and lets only rank 0 report, write checkpoints and touch
the project database. Without those variables everything runs in one process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


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
_launcher: int | None = None  # torchrun's process id, as this rank joined the group


# said when CUDA processes cannot use NCCL (PyTorch for Windows is built without it)
NO_NCCL = (
    "This PyTorch has no NCCL (PyTorch for Windows comes without it): the training "
    "processes exchange their gradients through gloo instead, which works but is slower "
    "between GPUs."
)


def init(world: World, device: torch.device) -> str | None:
    """Join the process group: NCCL for CUDA where PyTorch has it, gloo otherwise. Returns
    a note for the user when CUDA processes fall back to gloo (NO_NCCL), else None. While
    it waits for the other ranks, SIGTERM ends the process at once (the job's handler
    only asks it to stop at its next step, which a rank waiting here, e.g. for a rank 0
    that refused to start, never reaches: torchrun would wait 30 s and kill it)."""
    global _collective_device, _launcher
    note = None
    if world.distributed and not dist.is_initialized():
        nccl = device.type == "cuda" and dist.is_nccl_available()
        backend = "nccl" if nccl else "gloo"
        if device.type == "cuda" and not nccl:
            note = NO_NCCL
        if device.type == "cuda":
            torch.cuda.set_device(device)
        with _terminable():
            dist.init_process_group(backend, rank=world.rank, world_size=world.size)
        _collective_device = device if backend == "nccl" else torch.device("cpu")
        # (torchrun's own: a rank started by hand from a shell that then exits goes on)
        _launcher = os.getppid() if "TORCHELASTIC_RUN_ID" in os.environ else None
    return note


def launcher_gone() -> bool:
    """Whether the torchrun that started this rank is gone (killed with SIGKILL: it could
    not stop its ranks): the rank, then reparented, stops at its next step."""
    return _launcher is not None and os.getppid() != _launcher


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
    global _launcher
    _launcher = None
    if dist.is_initialized():
        dist.destroy_process_group()


def broadcast(value: Any, world: World) -> Any:
    """Rank 0's ``value`` on every rank (any picklable object; our own values only)."""
    if not world.distributed:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


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
