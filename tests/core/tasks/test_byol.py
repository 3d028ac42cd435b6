"""BYOL smoke test on a tiny CPU setup: loss, gradients, target EMA, checkpoints, learning."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.byol import BYOL, BYOLConfig

from task_testing import (
    StandInAugment,
    assert_identical_eval_embeddings,
    assert_identical_training_loss,
    assert_one_ema_step,
    image_batch,
    losses_before_and_after_adamw_steps,
    perturb_online,
    seeded_backbone,
)


def make_batch(seed: int = 0, n: int = 8) -> ImageBatch:
    """n 40 px images, for random 32 px crops."""
    return image_batch(n, 40, seed)


def make_task(seed: int = 0, **options) -> BYOL:
    augment = StandInAugment(noise=0.1, crop=32)
    return BYOL(BYOLConfig(**options), seeded_backbone(seed, image_size=32), augment)


def target_parameters(task: BYOL) -> list[nn.Parameter]:
    return [*task.target_encoder.parameters(), *task.target_projector.parameters()]


def test_loss_is_finite_and_only_the_online_network_gets_gradients():
    task = make_task()
    loss, logs = task.training_step(make_batch())
    assert loss.ndim == 0 and torch.isfinite(loss) and 0.0 <= float(loss.detach()) <= 8.0
    assert set(logs) == {"cosine"} and -1.0 <= logs["cosine"] <= 1.0
    loss.backward()
    first = task.encoder[0].weight
    assert first.grad is not None and first.grad.abs().sum() > 0
    assert task.predictor[0].weight.grad.abs().sum() > 0
    trainable = {id(p) for p in task.parameters() if p.requires_grad}
    for p in target_parameters(task):
        assert not p.requires_grad and p.grad is None and id(p) not in trainable


def test_on_step_end_moves_the_target_by_one_ema_step():
    task = make_task(momentum=0.9)
    perturb_online(task)
    online = [*task.encoder.parameters(), *task.projector.parameters()]
    assert_one_ema_step(task, target_parameters(task), online, base=0.9, step=3, total_steps=10)
    snapshot = [p.clone() for p in target_parameters(task)]
    task.on_step_end(10, 10)  # tau reaches 1.0 at the end of the run: the target stays put
    for old, new in zip(snapshot, target_parameters(task), strict=True):
        torch.testing.assert_close(new, old, rtol=0, atol=0)


def test_state_dict_round_trip_gives_identical_embeddings_and_loss():
    task, batch = make_task(0), make_batch()
    perturb_online(task)
    task.training_step(batch)
    task.on_step_end(1, 10)  # the target now differs from both networks of a fresh task
    copy = make_task(1)
    copy.load_state_dict(task.state_dict())
    x = assert_identical_eval_embeddings(task, copy, image_size=32)
    assert torch.equal(task.embed(x), task.encoder(x))  # the online encoder, not the target
    assert_identical_training_loss(task, copy, batch)


def test_a_few_adamw_steps_reduce_the_loss():
    before, after = losses_before_and_after_adamw_steps(
        make_task(), make_batch(), steps=6, seed=123
    )
    assert after < before


def test_bad_options_and_a_missing_augmentation_are_clear_errors():
    with pytest.raises(ConfigError, match="momentum"):
        make_task(momentum=1.5)
    task = BYOL(BYOLConfig(), build_backbone("cnn-small", in_channels=1, image_size=32))
    with pytest.raises(ConfigError, match="augmentation"):
        task.training_step(make_batch())
    assert BYOL.name == "byol" and BYOL.modalities == ("image",)
