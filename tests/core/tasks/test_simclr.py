"""SimCLR smoke test on a tiny CPU setup: loss, gradients, checkpoint round trip, learning."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.simclr import SimCLR, SimCLRConfig, partner_accuracy


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


def make_task(seed: int = 0, **options) -> SimCLR:
    torch.manual_seed(seed)
    backbone = build_backbone("cnn-small", in_channels=1, image_size=32)
    return SimCLR(SimCLRConfig(**options), backbone, CropNoise())


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
    task.eval(), copy.eval()
    x = torch.randn(4, 1, 32, 32)
    torch.testing.assert_close(task.embed(x), copy.embed(x), rtol=0, atol=0)
    assert task.embed(x).shape == (4, 256)
    task.train(), copy.train()
    losses = []
    for model in (task, copy):
        torch.manual_seed(7)
        losses.append(model.training_step(batch)[0])
    torch.testing.assert_close(losses[0], losses[1], rtol=0, atol=0)


def test_a_few_adamw_steps_reduce_the_loss():
    task, batch = make_task(), make_batch()
    optimizer = torch.optim.AdamW(task.parameters(), lr=1e-3)

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
    with pytest.raises(ConfigError, match="temperature"):
        make_task(temperature=0.0)
    task = SimCLR(SimCLRConfig(), build_backbone("cnn-small", in_channels=1, image_size=32))
    with pytest.raises(ConfigError, match="augmentation"):
        task.training_step(make_batch())
    assert SimCLR.name == "simclr" and SimCLR.modalities == ("image",)
