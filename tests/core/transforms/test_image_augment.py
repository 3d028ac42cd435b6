"""Batched image augmentation: shapes, per-sample randomness, box safety, medical defaults."""

from __future__ import annotations

import itertools

import pytest
import torch

from ssl_studio.core.config import from_dict
from ssl_studio.core.config_fields import to_dict
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.transforms.image_augment import (
    ImageAugment,
    ImageAugmentConfig,
    center_view,
    preview_views,
    standardize,
    to_unit,
)
from ssl_studio.core.transforms.image_defaults import default_augment, modality_family

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
TOL = 1e-4  # bilinear weights and float rounding


def still(**changes: object) -> ImageAugmentConfig:
    """A config that changes nothing (full crop, no jitter), with ``changes`` applied."""
    fields: dict[str, object] = dict(
        crop_scale=(1.0, 1.0),
        crop_ratio=(1.0, 1.0),
        rotate_degrees=0.0,
        translate=0.0,
        window_jitter=0.0,
        brightness=0.0,
        contrast=0.0,
        gamma=(1.0, 1.0),
        blur_prob=0.0,
        noise_std=0.0,
        saturation=0.0,
    )
    fields.update(changes)
    return ImageAugmentConfig(**fields)  # type: ignore[arg-type]


def batch(
    n: int = 4, c: int = 1, size: int = 32, seed: int = 0, device: str = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random CT-like items in Hounsfield units, window [-500, 500], content filling the canvas."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(n, c, size, size, generator=gen) * 1000 - 500
    low, high = torch.full((n,), -500.0), torch.full((n,), 500.0)
    boxes = torch.tensor([[0.0, 0.0, size, size]]).repeat(n, 1)
    return tuple(t.to(device) for t in (x, low, high, boxes))  # type: ignore[return-value]


def seeded(seed: int, device: str = "cpu") -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("channels", [1, 3])
def test_output_shape_dtype_device(device: str, channels: int) -> None:
    x, low, high, boxes = batch(n=5, c=channels, size=40, device=device)
    cfg = ImageAugmentConfig(saturation=0.2, blur_prob=0.5)
    out = ImageAugment(cfg, out_size=24)(x, low, high, boxes, seeded(0, device))
    assert out.shape == (5, channels, 24, 24)
    assert out.dtype == torch.float32 and out.device.type == device
    assert torch.isfinite(out).all() and out.min() >= -2 and out.max() <= 2
    view = center_view(x, low, high, boxes, 24)
    assert view.shape == (5, channels, 24, 24) and view.device.type == device


def test_seeded_generator_reproduces_and_each_sample_differs() -> None:
    x, low, high, boxes = batch(n=1)
    x, low, high, boxes = x.repeat(6, 1, 1, 1), low.repeat(6), high.repeat(6), boxes.repeat(6, 1)
    augment = ImageAugment(ImageAugmentConfig(), out_size=16)
    first = augment(x, low, high, boxes, seeded(7))
    torch.testing.assert_close(first, augment(x, low, high, boxes, seeded(7)), rtol=0, atol=0)
    assert not torch.allclose(first, augment(x, low, high, boxes, seeded(8)))
    for i, j in itertools.combinations(range(6), 2):  # identical inputs, different views
        assert (first[i] - first[j]).abs().max() > 0.05


def padded_batch(n: int, size: int = 48) -> tuple[torch.Tensor, ...]:
    """Content 0.25..0.5 inside a non-square box, padding +-1e6 around it, window [0, 1]."""
    x = torch.where(torch.rand(n, 1, size, size) < 0.5, -1e6, 1e6)
    x[:, :, 4:44, 10:38] = 0.25 + 0.25 * torch.rand(n, 1, 40, 28)
    boxes = torch.tensor([[10.0, 4.0, 38.0, 44.0]]).repeat(n, 1)
    return x, torch.zeros(n), torch.ones(n), boxes


@pytest.mark.parametrize("out_size", [16, 96])  # down- and upsampling
def test_crops_never_reach_outside_the_content_box(out_size: int) -> None:
    x, low, high, boxes = padded_batch(64)
    cfg = still(
        crop_scale=(0.02, 1.0),
        crop_ratio=(0.3, 3.0),
        rotate_degrees=45.0,
        translate=0.5,
        hflip=True,
        vflip=True,
    )
    unit = ImageAugment(cfg, out_size).unit_view(x, low, high, boxes, seeded(1))
    assert unit.min() >= 0.25 - TOL and unit.max() <= 0.5 + TOL
    out = ImageAugment(cfg, out_size)(x, low, high, boxes, seeded(1))
    torch.testing.assert_close(out, standardize(unit))


def test_center_view_letterboxes_the_box_and_hides_padding() -> None:
    x, low, high, boxes = padded_batch(3)
    view = center_view(x, low, high, boxes, 20) * 0.25 + 0.5  # back to [0, 1]
    content = (view >= 0.25 - TOL) & (view <= 0.5 + TOL)
    assert (content | (view == 0)).all()
    columns = content[0, 0].any(dim=0)  # box 28 x 40 -> 14 of 20 columns, centred
    assert columns.sum() == 14 and columns[3:17].all()
    assert content[0, 0].any(dim=1).all()  # the longer side fills the output


def marker_batch(n: int, size: int = 32) -> tuple[torch.Tensor, ...]:
    """A bright bar near the left edge and one near the top: any mirroring moves it."""
    x = torch.zeros(n, 1, size, size)
    x[:, :, :, 2:9] = 1.0
    x[:, :, 2:9, :] = 1.0
    boxes = torch.tensor([[0.0, 0.0, size, size]]).repeat(n, 1)
    return x, torch.zeros(n), torch.ones(n), boxes


@pytest.mark.parametrize("flip", [False, True])
def test_flips_only_when_asked(flip: bool) -> None:
    x, low, high, boxes = marker_batch(64)
    cfg = ImageAugmentConfig(
        crop_scale=(1.0, 1.0), rotate_degrees=0.0, translate=0.0, hflip=flip, vflip=flip
    )
    unit = ImageAugment(cfg, 16).unit_view(x, low, high, boxes, seeded(2))
    left, right = unit[..., :8].mean(dim=(1, 2, 3)), unit[..., 8:].mean(dim=(1, 2, 3))
    top, bottom = unit[..., :8, :].mean(dim=(1, 2, 3)), unit[..., 8:, :].mean(dim=(1, 2, 3))
    if flip:  # the test can see a mirror: some views are mirrored, some are not
        assert (right > left).any() and (left > right).any()
        assert (bottom > top).any() and (top > bottom).any()
    else:
        assert (left > right).all() and (top > bottom).all()


@pytest.mark.parametrize("out_size", [12, 40])
def test_identity_config_reproduces_center_view(out_size: int) -> None:
    x, low, high, boxes = batch(n=3, c=3, size=40)
    x[:, :, :4] = 1e6  # padding around a square box
    boxes[:] = torch.tensor([4.0, 4.0, 36.0, 36.0])
    out = ImageAugment(still(), out_size)(x, low, high, boxes, seeded(3))
    torch.testing.assert_close(out, center_view(x, low, high, boxes, out_size), rtol=0, atol=TOL)


def test_to_unit_is_exact_and_window_jitter_moves_the_mapping() -> None:
    x = torch.tensor([-1000.0, -160.0, 40.0, 240.0, 1000.0, 140.0]).view(1, 1, 1, 6)
    x = x.repeat(2, 1, 1, 1)
    low, high = torch.tensor([-160.0, 0.0]), torch.tensor([240.0, 200.0])
    expected = torch.tensor([[0.0, 0.0, 0.5, 1.0, 1.0, 0.75], [0.0, 0.0, 0.2, 1.0, 1.0, 0.7]])
    torch.testing.assert_close(to_unit(x, low, high).view(2, 6), expected)
    torch.testing.assert_close(
        standardize(torch.tensor([0.0, 0.5, 1.0])), torch.tensor([-2.0, 0, 2])
    )

    n = 32  # a flat image at the window centre: jitter moves it around 0.5, within bounds
    flat = torch.full((n, 1, 8, 8), 40.0)
    lows, highs, boxes = torch.full((n,), -160.0), torch.full((n,), 240.0), torch.zeros(n, 4)
    boxes[:, 2:] = 8
    plain = ImageAugment(still(), 8).unit_view(flat, lows, highs, boxes, seeded(4))
    torch.testing.assert_close(plain, torch.full_like(plain, 0.5))
    jitter = ImageAugment(still(window_jitter=0.3), 8).unit_view(
        flat, lows, highs, boxes, seeded(4)
    )
    centre = jitter[:, 0, 4, 4]
    assert centre.std() > 0.05 and ((centre - 0.5).abs() <= 0.3 / 0.7 + TOL).all()
    assert (jitter.amax(dim=(1, 2, 3)) - jitter.amin(dim=(1, 2, 3))).max() < TOL  # still flat


def test_gray_stays_gray() -> None:
    x, low, high, boxes = batch(n=8, c=1)
    cfg = ImageAugmentConfig(saturation=0.5, blur_prob=0.5)
    assert ImageAugment(cfg, 16)(x, low, high, boxes, seeded(5)).shape[1] == 1
    rgb_gray = x.repeat(1, 3, 1, 1)
    for saturation in (0.0, 0.5):
        cfg = ImageAugmentConfig(saturation=saturation, blur_prob=0.5)
        out = ImageAugment(cfg, 16)(rgb_gray, low, high, boxes, seeded(5))
        assert (out - out[:, :1]).abs().max() < 1e-5


def test_saturation_changes_colour_only_for_rgb() -> None:
    x, low, high, boxes = batch(n=8, c=3)
    plain = ImageAugment(still(), 16).unit_view(x, low, high, boxes, seeded(6))
    saturated = ImageAugment(still(saturation=0.5), 16).unit_view(x, low, high, boxes, seeded(6))
    spread = (saturated - saturated.mean(dim=1, keepdim=True)).abs().mean(dim=(1, 2, 3))
    base = (plain - plain.mean(dim=1, keepdim=True)).abs().mean(dim=(1, 2, 3))
    assert ((spread / base - 1).abs() > 0.01).all()  # every sample: its own strength


def test_intensity_ops_are_per_sample() -> None:
    x, low, high, boxes = batch(n=16)
    flat = torch.zeros_like(x)  # the window centre: 0.5 on the unit scale
    cfg = still(brightness=0.2)
    out = ImageAugment(cfg, 8).unit_view(flat, low, high, boxes, seeded(9))
    level = out[:, 0, 0, 0]
    assert level.std() > 0.05 and ((level - 0.5).abs() <= 0.2 + TOL).all()
    gamma = ImageAugment(still(gamma=(0.5, 2.0)), 8).unit_view(flat, low, high, boxes, seeded(9))
    assert gamma.min() >= 0.25 - TOL and gamma.max() <= 0.5**0.5 + TOL and gamma.std() > 0.05
    noisy = ImageAugment(still(noise_std=0.05), 32).unit_view(flat, low, high, boxes, seeded(9))
    assert abs(float((noisy - 0.5).std()) - 0.05) < 0.005


def total_variation(u: torch.Tensor) -> torch.Tensor:
    return (u[..., 1:, :] - u[..., :-1, :]).abs().mean(dim=(1, 2, 3))


def test_blur_hits_the_chosen_samples_only() -> None:
    x, low, high, boxes = batch(n=32, size=24)
    sharp = ImageAugment(still(), 24).unit_view(x, low, high, boxes, seeded(10))
    cfg = still(blur_prob=0.5, blur_sigma=(1.0, 1.5))
    blurred = ImageAugment(cfg, 24).unit_view(x, low, high, boxes, seeded(10))
    changed = (blurred - sharp).abs().amax(dim=(1, 2, 3)) > 1e-6
    assert 0 < changed.sum() < 32
    assert (total_variation(blurred[changed]) < 0.7 * total_variation(sharp[changed])).all()


def test_medical_defaults_per_modality() -> None:
    xray = default_augment("CR", 1)
    assert not xray.hflip and not xray.vflip and xray.saturation == 0
    ct = default_augment("CT", 1)
    assert ct.window_jitter > 0 and not ct.hflip
    assert default_augment("dx", 3).hflip is False and modality_family(" mg ") == "xray"
    assert default_augment("US", 3).hflip and default_augment("US", 3).saturation > 0
    assert default_augment("US", 1).saturation == 0  # gray: never colour jitter
    assert default_augment("PNG", 3).hflip is False  # may be a screenshot of an X-ray
    assert modality_family("") == modality_family(None) == "generic"  # type: ignore[arg-type]
    for code, channels in itertools.product(("CR", "CT", "US", "SM", "OP", "JPEG", "?"), (1, 3)):
        cfg = default_augment(code, channels)
        cfg.validate()
        assert channels == 3 or cfg.saturation == 0


def test_preview_views_are_distinct_unit_images() -> None:
    x, low, high, boxes = batch(n=1, c=3)
    views = preview_views(x, low, high, boxes, ImageAugmentConfig(saturation=0.1), 20, n=6)
    assert views.shape == (6, 3, 20, 20) and views.min() >= 0 and views.max() <= 1
    for i, j in itertools.combinations(range(6), 2):
        assert not torch.allclose(views[i], views[j])
    again = preview_views(x, low, high, boxes, ImageAugmentConfig(saturation=0.1), 20, n=6)
    torch.testing.assert_close(views, again, rtol=0, atol=0)
    with pytest.raises(ValueError):
        preview_views(*batch(n=2), ImageAugmentConfig(), 20, n=3)


def test_config_validates_and_round_trips() -> None:
    cfg = ImageAugmentConfig(hflip=True, gamma=(0.9, 1.1))
    again = from_dict(ImageAugmentConfig, {k: v for k, v in to_dict(cfg).items()})
    assert again == cfg and isinstance(again.crop_scale, tuple)
    for bad in ({"crop_scale": (0.0, 1.0)}, {"crop_ratio": (2.0, 1.0)}, {"window_jitter": 1.0}):
        with pytest.raises(ConfigError):
            ImageAugment(ImageAugmentConfig(**bad), 16)  # type: ignore[arg-type]
