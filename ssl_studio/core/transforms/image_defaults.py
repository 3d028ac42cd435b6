"""Medical-safe augmentation defaults per modality (DICOM Modality or file format).

Families, from the modality code (case-insensitive):

- X-ray (CR, DX, MG, ...): no flips, because laterality matters (heart on the left, markers).
- Cross-sectional (CT, MR, PT, NM): no flips; the display window jitters around the item's
  window, which is how these images are actually read at different settings.
- Ultrasound and endoscopy-like colour photography (US, ES, XC): may mirror left-right; RGB
  images get a little saturation jitter. Microscopy (SM, GM) has no up or down either, so it
  may also mirror top-bottom. Ophthalmic photographs (OP) keep their side (left/right eye).
- Anything else, file formats included (PNG, JPEG, TIFF: may be screenshots of X-rays, so
  nothing is known about laterality): the generic, flip-free defaults.

Gray images (channels == 1) never get colour jitter; hue is never jittered at all.
"""

from __future__ import annotations

import dataclasses

from ssl_studio.core.transforms.image_augment import ImageAugmentConfig

__all__ = ["FAMILIES", "ImageAugmentConfig", "default_augment", "modality_family"]

FAMILIES: dict[str, frozenset[str]] = {
    "xray": frozenset({"CR", "DX", "MG", "RF", "XA", "IO", "PX", "RG", "DF", "DS"}),
    "cross_sectional": frozenset({"CT", "MR", "PT", "NM"}),
    "ultrasound": frozenset({"US", "IVUS"}),
    "endoscopy": frozenset({"ES", "XC"}),
    "microscopy": frozenset({"SM", "GM"}),
    "ophthalmic": frozenset({"OP", "OPT"}),
}

# what each family changes from ImageAugmentConfig's defaults, which are already flip-free
# and jitter every item's window (CT/MR: the window from the file) by 10 % of its width
_OVERRIDES: dict[str, dict[str, object]] = {
    "xray": {},
    "cross_sectional": {},
    "ultrasound": {"hflip": True},
    "endoscopy": {"hflip": True},
    "microscopy": {"hflip": True, "vflip": True},
    "ophthalmic": {},
    "generic": {},
}

# saturation jitter for RGB images of each family (gray images never get any)
_RGB_SATURATION: dict[str, float] = {
    "ultrasound": 0.1,
    "endoscopy": 0.1,
    "microscopy": 0.1,
    "ophthalmic": 0.1,
    "generic": 0.05,
}


def modality_family(modality: str | None) -> str:
    """The family of a DICOM Modality or file format: one of FAMILIES or "generic"."""
    code = (modality or "").strip().upper()
    return next((name for name, codes in FAMILIES.items() if code in codes), "generic")


def default_augment(modality: str, channels: int) -> ImageAugmentConfig:
    """Medical-safe defaults per modality and channel count (1 gray, 3 RGB).

    X-ray family (CR, DX, MG, ...) and generic files (PNG, JPEG, ...: may be screenshots of
    X-rays, nothing is known) never flip; CT/MR windows jitter around the item's window;
    US and endoscopy-like RGB may flip horizontally and get a little saturation; gray
    images never get colour jitter.
    """
    family = modality_family(modality)
    changes = dict(_OVERRIDES[family])
    changes["saturation"] = _RGB_SATURATION.get(family, 0.0) if channels == 3 else 0.0
    return dataclasses.replace(ImageAugmentConfig(), **changes)
