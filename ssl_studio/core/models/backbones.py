"""Backbones: image encoders (torchvision ResNets and ViTs, untrained, and a small CPU-friendly
CNN) and 1-D time-series encoders (see :mod:`ssl_studio.core.models.series`).

Each image factory takes ``in_channels`` and ``image_size`` (plus its own keyword options) and
returns a :class:`Backbone` whose module maps ``[N, C, H, W]`` to ``[N, dim]``. Series factories
take ``in_channels`` and their options, no ``image_size``; their module is a ``SeriesEncoder``
mapping ``[N, C, T]`` (and an optional observed mask) to ``[N, dim]``. Nothing is downloaded:
every torchvision model is built with ``weights=None``.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from torch import nn
from torchvision import models

from ssl_studio.core.config_check import fitted
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.series import (
    PatchTransformerEncoder,
    SeriesEncoder,
    TSConvEncoder,
)
from ssl_studio.core.models.vit import VIT_SIZES, ViTEncoder, default_patch_size


@dataclass
class Backbone:
    """A feature extractor with its embedding width, so heads never guess dimensions."""

    module: nn.Module  # forward(x: [N, C, H, W] float) -> [N, dim]; series: [N, C, T] -> [N, dim]
    dim: int
    modality: str  # "image" or "timeseries"
    name: str
    is_cnn: bool  # True for ResNets and the small CNN (the engine uses channels_last for them)


def _conv_bn_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    """3x3 convolution, BatchNorm, ReLU: [N, cin, H, W] -> [N, cout, H / stride, W / stride]."""
    return [
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    ]


class SmallCNN(nn.Sequential):
    """A VGG-style CNN that trains on a 2-core CPU: x: [N, C, H, W] -> [N, 256].

    A 32-wide 3x3 stem (stride 2 for images above 32 px, so 64 px images cost what 32 px
    ones do), then three stages of two (3x3 conv, BN, ReLU) at widths 64, 128, 256, each
    after a 2x2 max-pool, then global average pooling. About 1.2 M parameters.
    """

    widths = (32, 64, 128, 256)

    def __init__(self, in_channels: int, stem_stride: int = 1) -> None:
        layers = _conv_bn_relu(in_channels, self.widths[0], stem_stride)
        for cin, cout in pairwise(self.widths):
            layers += [nn.MaxPool2d(2), *_conv_bn_relu(cin, cout), *_conv_bn_relu(cout, cout)]
        super().__init__(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(1))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def cnn_small(*, in_channels: int, image_size: int, stem_stride: int | None = None) -> Backbone:
    """The default CPU backbone; ``stem_stride`` defaults to 2 above 32 px, else 1."""
    stride = _AUTOMATIC["stem_stride"](image_size) if stem_stride is None else stem_stride
    if stride not in (1, 2):
        raise ConfigError(f"cnn-small: stem_stride must be 1 or 2, not {stride}.")
    if image_size < 8 * stride:
        raise ConfigError(
            f"cnn-small needs images of at least {8 * stride} px (it halves them "
            f"{3 if stride == 1 else 4} times); image size {image_size} is too small."
        )
    module = SmallCNN(in_channels, stride)
    return Backbone(module, SmallCNN.widths[-1], "image", "cnn-small", is_cnn=True)


def _resnet_factory(arch: str) -> Callable[..., Backbone]:
    """A factory for torchvision's ``arch`` (untrained), with the first conv for C channels."""

    def factory(*, in_channels: int, image_size: int, cifar_stem: bool | None = None) -> Backbone:
        """``cifar_stem`` (3x3 stride-1 conv, no max-pool) defaults to image_size <= 96."""
        net: models.ResNet = getattr(models, arch)(weights=None)
        small = _AUTOMATIC["cifar_stem"](image_size) if cifar_stem is None else cifar_stem
        if small:
            net.conv1 = nn.Conv2d(in_channels, 64, 3, stride=1, padding=1, bias=False)
            net.maxpool = nn.Identity()
        else:
            net.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        nn.init.kaiming_normal_(net.conv1.weight, mode="fan_out", nonlinearity="relu")
        dim = net.fc.in_features
        net.fc = nn.Identity()
        return Backbone(net, dim, "image", arch, is_cnn=True)

    factory.__name__ = arch
    return factory


