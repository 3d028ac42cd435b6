"""Two gloo ranks whose clocks disagree: the engine's time-based decisions (log this step,
write a timed checkpoint) enter collectives, so the ranks must agree on them or hang."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.distributed as dist
from fake_training import FakeTask, MemoryBatches
from gloo_ranks import run_two_ranks

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine import trainer as trainer_module
from ssl_studio.core.engine import trainer_state
from ssl_studio.core.engine.distributed import World
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.events import Checkpoint, Step
from ssl_studio.core.storage_errors import DiskFullError

STEPS = 24
PACES = (0.4, 0.001)  # seconds each rank's clock moves per reading: rank 0's runs fast


class RankClock:
    """A ``time`` stand-in whose ``perf_counter`` moves ``pace`` seconds a reading."""

    def __init__(self, pace: float) -> None:
        self.now, self.pace = 0.0, pace

    def perf_counter(self) -> float:
        self.now += self.pace
        return self.now


def _trainer(rank: int, folder: str, cfg: TrainConfig, report) -> Trainer:
    """Rank ``rank`` of two training FakeTask on the CPU, its run folder in ``folder``."""
    return Trainer(
        FakeTask(),
        MemoryBatches(batch_size=8),
        cfg,
        device=torch.device("cpu"),
        run_dir=Path(folder) / "run",
        world=World(rank, 2, 0),
        report=report,
    )


def _rank_worker(rank: int, folder: str) -> None:
    """One of two ranks training FakeTask for STEPS steps on its own clock; saves its final
    weights and (rank 0) the steps it logged and checkpointed."""
    torch.set_num_threads(1)
    clock = RankClock(PACES[rank])
    trainer_module.time = trainer_state.time = SimpleNamespace(perf_counter=clock.perf_counter)
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=2)
    try:
        events: list = []
        cfg = TrainConfig(
            steps=STEPS,
            batch_size=8,
            lr=0.05,
            optimizer="sgd",
            log_every_seconds=1.0,  # rank 0's clock: every few steps; rank 1's: never
            checkpoint_every_minutes=0.1,  # 6 s: timed checkpoints on rank 0's clock only
            checkpoint_every_steps=1000,
            keep_checkpoints=100,
        )
        run = _trainer(rank, folder, cfg, events.append)
        summary = run.fit()
        torch.save(
            {
                "weights": run.task.state_dict(),
                "summary": summary,
                "logged": [e.step for e in events if isinstance(e, Step)],
                "saved": [e.step for e in events if isinstance(e, Checkpoint)],
            },
            f"{folder}/rank{rank}.pt",
        )
    finally:
        dist.destroy_process_group()


def test_ranks_with_disagreeing_clocks_log_and_checkpoint_together(tmp_path: Path):
    run_two_ranks(_rank_worker, tmp_path)
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    assert all(r["summary"]["status"] == "done" for r in results)
    assert results[0]["summary"]["steps"] == STEPS
    for key, value in results[0]["weights"].items():
        torch.testing.assert_close(results[1]["weights"][key], value, rtol=0, atol=0)
    logged, saved = results[0]["logged"], results[0]["saved"]
    # rank 0's clock asked for steps in between to be logged and checkpointed, which
    # rank 1's never did; both happened (the last step is always logged and saved)
    assert len(logged) > 3 and logged[-1] == STEPS
    assert len(saved) >= 2 and saved[-1] == STEPS
    assert results[1]["logged"] == []  # only rank 0 reports


def _disk_fills_on_rank_0(rank: int, folder: str) -> None:
    """Two ranks training with a checkpoint every 4 steps; rank 0's disk fills at the
    second. Each rank saves the error its fit() ended with."""
    torch.set_num_threads(1)
    writes = []

    def save(path: Path, state: dict) -> None:
        writes.append(path)
        if len(writes) == 2:
            raise DiskFullError(f"The disk is full: {path.name} could not be written.")
        real_save(path, state)

    real_save = trainer_state.save_checkpoint
    trainer_state.save_checkpoint = save
    dist.init_process_group("gloo", init_method=f"file://{folder}/store", rank=rank, world_size=2)
    try:
        cfg = TrainConfig(
            steps=STEPS, batch_size=8, lr=0.05, optimizer="sgd", checkpoint_every_steps=4
        )
        run = _trainer(rank, folder, cfg, lambda event: None)
        try:
            run.fit()
            error = None
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            error = f"{type(exc).__name__}: {exc}"
        Path(folder, f"rank{rank}.txt").write_text(str(error))
    finally:
        dist.destroy_process_group()


def test_a_checkpoint_rank_0_cannot_write_stops_every_rank_with_its_reason(tmp_path: Path):
    # before, rank 1 met only "Connection closed by peer" from gloo once rank 0 exited
    run_two_ranks(_disk_fills_on_rank_0, tmp_path)
    rank0, rank1 = (tmp_path.joinpath(f"rank{r}.txt").read_text() for r in (0, 1))
    assert rank0 == "DiskFullError: The disk is full: step-0000008.pt could not be written."
    assert rank1 == (
        "CheckpointError: Rank 0 could not write the checkpoint: "
        "The disk is full: step-0000008.pt could not be written."
    )
    assert [p.name for p in (tmp_path / "run" / "checkpoints").glob("*.pt")] == ["step-0000004.pt"]


def _health_on_rank_0(rank: int, folder: str) -> None:
    """Two ranks, a health monitor on rank 0 only (as pretrain.py makes it), health steps
    that are not log steps. Each rank saves how its fit() ended and rank 0 the steps
    its monitor measured."""
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo",
        init_method=f"file://{folder}/store",
        rank=rank,
        world_size=2,
        timeout=timedelta(seconds=60),  # a rank alone in a collective fails, not hangs
    )
    try:
        measured: list[int] = []
        cfg = TrainConfig(
            steps=8,
            batch_size=8,
            lr=0.05,
            optimizer="sgd",
            log_every_seconds=1e9,  # only the first and the last step are logged
            checkpoint_every_steps=1000,
            health_every_steps=3,  # steps 3 and 6: neither logged nor checkpointed
        )
        run = Trainer(
            FakeTask(),
            MemoryBatches(batch_size=8),
            cfg,
            device=torch.device("cpu"),
            run_dir=Path(folder) / "run",
            world=World(rank, 2, 0),
            health=(lambda task, step, metrics: measured.append(step)) if rank == 0 else None,
        )
        try:
            result = str(run.fit()["status"])
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            result = f"{type(exc).__name__}: {exc}"
        Path(folder, f"rank{rank}.txt").write_text(f"{result} {measured}")
    finally:
        dist.destroy_process_group()


def test_a_health_monitor_on_rank_0_only_keeps_the_ranks_in_step(tmp_path: Path):
    # before, rank 0 alone checked the loss (a collective) at a health step while rank 1
    # was already in the next step's: gloo failed on the mismatch, NCCL would hang
    run_two_ranks(_health_on_rank_0, tmp_path, seconds=150)
    rank0, rank1 = (tmp_path.joinpath(f"rank{r}.txt").read_text() for r in (0, 1))
    assert rank0 == "done [3, 6]"
    assert rank1 == "done []"
