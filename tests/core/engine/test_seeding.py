"""A fresh run seeds Python's and NumPy's global random generators as well as torch's
(from the seed and the process's rank, as a resume with another number of processes
does), so code that draws from them repeats with the seed."""

from __future__ import annotations

import random

import numpy as np
from fake_training import Batch, FakeTask, train


class DrawingTask(FakeTask):
    """Draws from Python's and NumPy's global generators (as augmentation code may)."""

    def __init__(self) -> None:
        super().__init__()
        self.draws: list[tuple[float, float]] = []

    def forward(self, batch: Batch):
        self.draws.append((random.random(), float(np.random.rand())))
        return super().forward(batch)


def test_a_fresh_run_seeds_python_s_and_numpy_s_random_generators(tmp_path):
    draws = []
    for before in (1, 2):  # whatever the process drew before the run
        random.seed(before)
        np.random.seed(before)
        task = DrawingTask()
        train(tmp_path / str(before), task=task, steps=3)
        draws.append(task.draws)
    assert draws[0] == draws[1]
    random.seed(3)
    np.random.seed(3)
    task = DrawingTask()
    train(tmp_path / "other", task=task, steps=3, seed=1)  # another seed: other draws
    assert task.draws != draws[0]
