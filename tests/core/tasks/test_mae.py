"""MAE: masking, patch order, loss on hidden patches only, gradients, round trip, learning."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.data.loaders import ImageBatch
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.losses import masked_mse
from ssl_studio.core.tasks.mae import MAE, MAEConfig
from ssl_studio.core.tasks.masking import (
    gather_tokens,
    num_visible,
    patchify,
    random_masking,
    unpatchify,
)

from task_testing import (
    StandInAugment,
    assert_loading_the_state_dict_gives_the_same_loss,
    image_batch,
    losses_before_and_after_adamw_steps,
    seeded_backbone,
    seeded_loss,
)

SIZE, PATCH = 32, 8  # 4 x 4 = 16 patches


def make_batch(n: int = 4) -> ImageBatch:
    return image_batch(n, SIZE, seed=123)


def make_task(seed: int = 0, **options) -> MAE:
    augment = StandInAugment(noise=0.04)  # 0.01 before standardization
    return MAE(
        MAEConfig(**options), seeded_backbone(seed, SIZE, "vit-tiny", patch_size=PATCH), augment
    )


def test_finite_loss_logs_and_gradient_reach_the_first_layer():
    task = make_task()
    loss, logs = task.training_step(make_batch())
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert logs["masked_fraction"] == 0.75 and set(logs) == {"masked_fraction", "thumbnail_loss"}
    loss.backward()
    grad = task.encoder.conv_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_state_dict_round_trip_gives_the_same_loss():
    task, batch = make_task(seed=0), make_batch()
    assert_loading_the_state_dict_gives_the_same_loss(task, make_task(seed=1), batch)


def test_a_few_steps_on_a_fixed_batch_reduce_the_loss():
    task, batch = make_task(), make_batch()
    before, after = losses_before_and_after_adamw_steps(
        task, batch, steps=6, seed=7, reseed_every_step=True
    )
    assert after < 0.9 * before


@pytest.mark.parametrize(("ratio", "visible"), [(0.75, 4), (0.5, 8), (0.6, 6), (0.9, 2)])
def test_masking_keeps_exactly_the_requested_patches_in_every_sample(ratio, visible):
    assert num_visible(16, ratio) == visible
    draw = random_masking(8, 16, visible)
    assert draw.keep.shape == (8, visible)
    assert (draw.mask.sum(dim=1) == 16 - visible).all()
    assert (draw.mask.gather(1, draw.keep) == 0).all()  # the kept patches are the unmasked ones
    assert all(len(set(row.tolist())) == visible for row in draw.keep)
    # restore undoes the shuffle: visible tokens first, then hidden, back in patch order
    tokens = torch.arange(16.0).expand(8, 16).unsqueeze(-1)
    shuffled = torch.cat(
        [gather_tokens(tokens, draw.keep), tokens.new_zeros(8, 16 - visible, 1)], 1
    )
    restored = gather_tokens(shuffled, draw.restore).squeeze(-1)
    assert torch.equal(restored * (1 - draw.mask), tokens.squeeze(-1) * (1 - draw.mask))

    task = make_task(mask_ratio=ratio)
    view = torch.randn(5, 1, SIZE, SIZE)
    with torch.no_grad():
        _, _, mask = task.reconstruct(view)
    assert (mask.sum(dim=1) == 16 - visible).all()


def test_the_loss_only_depends_on_the_masked_patches():
    task, batch = make_task(thumbnail=0.0), make_batch()  # (MAE's own loss: no thumbnail)
    torch.manual_seed(3)
    view = task.augment(batch.x, batch.low, batch.high, batch.boxes)
    pred, target, mask = task.reconstruct(view)
    loss = masked_mse(pred, target, mask)
    torch.testing.assert_close(loss, seeded_loss(task, batch, seed=3))  # what training uses

    hidden = mask.bool().unsqueeze(-1)
    noise = 10 * torch.randn_like(pred)
    assert masked_mse(torch.where(hidden, pred, pred + noise), target, mask) == loss
    assert masked_mse(torch.where(hidden, pred + noise, pred), target, mask) != loss
    leaf = pred.detach().requires_grad_()
    masked_mse(leaf, target, mask).backward()
    assert (leaf.grad[~mask.bool()] == 0).all() and (leaf.grad[mask.bool()] != 0).any()


def test_patchify_round_trip_and_the_vit_patch_order():
    x = torch.randn(2, 3, 16, 16)
    patches = patchify(x, 4)
    assert patches.shape == (2, 16, 4 * 4 * 3)
    assert torch.equal(unpatchify(patches, 4, 3), x)
    # patch j = (row, column) = divmod(j, 4), flattened as (pixel row, pixel column, channel)
    assert torch.equal(patches[:, 6], x[:, :, 4:8, 8:12].permute(0, 2, 3, 1).reshape(2, -1))
    # the same order as a ViT's conv_proj(x).flatten(2): a patch embedding is a linear map
    conv = nn.Conv2d(3, 5, kernel_size=4, stride=4)
    tokens = conv(x).flatten(2).transpose(1, 2)
    weight = conv.weight.permute(0, 2, 3, 1).reshape(5, -1)
    torch.testing.assert_close(tokens, patches @ weight.T + conv.bias)


def test_a_non_vit_backbone_is_refused():
    backbone = build_backbone("cnn-small", in_channels=1, image_size=SIZE)
    with pytest.raises(ConfigError, match="vit-tiny or vit-small"):
        MAE(MAEConfig(), backbone, StandInAugment(noise=0.04))


@pytest.mark.parametrize(
    "options",
    [{"mask_ratio": 1.0}, {"mask_ratio": 0.99}, {"decoder_dim": 30}, {"thumbnail": -1.0}],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ConfigError, match="mae"):
        make_task(**options)


def test_the_class_token_predicts_each_patch_s_mean_hidden_patches_too():
    """Plain MAE's loss never needs the class token (the embedding everything downstream
    reads); the thumbnail target does: the mean of all L patches, hidden ones included."""
    task, batch = make_task(thumbnail=2.5), make_batch()
    torch.manual_seed(5)
    loss, logs = task.training_step(batch)
    torch.manual_seed(5)  # the same view and mask again
    view = task.augment(batch.x, batch.low, batch.high, batch.boxes)
    pred, target, mask, cls = task._masked_pass(view)
    means = view.reshape(4, 1, 4, PATCH, 4, PATCH).mean(dim=(1, 3, 5)).reshape(4, 16)
    coarse = torch.nn.functional.mse_loss(task.thumbnail_head(cls), means)
    assert means.shape == (4, task.num_patches) and task.visible == 4  # 16 targets, 4 seen
    torch.testing.assert_close(loss, masked_mse(pred, target, mask) + 2.5 * coarse)
    torch.testing.assert_close(float(logs["thumbnail_loss"]), float(coarse.detach()))
    loss.backward()
    assert task.encoder.class_token.grad.abs().sum() > 0


def test_the_thumbnail_s_gradient_reaches_the_class_token_and_plain_mae_has_no_head():
    task, batch = make_task(), make_batch()
    torch.manual_seed(5)
    view = task.augment(batch.x, batch.low, batch.high, batch.boxes)
    _, _, _, cls = task._masked_pass(view)
    task.thumbnail_loss(view, cls).backward()
    assert task.encoder.class_token.grad.abs().sum() > 0
    plain = make_task(thumbnail=0.0)
    assert plain.thumbnail_head is None
    assert "thumbnail_loss" not in plain.training_step(batch)[1]


def test_runs_recorded_before_the_thumbnail_existed_rebuild_and_resume_without_it():
    import dataclasses

    from ssl_studio.core.tasks.registry import build_task, recorded_options

    old = make_task(thumbnail=0.0)
    recorded = dataclasses.asdict(old.cfg)
    del recorded["thumbnail"]
    options = recorded_options("mae", recorded)
    assert options["thumbnail"] == 0.0
    backbone = seeded_backbone(1, SIZE, "vit-tiny", patch_size=PATCH)
    rebuilt = build_task("mae", options, backbone, StandInAugment(noise=0.04))
    rebuilt.load_state_dict(old.state_dict())  # strict: the same modules
    assert rebuilt.thumbnail_head is None
    assert recorded_options("mae", {**recorded, "thumbnail": 1.0})["thumbnail"] == 1.0
