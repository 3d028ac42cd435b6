"""BYOL smoke test on a tiny CPU setup: loss, gradients, target EMA, checkpoints, learning."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.byol import BYOL, BYOLConfig


class CropNoise(nn.Module):
    """Stand-in for ImageAugment: per-sample random 32 px crop, windowing, noise."""

    def forward(self, x, low, high, boxes):
        u = (x - low.view(-1, 1, 1, 1)) / (high - low).view(-1, 1, 1, 1)
        offsets = torch.randint(0, x.shape[-1] - 32 + 1, (len(x), 2)).tolist()
        crops = torch.stack([u[i, :, a : a + 32, b : b + 32] for i, (a, b) in enumerate(offsets)])
        return (crops - 0.5) / 0.25 + 0.1 * torch.randn_like(crops)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny convolutions run fastest on one thread, and then do not fight other processes."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_batch(seed: int = 0, n: int = 8) -> ImageBatch:
    """n one-channel 40 px images in Hounsfield-like units."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 40, 40, generator=g) * 1000 - 500
    full = torch.tensor([0.0, 0.0, 40.0, 40.0]).repeat(n, 1)
    return ImageBatch(x, torch.full((n,), -500.0), torch.full((n,), 500.0), full, torch.arange(n))


def make_task(seed: int = 0, **options) -> BYOL:
    torch.manual_seed(seed)
    backbone = build_backbone("cnn-small", in_channels=1, image_size=32)
    return BYOL(BYOLConfig(**options), backbone, CropNoise())


def target_parameters(task: BYOL) -> list[nn.Parameter]:
    return [*task.target_encoder.parameters(), *task.target_projector.parameters()]


@torch.no_grad()
def perturb_online(task: BYOL) -> None:
    """Make the online network differ from its target copy."""
    for p in task.parameters():
        if p.requires_grad:
            p.add_(0.05 * torch.randn_like(p))


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
    before = [p.clone() for p in target_parameters(task)]
    online = [*task.encoder.parameters(), *task.projector.parameters()]
    task.on_step_end(3, 10)
    tau = 1 - 0.1 * (math.cos(0.3 * math.pi) + 1) / 2
    for old, new, o in zip(before, target_parameters(task), online, strict=True):
        torch.testing.assert_close(new, tau * old + (1 - tau) * o)
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
    task.eval(), copy.eval()
    x = torch.randn(4, 1, 32, 32)
    torch.testing.assert_close(task.embed(x), copy.embed(x), rtol=0, atol=0)
    assert torch.equal(task.embed(x), task.encoder(x))  # the online encoder, not the target
    task.train(), copy.train()
    losses = []
    for model in (task, copy):
        torch.manual_seed(7)
        losses.append(model.training_step(batch)[0])
    torch.testing.assert_close(losses[0], losses[1], rtol=0, atol=0)


def test_a_few_adamw_steps_reduce_the_loss():
    task, batch = make_task(), make_batch()
    optimizer = torch.optim.AdamW([p for p in task.parameters() if p.requires_grad], lr=1e-3)

    def seeded_loss() -> float:
        torch.manual_seed(123)
        with torch.no_grad():
            return float(task.training_step(batch)[0])

    before = seeded_loss()
    for step in range(1, 7):
        loss, _ = task.training_step(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        task.on_step_end(step, 6)
    assert seeded_loss() < before


def test_bad_options_and_a_missing_augmentation_are_clear_errors():
    with pytest.raises(ConfigError, match="momentum"):
        make_task(momentum=1.5)
    task = BYOL(BYOLConfig(), build_backbone("cnn-small", in_channels=1, image_size=32))
    with pytest.raises(ConfigError, match="augmentation"):
        task.training_step(make_batch())
    assert BYOL.name == "byol" and BYOL.modalities == ("image",)
