"""Rotation: labels say where a corner marker went, the 4N layout, gradients, round trip."""

from __future__ import annotations

import torch

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.tasks.rotation import Rotation, RotationConfig

from task_testing import (
    StandInAugment,
    assert_loading_the_state_dict_gives_the_same_loss,
    image_batch,
    losses_before_and_after_adamw_steps,
    seeded_backbone,
)

SIZE = 32
# where a marker put in the top-left corner lands after k quarter turns counter-clockwise
CORNER = {0: (0, 0), 1: (SIZE - 1, 0), 2: (SIZE - 1, SIZE - 1), 3: (0, SIZE - 1)}


def make_batch(n: int = 4) -> ImageBatch:
    return image_batch(n, SIZE, seed=123)


def make_task(seed: int = 0, **options) -> Rotation:
    augment = StandInAugment(noise=0.04)  # 0.01 before standardization
    return Rotation(RotationConfig(**options), seeded_backbone(seed, SIZE), augment)


def marked_views(n: int) -> torch.Tensor:
    """[n, 1, S, S] zeros with a marker i + 1 in the top-left corner of view i."""
    views = torch.zeros(n, 1, SIZE, SIZE)
    views[:, 0, 0, 0] = torch.arange(1.0, n + 1)
    return views


def marker_corner(view: torch.Tensor) -> tuple[int, int]:
    row, col = divmod(int(view.abs().flatten().argmax()), SIZE)
    return row, col


def test_all_rotations_labels_and_the_4n_layout():
    task, n = make_task(), 3
    views, labels = task.make_rotations(marked_views(n))
    assert views.shape == (4 * n, 1, SIZE, SIZE)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    for k in range(4):
        for i in range(n):
            view = views[k * n + i]  # block k holds the whole batch turned k times
            assert marker_corner(view) == CORNER[k]
            assert view.max() == i + 1


def test_one_random_rotation_per_sample_labels():
    task, n = make_task(all_rotations=False), 32
    torch.manual_seed(0)
    views, labels = task.make_rotations(marked_views(n))
    assert views.shape == (n, 1, SIZE, SIZE) and labels.shape == (n,)
    assert set(labels.tolist()) == {0, 1, 2, 3}
    for i, (view, label) in enumerate(zip(views, labels.tolist(), strict=True)):
        assert marker_corner(view) == CORNER[label] and view.max() == i + 1


def test_finite_loss_logs_and_gradient_reach_the_first_layer():
    for all_rotations in (True, False):
        task = make_task(all_rotations=all_rotations)
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
    task, batch = make_task(), make_batch()
    before, after = losses_before_and_after_adamw_steps(
        task, batch, steps=8, seed=7, reseed_every_step=True
    )
    assert after < 0.9 * before
