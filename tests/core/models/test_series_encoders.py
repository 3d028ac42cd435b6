"""1-D series encoders: shapes, masked pooling, missing values, latent masking, registry."""

from __future__ import annotations

import pytest
import torch

from ssl_studio.core.config import DEFAULT_SERIES_BACKBONE
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import (
    BACKBONES,
    SERIES_BACKBONES,
    backbone_options,
    build_backbone,
)
from ssl_studio.core.models.series import PatchTransformerEncoder, SeriesEncoder, TSConvEncoder

NAMES = ["ts-conv", "ts-patch"]
DIMS = {"ts-conv": 320, "ts-patch": 128}


def encoder(name: str, channels: int, **options) -> SeriesEncoder:
    """A fresh, seeded encoder ``name`` for ``channels`` channels."""
    torch.manual_seed(0)
    module = build_backbone(name, in_channels=channels, **options).module
    assert isinstance(module, SeriesEncoder)
    return module


def random_series(n: int, c: int, t: int, missing: float = 0.3, seed: int = 1):
    """x: [n, c, t] with NaN where missing, observed: [n, c, t] bool."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c, t, generator=gen)
    observed = torch.rand(n, c, t, generator=gen) >= missing
    return x.masked_fill(~observed, float("nan")), observed


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("channels", [1, 3, 12])
@pytest.mark.parametrize("length", [7, 29, 150])
def test_shapes(name, channels, length):
    enc = encoder(name, channels)
    x, observed = random_series(2, channels, length)
    steps = enc.forward_steps(x, observed)
    assert steps.shape == (2, length, DIMS[name])
    assert enc(x, observed).shape == (2, DIMS[name])
    assert torch.isfinite(steps).all()


@pytest.mark.parametrize("name", NAMES)
def test_any_length_on_the_same_module(name):
    enc = encoder(name, 2).eval()
    for length in (1, 150, 7, 8, 9, 2):
        assert enc(torch.randn(3, 2, length)).shape == (3, DIMS[name])
        assert enc.forward_steps(*random_series(3, 2, length)).shape == (3, length, DIMS[name])


@pytest.mark.parametrize("name", NAMES)
def test_backbone_record(name):
    bb = build_backbone(name, in_channels=3)
    assert (bb.name, bb.dim, bb.modality, bb.is_cnn) == (name, DIMS[name], "timeseries", False)
    assert bb.module.dim == bb.dim


@pytest.mark.parametrize("name", NAMES)
def test_forward_is_the_max_over_observed_steps(name):
    enc = encoder(name, 3).eval()
    x, observed = random_series(4, 3, 40)
    observed[:, :, 30:] = False  # padding at the end
    observed[1, :, :5] = False  # and at the start of one series
    with torch.no_grad():
        pooled = enc(x, observed)
        steps = enc.forward_steps(x, observed)
        valid = observed.any(1)
        for i in range(4):
            torch.testing.assert_close(pooled[i], steps[i, valid[i]].amax(0))
        # Values at unobserved positions (padding included) change nothing at all.
        other = torch.where(observed, x, torch.randn_like(x) * 100)
        torch.testing.assert_close(enc(other, observed), pooled, rtol=0, atol=0)
        torch.testing.assert_close(enc.forward_steps(other, observed), steps, rtol=0, atol=0)
        # observed None means everything is observed.
        clean = torch.randn(2, 3, 40)
        torch.testing.assert_close(enc(clean), enc(clean, torch.ones_like(clean, dtype=bool)))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("train", [True, False])
def test_missing_values_never_give_nan(name, train):
    enc = encoder(name, 3).train(train)
    x, observed = random_series(4, 3, 50, missing=0.6)
    observed[1] = False
    observed[1, 2, 17] = True  # one value observed in the whole series
    observed[2] = False  # nothing observed at all
    observed[3, 0] = False  # one channel missing throughout
    x = x.requires_grad_()
    steps = enc.forward_steps(x, observed)
    pooled = enc(x, observed)
    assert torch.isfinite(steps).all() and torch.isfinite(pooled).all()
    assert (pooled[2] == 0).all()
    (steps.square().mean() + pooled.square().mean()).backward()
    assert all(torch.isfinite(p.grad).all() for p in enc.parameters() if p.grad is not None)
    assert torch.isfinite(x.grad[observed]).all()


def test_ts_conv_latent_mask_is_local():
    enc = encoder("ts-conv", 2, depth=2).eval()  # reach: 2*1 + 2*2 + 2*4 = 14 steps each side
    x, observed = random_series(2, 2, 80, missing=0.1)
    hide = torch.zeros(2, 80, dtype=torch.bool)
    hide[:, 40:42] = True
    with torch.no_grad():
        plain = enc.forward_steps(x, observed)
        hidden = enc.forward_steps(x, observed, hide)
    changed = (plain - hidden).abs().amax((0, 2)) > 0
    assert changed[40:42].all()
    assert not changed[: 40 - 14].any() and not changed[42 + 14 :].any()
    everything = enc.forward_steps(x, observed, torch.ones(2, 80, dtype=torch.bool))
    assert torch.isfinite(everything).all()


def test_ts_conv_hiding_everything_is_finite_at_default_depth():
    enc = encoder("ts-conv", 1)
    x, observed = random_series(2, 1, 29)
    out = enc.forward_steps(x, observed, torch.ones(2, 29, dtype=torch.bool))
    assert out.shape == (2, 29, 320) and torch.isfinite(out).all()


def test_ts_patch_latent_mask_hides_steps_like_missing_values():
    enc = encoder("ts-patch", 3).eval()
    x, observed = random_series(2, 3, 40, missing=0.1)
    hide = torch.zeros(2, 40, dtype=torch.bool)
    hide[:, 8:16] = True  # exactly the second patch
    with torch.no_grad():
        plain = enc.forward_steps(x, observed)
        hidden = enc.forward_steps(x, observed, hide)
        torch.testing.assert_close(hidden, enc.forward_steps(x, observed & ~hide[:, None]))
        assert (plain - hidden).abs().amax() > 0
        everything = enc.forward_steps(x, observed, torch.ones(2, 40, dtype=torch.bool))
    assert torch.isfinite(everything).all()


def test_ts_patch_steps_share_their_patch_vector():
    enc = encoder("ts-patch", 2).eval()
    with torch.no_grad():
        steps = enc.forward_steps(*random_series(2, 2, 20))  # patches 0-7, 8-15, 16-23
    for first, last in [(0, 8), (8, 16), (16, 20)]:
        assert (steps[:, first:last] == steps[:, first : first + 1]).all()
    assert (steps[:, 0] != steps[:, 8]).any()


@pytest.mark.parametrize("length", [7, 8, 29, 150])
def test_ts_patch_overlapping_patches(length):
    enc = encoder("ts-patch", 2, patch_len=8, stride=4)
    assert isinstance(enc, PatchTransformerEncoder)
    assert enc.num_patches(length) == max(0, -(-(length - 8) // 4)) + 1
    assert enc.forward_steps(*random_series(2, 2, length)).shape == (2, length, 128)


@pytest.mark.parametrize(("patch_len", "stride"), [(8, 8), (16, 6), (5, 1)])
def test_ts_patch_counts_patches_with_a_ceiling_at_every_length(patch_len, stride):
    # written without negative floor division (an exported program truncates those)
    enc = PatchTransformerEncoder(1, patch_len=patch_len, stride=stride, dim=8, depth=0)
    for length in range(1, 60):
        want = max(0, -(-(length - patch_len) // stride)) + 1
        assert enc.num_patches(length) == want, length


def test_ts_patch_long_inputs_are_encoded_in_windows():
    enc = encoder("ts-patch", 2, max_patches=4, positional="sine").eval()
    x, observed = random_series(2, 2, 100)  # 13 patches: windows of 4, 4, 4, 1
    with torch.no_grad():
        steps = enc.forward_steps(x, observed)
        first = enc.forward_steps(x[..., :32], observed[..., :32])
    assert steps.shape == (2, 100, 128) and torch.isfinite(steps).all()
    torch.testing.assert_close(steps[:, :32], first)


@pytest.mark.parametrize("name", NAMES)
def test_gradients_reach_the_input_projection(name):
    enc = encoder(name, 3)
    x, observed = random_series(2, 3, 29)
    enc(x, observed).square().mean().backward()
    grad = enc.input_proj.weight.grad
    assert grad is not None and grad.abs().sum() > 0


@pytest.mark.parametrize(
    ("name", "options"), [("ts-conv", {}), ("ts-patch", {"positional": "sine"})]
)
def test_state_dict_round_trip(name, options):
    enc = encoder(name, 3, **options).eval()
    torch.manual_seed(5)
    twin = build_backbone(name, in_channels=3, **options).module.eval()
    twin.load_state_dict(enc.state_dict())
    x, observed = random_series(2, 3, 29)
    with torch.no_grad():
        torch.testing.assert_close(twin(x, observed), enc(x, observed), rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_input_scaling_equals_feeding_standardized_values(name):
    """A scaled encoder on raw data == an unscaled one on data standardized by hand; the
    scaling travels in the state dict, and a state dict from before it existed loads as
    the identity (those models were trained on raw values)."""
    x, observed = random_series(3, 2, 40)
    mean, std = torch.tensor([100.0, -3.0]), torch.tensor([20.0, 0.5])
    raw = x * std[None, :, None] + mean[None, :, None]  # channels in very different units
    scaled = encoder(name, 2).eval()
    scaled.set_input_scaling(mean, std)
    plain = encoder(name, 2).eval()
    with torch.no_grad():
        torch.testing.assert_close(scaled(raw, observed), plain(x, observed))
        twin = encoder(name, 2).eval()
        twin.load_state_dict(scaled.state_dict())
        torch.testing.assert_close(twin(raw, observed), scaled(raw, observed), rtol=0, atol=0)
        scaling = ("input_shift", "input_scale")
        old = {k: v for k, v in plain.state_dict().items() if k not in scaling}
        twin.load_state_dict(old)
        assert torch.equal(twin.input_shift, torch.zeros(2))
        torch.testing.assert_close(twin(x, observed), plain(x, observed), rtol=0, atol=0)


def test_ts_conv_dropout_only_in_training():
    enc = encoder("ts-conv", 1, depth=1)
    x = torch.randn(2, 1, 20)
    assert not torch.equal(enc.forward_steps(x, x == x), enc.forward_steps(x, x == x))
    enc.eval()
    assert torch.equal(enc.forward_steps(x, x == x), enc.forward_steps(x, x == x))


def test_registry_and_build_without_image_size():
    assert set(SERIES_BACKBONES) <= set(BACKBONES)
    assert SERIES_BACKBONES[0] == DEFAULT_SERIES_BACKBONE == "ts-conv"
    assert backbone_options("ts-conv") == ("hidden", "dim", "depth", "dropout")
    assert "patch_len" in backbone_options("ts-patch")
    small = build_backbone("ts-conv", in_channels=3, hidden=16, dim=24, depth=2)
    assert isinstance(small.module, TSConvEncoder) and small.dim == 24
    assert small.module(torch.randn(2, 3, 9)).shape == (2, 24)


def test_image_backbones_still_need_image_size():
    with pytest.raises(ConfigError, match="image_size"):
        build_backbone("resnet18", in_channels=1)


@pytest.mark.parametrize(
    ("name", "options", "match"),
    [
        ("ts-conv", {"patch_len": 4}, "hidden, dim, depth, dropout"),
        ("ts-patch", {"hidden": 4}, "patch_len"),
        ("ts-conv", {"depth": -1}, "depth"),
        ("ts-patch", {"stride": 9}, "stride"),
        ("ts-patch", {"dim": 130}, "multiple of 4"),
        ("ts-patch", {"positional": "rope"}, "positional"),
    ],
)
def test_bad_options_raise_config_errors(name, options, match):
    with pytest.raises(ConfigError, match=match):
        build_backbone(name, in_channels=1, **options)


@pytest.mark.parametrize("name", NAMES)
def test_wrong_shapes_say_what_was_expected(name):
    enc = encoder(name, 3)
    with pytest.raises(ValueError, match=r"\[N, 3, T >= 1\]"):
        enc(torch.randn(2, 2, 10))
    with pytest.raises(ValueError, match="latent_mask"):
        enc.forward_steps(torch.randn(2, 3, 10), torch.ones(2, 3, 10, dtype=bool), torch.ones(2, 9))