def _vit_factory(name: str) -> Callable[..., Backbone]:
    """A factory for the ViT variant ``name`` of ``VIT_SIZES``."""

    def factory(*, in_channels: int, image_size: int, patch_size: int | None = None) -> Backbone:
        """``patch_size`` defaults to 16 from 128 px, 8 from 48 px, else 4."""
        size = VIT_SIZES[name]
        enc = ViTEncoder(
            size, in_channels=in_channels, image_size=image_size, patch_size=patch_size, name=name
        )
        return Backbone(enc, size.dim, "image", name, is_cnn=False)

    factory.__name__ = name.replace("-", "_")
    return factory


def _series_factory(name: str, encoder: type[SeriesEncoder]) -> Callable[..., Backbone]:
    """A factory for the 1-D encoder class ``encoder``, taking its keyword-only options."""

    def factory(*, in_channels: int, **options: object) -> Backbone:
        module = encoder(in_channels, **options)
        return Backbone(module, module.dim, "timeseries", name, is_cnn=False)

    kw = inspect.Parameter.KEYWORD_ONLY
    options = [p for p in inspect.signature(encoder).parameters.values() if p.kind is kw]
    channels = inspect.Parameter("in_channels", kw, annotation=int)
    factory.__signature__ = inspect.Signature([channels, *options], return_annotation=Backbone)
    factory.__name__ = name.replace("-", "_")
    factory.__doc__ = encoder.__doc__
    return factory


BACKBONES: dict[str, Callable[..., Backbone]] = {
    "cnn-small": cnn_small,
    "resnet18": _resnet_factory("resnet18"),
    "resnet34": _resnet_factory("resnet34"),
    "resnet50": _resnet_factory("resnet50"),
    "vit-tiny": _vit_factory("vit-tiny"),
    "vit-small": _vit_factory("vit-small"),
    "ts-conv": _series_factory("ts-conv", TSConvEncoder),
    "ts-patch": _series_factory("ts-patch", PatchTransformerEncoder),
}
IMAGE_BACKBONES: tuple[str, ...] = (
    "cnn-small",
    "resnet18",
    "resnet34",
    "resnet50",
    "vit-tiny",
    "vit-small",
)
DEFAULT_IMAGE_BACKBONE = "cnn-small"
SERIES_BACKBONES: tuple[str, ...] = ("ts-conv", "ts-patch")


# one line per backbone option (``--set backbone.NAME=VALUE``), shown by ``ssl-studio tasks``;
# "backbone.option" where the same name means different things
OPTION_HELP: dict[str, str] = {
    "stem_stride": "Stride of the first convolution: 2 halves the image at once (default: "
    "2 above 32 px, else 1).",
    "cifar_stem": "Small-image stem (3x3 convolution, no max-pool) instead of ImageNet's 7x7 "
    "with max-pool (default: on up to 96 px).",
    "patch_size": "Side of the square patches the image is cut into, in px; must divide the "
    "image size (default: 16 from 128 px, 8 from 48 px, else 4).",
    "hidden": "Width of the convolution blocks.",
    "dim": "Length of the representation of each time step and of the series.",
    "ts-conv.depth": "Residual blocks; each doubles the dilation, so the receptive field "
    "grows as 2**depth steps.",
    "ts-patch.depth": "Transformer layers.",
    "dropout": "Share of the representation dropped at random while training.",
    "patch_len": "Time steps in each patch.",
    "stride": "Time steps from one patch to the next (at most the patch length).",
    "max_patches": "Patches encoded together; longer series are encoded in windows of this "
    "many patches.",
    "positional": "Position encoding: learned or sine.",
}


