"""Helpers the pretext-task tests share: a stand-in augmentation, tiny batches and backbones,
seeded losses, and the learning and checkpoint round-trip routines.

The tests import it as ``from task_testing import ...``: tests/ is not a package, so pytest
puts this folder on sys.path.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.models.backbones import Backbone, build_backbone
from ssl_studio.core.tasks.base import PretextTask


class StandInAugment(nn.Module):
    """Stand-in for ImageAugment, with its signature: real units -> standardized view.

    Windows x to [0, 1] with low and high, optionally takes a random ``crop`` px square per
    sample, standardizes (mean 0.5, std 0.25) and adds new Gaussian noise of std ``noise``
    (in standardized units) on every call.
    """

    def __init__(self, noise: float, crop: int | None = None) -> None:
        super().__init__()
        self.noise = noise
        self.crop = crop

    def forward(self, x, low, high, boxes):
        unit = (x - low.view(-1, 1, 1, 1)) / (high - low).view(-1, 1, 1, 1)
        if self.crop is not None:
            c = self.crop
            offsets = torch.randint(0, x.shape[-1] - c + 1, (len(x), 2)).tolist()
            unit = torch.stack(
                [unit[i, :, a : a + c, b : b + c] for i, (a, b) in enumerate(offsets)]
            )
        return (unit - 0.5) / 0.25 + self.noise * torch.randn_like(unit)


def image_batch(n: int, size: int, seed: int, first_index: int = 0) -> ImageBatch:
    """n one-channel size px images in Hounsfield-like units (window -500..500), each image's
    whole area as its box, items first_index.. onwards."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, size, size, generator=g) * 1000 - 500
    boxes = torch.tensor([0.0, 0.0, size, size]).repeat(n, 1)
    index = torch.arange(first_index, first_index + n)
    return ImageBatch(x, torch.full((n,), -500.0), torch.full((n,), 500.0), boxes, index)


def seeded_backbone(seed: int, image_size: int, name: str = "cnn-small", **options) -> Backbone:
    """A one-channel backbone built right after torch.manual_seed(seed), so that its weights and
    those of the heads a task builds next follow the seed."""
    torch.manual_seed(seed)
    return build_backbone(name, in_channels=1, image_size=image_size, **options)


def seeded_loss(task: PretextTask, batch: ImageBatch, seed: int = 7) -> torch.Tensor:
    """The training loss on batch with the random draws (views, masks, labels) of ``seed``."""
    torch.manual_seed(seed)
    return task.training_step(batch)[0]


@torch.no_grad()
def perturb_online(task: PretextTask) -> None:
    """Make the online (trainable) network differ from its momentum or target copy."""
    for p in task.parameters():
        if p.requires_grad:
            p.add_(0.05 * torch.randn_like(p))


def assert_one_ema_step(
    task: PretextTask,
    copy: list[nn.Parameter],
    online: list[nn.Parameter],
    base: float,
    step: int,
    total_steps: int,
) -> list[torch.Tensor]:
    """task.on_step_end(step, total_steps) moves each parameter of the momentum copy to
    m * old + (1 - m) * online, m rising on a cosine from ``base`` to 1 (worked out here by
    hand). Returns the copy's values from before the step."""
    before = [p.clone() for p in copy]
    task.on_step_end(step, total_steps)
    m = 1 - (1 - base) * (math.cos(step / total_steps * math.pi) + 1) / 2
    for old, new, o in zip(before, copy, online, strict=True):
        torch.testing.assert_close(new, m * old + (1 - m) * o)
    return before


def losses_before_and_after_adamw_steps(
    task: PretextTask, batch: ImageBatch, steps: int, seed: int, reseed_every_step: bool = False
) -> tuple[float, float]:
    """The loss on batch with the random draws of ``seed``, before and after ``steps`` AdamW
    steps (lr 1e-3) on that batch; task.on_step_end follows each step (momentum networks).

    The training steps use new random draws each, or, with reseed_every_step, those of seed.
    """
    optimizer = torch.optim.AdamW([p for p in task.parameters() if p.requires_grad], lr=1e-3)

    def measured() -> float:
        with torch.no_grad():
            return float(seeded_loss(task, batch, seed))

    before = measured()
    for step in range(1, steps + 1):
        if reseed_every_step:
            torch.manual_seed(seed)
        loss, _ = task.training_step(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        task.on_step_end(step, steps)
    return before, measured()


def assert_identical_eval_embeddings(
    task: PretextTask, copy: PretextTask, image_size: int
) -> torch.Tensor:
    """Puts both in eval mode and checks that they embed a random batch bit for bit alike;
    returns that batch, [4, 1, image_size, image_size]."""
    task.eval(), copy.eval()
    x = torch.randn(4, 1, image_size, image_size)
    torch.testing.assert_close(task.embed(x), copy.embed(x), rtol=0, atol=0)
    return x


def assert_identical_training_loss(task: PretextTask, copy: PretextTask, batch: ImageBatch) -> None:
    """Puts both in train mode and checks that their seeded losses are bit for bit alike."""
    task.train(), copy.train()
    torch.testing.assert_close(seeded_loss(task, batch), seeded_loss(copy, batch), rtol=0, atol=0)


def assert_loading_the_state_dict_gives_the_same_loss(
    task: PretextTask, fresh: PretextTask, batch: ImageBatch
) -> None:
    """fresh (other initial weights) has another seeded loss until it loads task's state_dict,
    and then the same one."""
    assert seeded_loss(fresh, batch) != seeded_loss(task, batch)
    fresh.load_state_dict(task.state_dict())
    torch.testing.assert_close(seeded_loss(fresh, batch), seeded_loss(task, batch))
