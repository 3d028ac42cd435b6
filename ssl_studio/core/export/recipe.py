"""The exact preprocessing of an image model, as the model card states it: the steps, in
order, that turn a file into the model's input, with the libraries, filters, rounding and
coordinates the app uses (core/data/images.py, dicom.py, pixels.py;
core/export/preprocess.py; core/transforms/image_augment.center_view), so that following
the text reproduces ``ssl-studio predict``. tests/core/finetune/card_recipe.py follows it
with numpy and Pillow and is checked against predict; keep the three in step."""

from __future__ import annotations

from typing import Any

from pydicom.uid import JPEGBaseline8Bit

from ssl_studio.core.data.dicom import DRAFT_FROM, DRAFT_PHOTOMETRICS
from ssl_studio.core.export.examples import EXAMPLE_NAMES
from ssl_studio.core.export.training_window import window_rule

# the numbered steps of MODEL_CARD.md, in this order ("read": series; the rest: images).
# The window's low and high are taken from the stored canvas before channel matching
# (image_batch.py reads the item's window fields, set at decoding), then applied after it
STEPS = (
    "read",
    "decode",
    "store",
    "letterbox",
    "window",
    "channel_match",
    "apply_window",
    "resample",
    "normalisation",
)


def draft_sentence(cache: int) -> str:
    """How dicom._draft_frames decodes an 8-bit JPEG baseline file at reduced scale, from
    its constants, for a model whose cache size is ``cache``."""
    kinds = " or ".join(f"{p} with {n}" for p, n in sorted(DRAFT_PHOTOMETRICS))
    return (
        f"8-bit JPEG-baseline DICOM (transfer syntax {JPEGBaseline8Bit}, BitsAllocated 8) "
        f"whose PhotometricInterpretation and SamplesPerPixel are {kinds}, and whose "
        f"longer side max(Rows, Columns) is at least {DRAFT_FROM * cache} px ({DRAFT_FROM} x "
        "the cache size), is not decoded by pydicom: each frame's JPEG stream is opened with "
        "Pillow and decoded reduced by libjpeg, as image = PIL.Image.open(io.BytesIO(frame)); "
        f"image.draft(mode, ({cache}, {cache})); pixels = numpy.asarray(image.convert(mode)), "
        "mode 'L' for 1 sample and 'RGB' for 3 (libjpeg's YCbCr to RGB). draft decodes at "
        f"1/s, s the largest of 8, 4, 2, 1 not above min(Columns // {cache}, Rows // {cache}), "
        "giving ceil(Columns / s) x ceil(Rows / s) pixels; these pixels go on to 'store'. "
        "Every other file (JPEG baseline marked RGB or MONOCHROME1 included) is decoded "
        "whole. Other DICOM toolkits (plain pydicom, GDCM, dcm4che, fo-dicom) decode such "
        "files at full size, so their inputs differ slightly from predict's for them."
    )


def image_recipe(spec: dict[str, Any]) -> dict[str, Any]:
    """The preprocessing fields of the card for an image model (``STEPS`` in order, then
    the worked examples)."""
    cache, size, channels = spec["cache_size"], spec["image_size"], spec["in_channels"]
    return {
        "decode": "DICOM with pydicom: modality LUT (RescaleSlope/RescaleIntercept or the "
        "LUT sequence) to real units, MONOCHROME1 inverted (its window centre mirrored), "
        f"palette and YBR colour to RGB. {draft_sentence(cache)} "
        "PNG, JPEG and BMP with Pillow, TIFF with tifffile, values as stored "
        "(alpha dropped, palette to RGB, 1-bit to 0/255). A colour image whose three "
        "channels are equal is read as one gray channel.",
        "store": "Sources of at most 8 bits with values in 0-255 stay uint8 (real = level). "
        "Anything else becomes uint16 levels: integers spanning at most 65 536 values as "
        "level = value - minimum (exact); other values as level = round((value - minimum) "
        "/ scale), scale = (maximum - minimum) / 65535, NaN and infinities as the minimum. "
        "real = level * scale + minimum.",
        "letterbox": f"The levels are resized so that the longer side is {cache} px and the "
        f"shorter round(side * {cache} / longer side) px (at least 1), with Pillow's "
        "Image.resize((w, h), Image.Resampling.BICUBIC, reducing_gap=2.0) (antialiased "
        "when shrinking): uint8 gray in mode 'L', uint8 colour in mode 'RGB', uint16 levels "
        "one channel at a time as float32 (mode 'F'), then rounded to the nearest integer "
        f"and clipped to 0-65535. The result is pasted at column x0 = ({cache} - w) // 2, "
        f"row y0 = ({cache} - h) // 2 of a {cache} x {cache} canvas of level 0; the content "
        "box is (x0, y0, x1 = x0 + w, y1 = y0 + h). Every later step reads this stored "
        "canvas (uint8 or uint16 levels), not the original pixels.",
        "window": "The window's limits, taken here, before channel matching: low = c - w/2 "
        "and high = c + w/2 from the first DICOM WindowCenter c and WindowWidth w; without "
        "them, low and high are the 0.5th and 99.5th percentiles (numpy.percentile, linear) "
        "of the real values (level * scale + minimum) inside the content box of the stored "
        "canvas, all its channels (a colour image's three even for a 1-channel model), in "
        "channel, row, column order, taking every (n // 16384)-th value when there are "
        "n > 16384." + window_rule((spec.get("training_images") or {}).get("windows")),
        "channel_match": f"Real values (float32) of the stored canvas; the model reads "
        f"{channels} channel(s): gray is repeated to 3 channels, colour averaged (mean of "
        "R, G, B) to gray, when they differ.",
        "apply_window": "At the cache size, on the channel-matched values x, with the low "
        "and high of 'window' (taken before channel matching): u = clamp((x - low) / "
        "max(high - low, 1e-6), 0, 1) in float32.",
        "resample": f"u is resampled to {size} x {size} by bilinear interpolation without "
        "antialiasing (as torch.nn.functional.grid_sample with mode 'bilinear', "
        "padding_mode 'zeros', align_corners=False). With the content box's centre "
        "cx = (x0 + x1) / 2, cy = (y0 + y1) / 2 and half = (max(x1 - x0, y1 - y0) - 1) / 2, "
        f"output column j (0 to {size - 1}) reads the canvas at x = cx + v_j * half and "
        f"output row i at y = cy + v_i * half, where v_k = (2k + 1) / {size} - 1, in "
        "pixel-edge coordinates (stored pixel k spans [k, k + 1), its centre at k + 0.5). "
        "Output pixels with |v_j| > (x1 - x0 - 1) / 2 / half or |v_i| > (y1 - y0 - 1) / 2 "
        "/ half lie outside the content: u = 0 there (the padding).",
        "normalisation": "x = (u - 0.5) * 4, so [0, 1] becomes [-2, 2] (the padding -2)",
        "examples": "golden.npz holds worked examples (synthetic images, no patient data) to "
        "check a re-implementation against: for each name in example_names "
        f"({', '.join(EXAMPLE_NAMES)}), example_<name>_pixels (the decoded image as a file "
        "reader gives it: [H, W] uint8 or uint16, or [H, W, 3] uint8; start at 'store'), "
        "example_<name>_window (low, high in real units) and example_<name>_input (the "
        f"model input [{channels}, {size}, {size}] these steps give); example_probabilities "
        "are the model's outputs for those inputs, rows in the order of example_names. "
        "Following the steps above with numpy and Pillow reproduces the inputs within "
        "1e-4 (float rounding).",
    }
