"""Run a test's worker on two forked gloo ranks (imported as ``from gloo_ranks import ...``:
tests/ is not a package, so pytest puts this folder on the path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch.multiprocessing as mp


def run_two_ranks(worker: Callable[[int, str], None], folder: Path, seconds: float = 180) -> None:
    """Run ``worker(rank, str(folder))`` for ranks 0 and 1 and wait for both; fail the test
    when they do not finish within ``seconds`` (one rank waiting in a collective alone; a
    hang, not a speed limit: a busy 2-core machine may take long).
    fork: no re-import in the children (spawn would add seconds)."""
    ranks = mp.start_processes(
        worker, args=(str(folder),), nprocs=2, join=False, start_method="fork"
    )
    deadline = time.monotonic() + seconds
    while not ranks.join(timeout=0.5):
        if time.monotonic() > deadline:
            for process in ranks.processes:
                process.kill()
            pytest.fail(f"The two ranks did not finish within {seconds:.0f} s: one waited alone.")
