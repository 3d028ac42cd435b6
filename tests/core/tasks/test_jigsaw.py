"""Jigsaw: the permutation set, labels match the applied order, gradients, round trip."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
import torch

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.tasks.jigsaw import Jigsaw, JigsawConfig, permutation_set

from task_testing import (
    StandInAugment,
    assert_loading_the_state_dict_gives_the_same_loss,
    image_batch,
    losses_before_and_after_adamw_steps,
    seeded_backbone,
)

SIZE = 32


def make_batch(n: int = 8) -> ImageBatch:
    return image_batch(n, SIZE, seed=123)


def make_task(seed: int = 0, **options) -> Jigsaw:
    augment = StandInAugment(noise=0.04)  # 0.01 before standardization
    return Jigsaw(JigsawConfig(**options), seeded_backbone(seed, SIZE), augment)


def min_hamming(perms: np.ndarray) -> int:
    diff = (perms[:, None, :] != perms[None, :, :]).sum(axis=2)
    return int(diff[~np.eye(len(perms), dtype=bool)].min())


def test_the_permutation_set_is_distinct_far_apart_and_always_the_same():
    perms = permutation_set(9, 64)
    assert perms.shape == (64, 9)
    assert len({tuple(p) for p in perms}) == 64
    assert all(sorted(p) == list(range(9)) for p in perms.tolist())
    assert np.array_equal(permutation_set.__wrapped__(9, 64), perms)  # recomputed, not cached
    assert torch.equal(make_task(seed=0).perms, make_task(seed=1).perms)
    rng = np.random.default_rng(0)
    random_set = np.stack([rng.permutation(9) for _ in range(64)])
    assert min_hamming(perms) >= min_hamming(random_set)
    assert min_hamming(perms) >= 6
    # a 2 x 2 grid chooses among all 4! orders
    assert {tuple(p) for p in permutation_set(4, 24)} == set(permutations(range(4)))


@pytest.mark.parametrize("size", [24, 32])  # 32 px: cells of 10.67 px
@pytest.mark.parametrize("jitter", [False, True])
def test_each_label_is_the_index_of_the_order_applied(jitter, size):
    task = make_task(jitter=jitter)
    cell_of = ((torch.arange(size) + 0.5) * 3 / size).long()  # cell row/column of each pixel
    cells = cell_of[:, None] * 3 + cell_of[None, :]  # [S, S]: cell k filled with k
    view = cells.float().expand(16, 1, size, size)
    torch.manual_seed(0)
    puzzles, labels = task.make_puzzles(view)
    assert puzzles.shape == view.shape and labels.shape == (16,)
    assert len(set(labels.tolist())) > 1
    # output cell j shows input cell perms[label][j]: every pixel, with no bleeding
    expected = task.perms[labels][:, cells].float().unsqueeze(1)
    torch.testing.assert_close(puzzles, expected)


def test_finite_loss_logs_and_gradient_reach_the_first_layer():
    task = make_task()
    loss, logs = task.training_step(make_batch())
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert set(logs) == {"accuracy"} and 0 <= logs["accuracy"] <= 1
    loss.backward()
    grad = task.encoder[0].weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_state_dict_round_trip_gives_the_same_loss():
    task, batch = make_task(seed=0), make_batch()
    assert_loading_the_state_dict_gives_the_same_loss(task, make_task(seed=1), batch)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    task, batch = make_task(), make_batch(4)
    before, after = losses_before_and_after_adamw_steps(
        task, batch, steps=6, seed=7, reseed_every_step=True
    )
    assert after < 0.9 * before


@pytest.mark.parametrize(
    "options", [{"grid": 1}, {"grid": 2, "permutations": 25}, {"tile_fraction": 0.0}]
)
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="jigsaw"):
        make_task(**options)
