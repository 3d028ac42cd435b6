"""Batched image augmentation on the training device, each sample with its own random draw.

A batch arrives from the image cache in real units (Hounsfield units, X-ray pixel values):
``x: [N, C, S, S]`` float32 with C in {1, 3}, letterboxed; ``low, high: [N]`` the items'
display ranges in real units; ``boxes: [N, 4]`` the content boxes ``(x0, y0, x1, y1)`` in
cache pixels (pixel edges: the content covers columns x0 .. x1 - 1). Outside a box is padding.

A view is made in this order: window jitter and ``to_unit`` (real units -> [0, 1]); ONE
bilinear ``grid_sample`` for crop, rotation, translation and flips, whose rotated crop always
stays inside the content box less half a pixel (so bilinear taps never read padding);
brightness, contrast, gamma; Gaussian blur; noise (the same for every channel, so a gray RGB
image stays gray); saturation (RGB only); ``standardize``.
Every random draw is per sample and comes from one optional ``torch.Generator`` on x's device,
so a seeded generator reproduces the views. Nothing loops over samples in Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from ssl_studio.core.config import option
from ssl_studio.core.errors import ConfigError

_LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B in the gray level
_EDGE = 0.5  # sample positions stay this many cache pixels inside the content box
_MIN_WIDTH = 1e-6  # narrowest display range, in real units
# the uniform numbers drawn per sample, one per random parameter
_DRAWS = tuple(
    "centre width scale ratio angle x y shift_x shift_y hflip vflip brightness contrast gamma "
    "blur sigma saturation".split()
)
_PAIRS = ("crop_scale", "crop_ratio", "gamma", "blur_sigma")
# the draws whose differences between two views the augmentation-aware tasks predict
# (tasks/augment_aware.py): how much of the image a view shows, its display window, its
# brightness, contrast and gamma ("scale" is the area asked for: a rotated crop near the
# whole image is shrunk to fit the content box, so that target is a little noisier)
AWARE_DRAWS = ("scale", "centre", "width", "brightness", "contrast", "gamma")


@dataclass
class ImageAugmentConfig:
    """Augmentations for two-view and masked pretext tasks; defaults are medical-safe."""

    crop_scale: tuple[float, float] = option(
        (0.35, 1.0), "Share of the image area a view shows (min, max)."
    )
    crop_ratio: tuple[float, float] = option(
        (0.75, 1.333), "Width / height of a view's crop (min, max)."
    )
    hflip: bool = option(False, "Mirror left-right at random (off: laterality matters in X-ray).")
    vflip: bool = option(False, "Mirror top-bottom at random.")
    rotate_degrees: float = option(10.0, "Largest rotation either way, in degrees.")
    translate: float = option(0.05, "Largest extra shift of the crop, as a share of its size.")
    window_jitter: float = option(
        0.1, "Move and resize the display window by up to this share of it."
    )
    brightness: float = option(
        0.2, "Largest brightening or darkening, as a share of black-to-white."
    )
    contrast: float = option(0.2, "Largest change of contrast, as a share (0.2: 80 % to 120 %).")
    gamma: tuple[float, float] = option(
        (0.8, 1.25), "Range of the gamma curve (below 1 lifts mid-grays)."
    )
    blur_prob: float = option(0.3, "Chance that a view is blurred.")
    blur_sigma: tuple[float, float] = option(
        (0.1, 1.5), "Blur strength (min, max), in output pixels."
    )
    noise_std: float = option(0.02, "Strength of added grain, as a share of black-to-white.")
    saturation: float = option(
        0.0, "Largest change of colour strength, RGB only (0: off); hue is kept."
    )

    def __post_init__(self) -> None:
        for name in _PAIRS:  # lists (from JSON) become tuples
            setattr(self, name, tuple(float(v) for v in getattr(self, name)))

    def validate(self) -> None:
        """Raise ConfigError, with a message a user can act on, when a value is out of range."""
        for name in _PAIRS:
            pair = getattr(self, name)
            _check(len(pair) == 2 and pair[0] <= pair[1], f"{name} must be (min, max), min <= max.")
        _check(0 < self.crop_scale[0] and self.crop_scale[1] <= 1, "crop_scale must be in (0, 1].")
        _check(self.crop_ratio[0] > 0, "crop_ratio must be positive (width / height).")
        _check(0 <= self.rotate_degrees <= 180, "rotate_degrees must be between 0 and 180.")
        _check(0 <= self.translate <= 1, "translate must be between 0 and 1.")
        _check(0 <= self.window_jitter < 1, "window_jitter must be at least 0 and below 1.")
        _check(0 <= self.brightness <= 1, "brightness must be between 0 and 1.")
        _check(0 <= self.contrast < 1, "contrast must be at least 0 and below 1.")
        _check(self.gamma[0] > 0, "gamma must be positive.")
        _check(0 <= self.blur_prob <= 1, "blur_prob must be between 0 and 1.")
        _check(self.blur_sigma[0] >= 0, "blur_sigma cannot be negative.")
        _check(0 <= self.noise_std <= 1, "noise_std must be between 0 and 1.")
        _check(0 <= self.saturation <= 1, "saturation must be between 0 and 1.")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(f"Image augmentation: {message}")


def to_unit(x: Tensor, low: Tensor, high: Tensor) -> Tensor:
    """Deterministic normalisation to each item's display range.

    x: [N, C, H, W] real units; low, high: [N] real units -> [N, C, H, W] float in [0, 1]:
    ``clamp((x - low) / (high - low), 0, 1)`` (a range narrower than 1e-6 counts as 1e-6).
    """
    scale = 1.0 / (high - low).clamp_min(_MIN_WIDTH)
    shift = -low * scale
    return torch.addcmul(shift.view(-1, 1, 1, 1), x, scale.view(-1, 1, 1, 1)).clamp_(0.0, 1.0)


def standardize(u: Tensor) -> Tensor:
    """[0, 1] -> network input ``(u - 0.5) / 0.25``, any shape, so [0, 1] becomes [-2, 2].

    Fixed (not per dataset), so pretraining, fine-tuning and export all agree.
    """
    return torch.sub(u, 0.5).mul_(4.0)


def center_view(x: Tensor, low: Tensor, high: Tensor, boxes: Tensor, out_size: int) -> Tensor:
    """The evaluation view: the content box resized (aspect kept, padded) to out_size.

    x: [N, C, S, S] real units; low, high: [N]; boxes: [N, 4] (x0, y0, x1, y1) in cache
    pixels -> standardized [N, C, out_size, out_size]. The longer side of the box fills the
    output; the padding around the shorter side is 0 on the [0, 1] scale (-2 standardized).
    """
    low, high, boxes = _on(x, low, high, boxes)
    u = to_unit(x, low, high)
    cx, cy, width, height = _inner_box(boxes)
    half = torch.maximum(width, height) / 2
    view = _resample(u, cx, cy, half, half, torch.ones_like(half), torch.zeros_like(half), out_size)
    v = _output_coords(out_size, u).abs()
    inside_x = v <= (width / 2 / half).unsqueeze(1) + 1e-6  # [N, out]
    inside_y = v <= (height / 2 / half).unsqueeze(1) + 1e-6
    return standardize(view.mul_((inside_y.unsqueeze(2) & inside_x.unsqueeze(1)).unsqueeze(1)))


class ImageAugment(torch.nn.Module):
    """Random views of a batch, each sample with its own random parameters, all on x's device.

    Holds no weights. Call it once per view (two calls give the two views of a pair).
    """

    def __init__(self, cfg: ImageAugmentConfig, out_size: int) -> None:
        super().__init__()
        cfg.validate()
        if out_size < 2:
            raise ConfigError(
                f"Image augmentation: the view size must be at least 2, not {out_size}."
            )
        self.cfg = cfg
        self.out_size = int(out_size)
        self.blur_radius = min(max(1, math.ceil(3 * cfg.blur_sigma[1])), self.out_size - 1)

    def forward(
        self,
        x: Tensor,
        low: Tensor,
        high: Tensor,
        boxes: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """x: [N, C, S, S] real units -> one standardized view [N, C, out_size, out_size].

        low, high: [N] display ranges in real units; boxes: [N, 4] content boxes in cache
        pixels; generator: on x's device, for reproducible views (None: torch's global one).
        """
        return standardize(self.unit_view(x, low, high, boxes, generator))

    @property
    def aware_draws(self) -> tuple[str, ...]:
        """The names of AWARE_DRAWS whose augmentation is on (its draw changes the view)."""
        cfg = self.cfg
        on = {
            "scale": cfg.crop_scale[0] < cfg.crop_scale[1],
            "centre": cfg.window_jitter > 0,
            "width": cfg.window_jitter > 0,
            "brightness": cfg.brightness > 0,
            "contrast": cfg.contrast > 0,
            "gamma": cfg.gamma[0] < cfg.gamma[1],
        }
        return tuple(name for name in AWARE_DRAWS if on[name])

    def view_and_draws(
        self,
        x: Tensor,
        low: Tensor,
        high: Tensor,
        boxes: Tensor,
        generator: torch.Generator | None = None,
    ) -> tuple[Tensor, Tensor]:
        """The view ``forward`` makes [N, C, out, out] and the uniform numbers in [0, 1) it
        was drawn with for ``aware_draws`` [N, P] (P = len(aware_draws)), in that order."""
        u, r = self._drawn(x, low, high, boxes, generator)
        names = self.aware_draws
        draws = torch.stack([r[n] for n in names], dim=1) if names else u.new_zeros(len(u), 0)
        return standardize(u), draws

    def unit_view(
        self,
        x: Tensor,
        low: Tensor,
        high: Tensor,
        boxes: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """The view ``forward`` makes, before ``standardize``: [N, C, out, out] in [0, 1].

        Always computed in float32, also inside a mixed-precision (autocast) region.
        """
        return self._drawn(x, low, high, boxes, generator)[0]

    def _drawn(
        self,
        x: Tensor,
        low: Tensor,
        high: Tensor,
        boxes: Tensor,
        generator: torch.Generator | None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``_unit_view`` in float32, also inside a mixed-precision (autocast) region."""
        with torch.autocast(x.device.type, enabled=False):
            return self._unit_view(x.float(), low, high, boxes, generator)

    def _unit_view(
        self,
        x: Tensor,
        low: Tensor,
        high: Tensor,
        boxes: Tensor,
        generator: torch.Generator | None,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """(the view in [0, 1] [N, C, out, out], the uniform draws by name [N] each)."""
        cfg = self.cfg
        low, high, boxes = _on(x, low, high, boxes)
        n = x.shape[0]
        uniform = torch.rand(n, len(_DRAWS), generator=generator, device=x.device)
        r = dict(zip(_DRAWS, uniform.unbind(1), strict=True))  # name -> [N] in [0, 1)

        if cfg.window_jitter > 0:
            centre, width = (low + high) / 2, high - low
            centre = centre + width * _signed(r["centre"], cfg.window_jitter)
            width = width * (1 + _signed(r["width"], cfg.window_jitter))
            low, high = centre - width / 2, centre + width / 2
        u = to_unit(x, low, high)
        u = _resample(u, *_random_crop(cfg, boxes, r), self.out_size)
        u = _adjust_intensity(u, cfg, r)
        if cfg.blur_prob > 0 and cfg.blur_sigma[1] > 0:
            sigma = _between(r["sigma"], *cfg.blur_sigma)
            u = _blur(u, r["blur"] < cfg.blur_prob, sigma, self.blur_radius)
        if cfg.noise_std > 0:  # one noise image per sample, shared by its channels
            noise = torch.randn(
                n, 1, *u.shape[2:], generator=generator, device=u.device, dtype=u.dtype
            )
            u.add_(noise, alpha=cfg.noise_std).clamp_(0, 1)
        if cfg.saturation > 0 and u.shape[1] == 3:
            luma = torch.tensor(_LUMA, device=u.device, dtype=u.dtype).view(1, 3, 1, 1)
            gray = (u * luma).sum(dim=1, keepdim=True)
            strength = 1 + _signed(r["saturation"], cfg.saturation)
            u = torch.lerp(gray, u, strength.view(-1, 1, 1, 1)).clamp_(0, 1)
        return u, r


def _random_crop(
    cfg: ImageAugmentConfig, boxes: Tensor, r: dict[str, Tensor]
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Per-sample crop, rotation, shift and flips as ``_resample`` takes them ([N] each).

    boxes: [N, 4]; r: the uniform draws. The crop (area share and aspect ratio as in a
    random resized crop) is shrunk until its rotated outline fits the box, placed at random
    where it fits, shifted by the translation and clamped back inside the box.
    """
    mid_x, mid_y, box_w, box_h = _inner_box(boxes)
    area = box_w * box_h * _between(r["scale"], *cfg.crop_scale)
    ratio = torch.exp(_between(r["ratio"], *(math.log(v) for v in cfg.crop_ratio)))
    crop_w = torch.sqrt(area * ratio).minimum(box_w)
    crop_h = torch.sqrt(area / ratio).minimum(box_h)
    angle = _signed(r["angle"], math.radians(cfg.rotate_degrees))
    cos, sin = torch.cos(angle), torch.sin(angle)
    reach_x = (cos.abs() * crop_w + sin.abs() * crop_h) / 2  # half size of the rotated outline
    reach_y = (sin.abs() * crop_w + cos.abs() * crop_h) / 2
    fit = torch.minimum(box_w / 2 / reach_x, box_h / 2 / reach_y).clamp_max(1.0)
    crop_w, crop_h = crop_w * fit, crop_h * fit
    room_x = (box_w / 2 - reach_x * fit).clamp_min(0.0)  # how far the centre may move
    room_y = (box_h / 2 - reach_y * fit).clamp_min(0.0)
    shift_x = _signed(r["x"], 1.0) * room_x + _signed(r["shift_x"], cfg.translate) * crop_w
    shift_y = _signed(r["y"], 1.0) * room_y + _signed(r["shift_y"], cfg.translate) * crop_h
    cx = mid_x + torch.maximum(torch.minimum(shift_x, room_x), -room_x)
    cy = mid_y + torch.maximum(torch.minimum(shift_y, room_y), -room_y)
    half_w = crop_w / 2 * (_flip_sign(r["hflip"]) if cfg.hflip else 1.0)
    half_h = crop_h / 2 * (_flip_sign(r["vflip"]) if cfg.vflip else 1.0)
    return cx, cy, half_w, half_h, cos, sin


def _adjust_intensity(u: Tensor, cfg: ImageAugmentConfig, r: dict[str, Tensor]) -> Tensor:
    """Per-sample brightness, contrast around the mean, then gamma; u: [N, C, H, W] in [0, 1]."""
    if cfg.brightness > 0 or cfg.contrast > 0:
        gain = 1 + _signed(r["contrast"], cfg.contrast)
        offset = _signed(r["brightness"], cfg.brightness)
        if cfg.contrast > 0:  # (u + b - m') * k + m' with m' = mean(u) + b, as one multiply-add
            offset = offset + (1 - gain) * u.mean(dim=(1, 2, 3))
        u = torch.addcmul(offset.view(-1, 1, 1, 1), u, gain.view(-1, 1, 1, 1)).clamp_(0, 1)
    if cfg.gamma != (1.0, 1.0):
        gamma = torch.exp(_between(r["gamma"], *(math.log(g) for g in cfg.gamma)))
        u = u.log_().mul_(gamma.view(-1, 1, 1, 1)).exp_()  # u ** gamma; pow is 4x slower on CPU
    return u


def preview_views(
    x: Tensor,
    low: Tensor,
    high: Tensor,
    boxes: Tensor,
    cfg: ImageAugmentConfig,
    out_size: int,
    n: int,
    seed: int = 0,
) -> Tensor:
    """n augmented views of ONE item, for the GUI preview grid.

    x: [1, C, S, S] real units; low, high: [1]; boxes: [1, 4] -> [n, C, out_size, out_size]
    in [0, 1] (not standardized). The same seed gives the same views.
    """
    if x.shape[0] != 1:
        raise ValueError(f"preview_views takes one item (x: [1, C, S, S]), got {x.shape[0]}")
    low, high, boxes = _on(x, low, high, boxes)
    generator = torch.Generator(device=x.device).manual_seed(seed)
    augment = ImageAugment(cfg, out_size)
    return augment.unit_view(
        x.expand(n, -1, -1, -1),
        low.reshape(1).expand(n),
        high.reshape(1).expand(n),
        boxes.reshape(1, 4).expand(n, 4),
        generator,
    )


def _on(x: Tensor, *tensors: Tensor) -> tuple[Tensor, ...]:
    """The per-item tensors as float32 on x's device (no copy when they already are)."""
    return tuple(t.to(device=x.device, dtype=torch.float32) for t in tensors)


def _between(r: Tensor, low: float, high: float) -> Tensor:
    """Uniform numbers r in [0, 1) mapped onto [low, high)."""
    return r * (high - low) + low


def _signed(r: Tensor, amount: float) -> Tensor:
    """Uniform numbers r in [0, 1) mapped onto [-amount, amount)."""
    return (2 * r - 1) * amount


def _flip_sign(r: Tensor) -> Tensor:
    """-1 (mirrored) or +1, each with probability 1/2."""
    return torch.where(r < 0.5, -1.0, 1.0)


def _output_coords(out_size: int, like: Tensor) -> Tensor:
    """Centres of the output pixels on grid_sample's [-1, 1] scale (align_corners=False): [out]."""
    v = torch.arange(out_size, device=like.device, dtype=like.dtype)
    return v.mul_(2.0 / out_size).add_(1.0 / out_size - 1.0)


def _inner_box(boxes: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Centre x, y, width and height ([N] each, cache pixels) of the region views sample.

    boxes: [N, 4] content boxes on pixel edges. The region is the box less half a pixel on
    every side: the centres of its outermost pixels, so bilinear taps never reach padding.
    """
    x0, y0, x1, y1 = boxes.unbind(1)
    width = (x1 - x0 - 2 * _EDGE).clamp_min(1e-3)
    height = (y1 - y0 - 2 * _EDGE).clamp_min(1e-3)
    return (x0 + x1) / 2, (y0 + y1) / 2, width, height


def _resample(
    u: Tensor,
    cx: Tensor,
    cy: Tensor,
    half_w: Tensor,
    half_h: Tensor,
    cos: Tensor,
    sin: Tensor,
    out_size: int,
) -> Tensor:
    """One bilinear resampling of u: [N, C, H, W] -> [N, C, out_size, out_size].

    The other arguments are [N], in cache pixels: the crop centre (cx, cy), its half width
    and height (negative: mirrored) and the rotation's cosine and sine. The output pixel at
    v = (v_x, v_y) on [-1, 1] samples ``centre + R @ (v * half)``.
    """
    n, _, h, w = u.shape
    v = _output_coords(out_size, u)
    scale = torch.tensor([2.0 / w, 2.0 / h], device=u.device, dtype=u.dtype)  # pixels -> [-1, 1]
    centre = torch.stack((cx, cy), dim=1) * scale - 1  # [N, 2]
    along = torch.stack((cos * half_w, sin * half_w), dim=1) * scale  # per unit of v_x
    across = torch.stack((-sin * half_h, cos * half_h), dim=1) * scale  # per unit of v_y
    row = torch.addcmul(centre.view(n, 2, 1, 1), along.view(n, 2, 1, 1), v.view(1, 1, 1, -1))
    grid = row + across.view(n, 2, 1, 1) * v.view(1, 1, -1, 1)  # [N, 2, out, out]
    return F.grid_sample(
        u, grid.permute(0, 2, 3, 1), mode="bilinear", padding_mode="zeros", align_corners=False
    )


def _blur(u: Tensor, chosen: Tensor, sigma: Tensor, radius: int) -> Tensor:
    """Gaussian blur of the chosen samples of u: [N, C, H, W], in place; the others unchanged.

    chosen: [N] bool; sigma: [N] in output pixels. Separable, reflect-padded, one depthwise
    convolution per axis with one kernel per chosen sample (``groups``), no loop over samples.
    """
    index = chosen.nonzero().squeeze(1)
    if index.numel() == 0:
        return u
    m = index.numel()
    _, c, h, w = u.shape
    taps = torch.arange(-radius, radius + 1, device=u.device, dtype=u.dtype)
    s = sigma.index_select(0, index).clamp_min(1e-3).unsqueeze(1)
    kernel = torch.exp(-0.5 * (taps / s) ** 2)  # [M, K]
    kernel = (kernel / kernel.sum(dim=1, keepdim=True)).repeat_interleave(c, dim=0)
    part = u.index_select(0, index).view(1, m * c, h, w)
    part = F.pad(part, (radius, radius, 0, 0), mode="reflect")
    part = F.conv2d(part, kernel.view(m * c, 1, 1, -1), groups=m * c)
    part = F.pad(part, (0, 0, radius, radius), mode="reflect")
    part = F.conv2d(part, kernel.view(m * c, 1, -1, 1), groups=m * c)
    return u.index_copy_(0, index, part.view(m, c, h, w))
