"""SimCLR smoke test on a tiny CPU setup: loss, gradients, checkpoint round trip, learning."""

from __future__ import annotations

import pytest
import torch

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.simclr import SimCLR, SimCLRConfig, partner_accuracy

from task_testing import (
    StandInAugment,
    assert_identical_eval_embeddings,
    assert_identical_training_loss,
    image_batch,
    losses_before_and_after_adamw_steps,
    seeded_backbone,
)


def make_batch(seed: int = 0, n: int = 8) -> ImageBatch:
    """n 40 px images, for random 32 px crops."""
    return image_batch(n, 40, seed)


def make_task(seed: int = 0, **options) -> SimCLR:
    augment = StandInAugment(noise=0.1, crop=32)
    return SimCLR(SimCLRConfig(**options), seeded_backbone(seed, image_size=32), augment)


def test_loss_is_finite_and_gradients_reach_the_encoder():
    task = make_task()
    loss, logs = task.training_step(make_batch())
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert set(logs) == {"accuracy"} and 0.0 <= logs["accuracy"] <= 1.0
    loss.backward()
    first = task.encoder[0].weight
    assert first.grad is not None and first.grad.abs().sum() > 0
    assert task.projector[0].weight.grad.abs().sum() > 0


def test_partner_accuracy_counts_views_whose_nearest_is_their_partner():
    e = torch.eye(3)
    assert partner_accuracy(e, e) == 1.0
    assert partner_accuracy(e, e[[1, 2, 0]]) == 0.0  # every partner is another image's copy


def test_state_dict_round_trip_gives_identical_embeddings_and_loss():
    task, batch = make_task(0), make_batch()
    task.training_step(batch)  # moves the BatchNorm running statistics
    copy = make_task(1)  # other initial weights
    copy.load_state_dict(task.state_dict())
    x = assert_identical_eval_embeddings(task, copy, image_size=32)
    assert task.embed(x).shape == (4, 256)
    assert_identical_training_loss(task, copy, batch)


def test_a_few_adamw_steps_reduce_the_loss():
    before, after = losses_before_and_after_adamw_steps(
        make_task(), make_batch(), steps=6, seed=123
    )
    assert after < before


def test_bad_options_and_a_missing_augmentation_are_clear_errors():
    with pytest.raises(ConfigError, match="temperature"):
        make_task(temperature=0.0)
    task = SimCLR(SimCLRConfig(), build_backbone("cnn-small", in_channels=1, image_size=32))
    with pytest.raises(ConfigError, match="augmentation"):
        task.training_step(make_batch())
    assert SimCLR.name == "simclr" and SimCLR.modalities == ("image",)