# what an image backbone's option left automatic (None) becomes, from the image size
_AUTOMATIC: dict[str, Callable[[int], Any]] = {
    "stem_stride": lambda size: 2 if size > 32 else 1,
    "cifar_stem": lambda size: size <= 96,
    "patch_size": default_patch_size,
}


def options_in_effect(name: str, image_size: int | None, given: dict[str, Any]) -> dict[str, Any]:
    """Every option of backbone ``name`` as a network built with ``given`` has it: the
    defaults filled in, and those left automatic resolved for ``image_size`` (the model
    card names the network exactly)."""
    out: dict[str, Any] = {}
    for p in _option_parameters(name):
        value = given.get(p.name, p.default)
        if value is None and p.name in _AUTOMATIC and image_size is not None:
            value = _AUTOMATIC[p.name](image_size)
        out[p.name] = value
    return out


def backbone_options(name: str) -> tuple[str, ...]:
    """The keyword options (beyond in_channels and image_size) that backbone ``name`` takes."""
    return tuple(p.name for p in _option_parameters(name))


def describe_backbone_options(name: str) -> list[dict[str, object]]:
    """Each option of backbone ``name``: name, type, default (None: automatic) and help."""
    return [
        {
            "name": p.name,
            "type": str(p.annotation),
            "default": p.default,
            "help": OPTION_HELP.get(f"{name}.{p.name}") or OPTION_HELP[p.name],
        }
        for p in _option_parameters(name)
    ]


def backbone_options_class(name: str) -> type:
    """A dataclass of backbone ``name``'s options (defaults, types and help as metadata), so
    the GUI's forms generated from config dataclasses can show them."""
    fields = []
    for o in describe_backbone_options(name):
        described = dataclasses.field(default=o["default"], metadata={"help": o["help"]})
        fields.append((o["name"], o["type"], described))
    return dataclasses.make_dataclass(f"{name.replace('-', '_')}_options", fields)


def _option_parameters(name: str) -> list[inspect.Parameter]:
    params = inspect.signature(_factory(name)).parameters.values()
    return [
        p
        for p in params
        if p.kind is p.KEYWORD_ONLY and p.name not in ("in_channels", "image_size")
    ]


def build_backbone(
    name: str, *, in_channels: int, image_size: int | None = None, **options
) -> Backbone:
    """Build backbone ``name`` for ``in_channels``-channel inputs.

    Image backbones need ``image_size`` (the side of the square images in px); series
    backbones take none and ignore one given. Raises ConfigError for an unknown name or option
    (listing the valid ones) and for an ``image_size`` the backbone cannot take or lacks.
    """
    factory = _factory(name)
    valid = backbone_options(name)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(
            f"Unknown option(s) {', '.join(unknown)} for backbone {name}; valid options are: "
            f"{', '.join(valid) or 'none'}."
        )
    hints = typing.get_type_hints(factory)
    options = {k: fitted(v, hints.get(k, Any), f"backbone.{k}") for k, v in options.items()}
    if in_channels < 1:
        raise ConfigError(f"in_channels must be at least 1, not {in_channels}.")
    if "image_size" not in inspect.signature(factory).parameters:
        return factory(in_channels=in_channels, **options)
    if image_size is None:
        raise ConfigError(f"Backbone {name} encodes images and needs image_size (in px).")
    if image_size < 1:
        raise ConfigError(f"image_size must be at least 1 px, not {image_size}.")
    return factory(in_channels=in_channels, image_size=image_size, **options)


def _factory(name: str) -> Callable[..., Backbone]:
    """The factory registered as ``name``; ConfigError listing the valid names otherwise."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise ConfigError(
            f"Unknown backbone {name!r}; valid backbones are: {', '.join(BACKBONES)}."
        ) from None


def count_parameters(module: nn.Module) -> int:
    """The number of trainable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
