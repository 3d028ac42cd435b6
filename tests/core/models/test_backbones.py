"""Image backbones: shapes for any channel count, gradients, stems, ViT token API, errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import (
    BACKBONES,
    DEFAULT_IMAGE_BACKBONE,
    IMAGE_BACKBONES,
    build_backbone,
    count_parameters,
)
from ssl_studio.core.models.vit import ViTEncoder

DIMS = {
    "cnn-small": 256,
    "resnet18": 512,
    "resnet34": 512,
    "resnet50": 2048,
    "vit-tiny": 192,
    "vit-small": 384,
}
# (name, in_channels, image_size, batch): small sizes keep the file fast on a CPU.
CASES = [
    ("cnn-small", 1, 64, 4),
    ("cnn-small", 3, 32, 4),
    ("cnn-small", 5, 48, 4),
    ("resnet18", 1, 32, 2),
    ("resnet18", 3, 32, 2),
    ("resnet18", 5, 128, 2),
    ("resnet34", 1, 32, 2),
    ("resnet34", 3, 32, 2),
    ("resnet50", 1, 32, 2),
    ("resnet50", 3, 32, 2),
    ("vit-tiny", 1, 32, 2),
    ("vit-tiny", 3, 64, 2),
    ("vit-tiny", 5, 32, 2),
    ("vit-small", 1, 32, 2),
    ("vit-small", 3, 32, 2),
]


@pytest.mark.parametrize(("name", "channels", "size", "batch"), CASES)
def test_shape_and_gradient_reach_the_first_layer(name, channels, size, batch):
    torch.manual_seed(0)
    bb = build_backbone(name, in_channels=channels, image_size=size)
    assert (bb.name, bb.dim, bb.modality) == (name, DIMS[name], "image")
    assert bb.is_cnn == (not name.startswith("vit"))
    out = bb.module(torch.randn(batch, channels, size, size))
    assert out.shape == (batch, bb.dim)
    out.square().mean().backward()
    stem = next(m for m in bb.module.modules() if isinstance(m, nn.Conv2d))
    assert stem.in_channels == channels
    assert stem.weight.grad is not None and stem.weight.grad.abs().sum() > 0


def test_registry_covers_the_image_backbones():
    assert set(IMAGE_BACKBONES) <= set(BACKBONES)
    assert IMAGE_BACKBONES[0] == DEFAULT_IMAGE_BACKBONE == "cnn-small"


def test_unknown_backbone_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="nope") as err:
        build_backbone("nope", in_channels=1, image_size=32)
    assert all(name in str(err.value) for name in IMAGE_BACKBONES)


def test_unknown_option_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="patch_size"):
        build_backbone("vit-tiny", in_channels=1, image_size=32, depth=3)


@pytest.mark.parametrize("channels", [0, -1])
def test_channel_count_must_be_positive(channels):
    with pytest.raises(ConfigError, match="in_channels"):
        build_backbone("cnn-small", in_channels=channels, image_size=32)


def test_vit_image_size_not_divisible_by_patch_size():
    with pytest.raises(ConfigError, match="multiple of 8"):
        build_backbone("vit-tiny", in_channels=1, image_size=50)  # default patch 8
    with pytest.raises(ConfigError, match="not divisible"):
        build_backbone("vit-tiny", in_channels=1, image_size=64, patch_size=6)


@pytest.mark.parametrize(("size", "patch"), [(32, 4), (64, 8), (96, 8), (128, 16), (224, 16)])
def test_vit_default_patch_size(size, patch):
    enc = build_backbone("vit-tiny", in_channels=1, image_size=size).module
    assert isinstance(enc, ViTEncoder)
    assert (enc.patch_size, enc.num_patches, enc.dim) == (patch, (size // patch) ** 2, 192)


def test_resnet_stem_follows_image_size():
    small = build_backbone("resnet18", in_channels=1, image_size=96).module
    assert small.conv1.kernel_size == (3, 3) and small.conv1.stride == (1, 1)
    assert isinstance(small.maxpool, nn.Identity)
    large = build_backbone("resnet18", in_channels=1, image_size=97).module
    assert large.conv1.kernel_size == (7, 7) and large.conv1.stride == (2, 2)
    assert isinstance(large.maxpool, nn.MaxPool2d)
    forced = build_backbone("resnet18", in_channels=1, image_size=32, cifar_stem=False).module
    assert forced.conv1.kernel_size == (7, 7)


def test_vit_encodes_any_subset_of_patches():
    torch.manual_seed(0)
    enc = build_backbone("vit-tiny", in_channels=3, image_size=32).module
    x = torch.randn(3, 3, 32, 32)
    tokens = enc.embed(x)
    assert tokens.shape == (3, enc.num_patches, 192)
    keep = torch.randperm(enc.num_patches)[:16]
    out = enc.encode(tokens[:, keep])
    assert out.shape == (3, 1 + len(keep), 192)
    out[:, 0].square().mean().backward()  # (a plain sum of LayerNorm outputs has no gradient)
    assert enc.conv_proj.weight.grad.abs().sum() > 0


def test_vit_forward_is_the_class_token_of_encode_and_matches_torchvision():
    torch.manual_seed(0)
    enc = build_backbone("vit-tiny", in_channels=1, image_size=32).module.eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        out = enc(x)
        torch.testing.assert_close(out, enc.encode(enc.embed(x))[:, 0])
        # torchvision's own path: class token prepended, then pos_embedding added in encoder.
        patches = enc.conv_proj(x).flatten(2).transpose(1, 2)
        cls = enc.class_token.expand(2, -1, -1)
        reference = enc.encoder(torch.cat([cls, patches], dim=1))[:, 0]
    torch.testing.assert_close(out, reference)


def test_vit_rejects_images_of_another_size():
    enc = build_backbone("vit-tiny", in_channels=1, image_size=32).module
    with pytest.raises(ValueError, match="32x32"):
        enc.embed(torch.randn(1, 1, 64, 64))


def test_cnn_small_is_small():
    bb = build_backbone(DEFAULT_IMAGE_BACKBONE, in_channels=1, image_size=64)
    assert count_parameters(bb.module) < 1_500_000


def test_cnn_small_refuses_images_it_would_pool_to_nothing():
    with pytest.raises(ConfigError, match="at least 8 px"):
        build_backbone("cnn-small", in_channels=1, image_size=6)
