"""Jigsaw: the permutation set, labels match the applied order, gradients, round trip."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.jigsaw import Jigsaw, JigsawConfig, permutation_set

SIZE = 32


class StandInAugment(nn.Module):
    """The augmentation's signature: real units -> standardized view, new noise per call."""

    def forward(self, x, low, high, boxes):
        unit = (x - low[:, None, None, None]) / (high - low)[:, None, None, None]
        return (unit + 0.01 * torch.randn_like(unit) - 0.5) / 0.25


def make_batch(n: int = 8) -> ImageBatch:
    g = torch.Generator().manual_seed(123)
    x = torch.rand(n, 1, SIZE, SIZE, generator=g) * 1000 - 500
    box = torch.tensor([0.0, 0.0, SIZE, SIZE]).expand(n, 4)
    return ImageBatch(x, torch.full((n,), -500.0), torch.full((n,), 500.0), box, torch.arange(n))


def make_task(seed: int = 0, **options) -> Jigsaw:
    torch.manual_seed(seed)
    backbone = build_backbone("cnn-small", in_channels=1, image_size=SIZE)
    return Jigsaw(JigsawConfig(**options), backbone, StandInAugment())


def seeded_loss(task: Jigsaw, batch: ImageBatch, seed: int = 7) -> torch.Tensor:
    torch.manual_seed(seed)
    return task.training_step(batch)[0]


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
    fresh = make_task(seed=1)
    assert seeded_loss(fresh, batch) != seeded_loss(task, batch)
    fresh.load_state_dict(task.state_dict())
    torch.testing.assert_close(seeded_loss(fresh, batch), seeded_loss(task, batch))


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    task, batch = make_task(), make_batch(4)
    opt = torch.optim.AdamW(task.parameters(), lr=1e-3)
    before = seeded_loss(task, batch).item()
    for _ in range(6):
        opt.zero_grad()
        seeded_loss(task, batch).backward()
        opt.step()
    assert seeded_loss(task, batch).item() < 0.9 * before


@pytest.mark.parametrize(
    "options", [{"grid": 1}, {"grid": 2, "permutations": 25}, {"tile_fraction": 0.0}]
)
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="jigsaw"):
        make_task(**options)
