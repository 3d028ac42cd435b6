"""The image recipe on the model card: the reduced JPEG-baseline DICOM decode is stated
as the exact call and for the photometric interpretations dicom.py drafts, and the
window's limits are taken before channel matching, applied after (as image_batch.py
does), in the numbered steps of MODEL_CARD.md."""

from __future__ import annotations

from ssl_studio.core.data.dicom import DRAFT_FROM, DRAFT_PHOTOMETRICS
from ssl_studio.core.export.card import preprocessing
from ssl_studio.core.export.card_input import input_lines

SPEC = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 64}


def _steps(spec: dict) -> list[str]:
    """The numbered steps of MODEL_CARD.md's Input section, in order (their names)."""
    lines = input_lines(preprocessing(spec), spec)
    return [line.split("**")[1] for line in lines if line[:1].isdigit() and ". **" in line]


def test_the_draft_decode_names_the_call_the_size_and_the_photometrics():
    decode = preprocessing(SPEC)["decode"]
    assert "image.draft(mode, (64, 64))" in decode  # the cache size, both sides
    assert f"at least {DRAFT_FROM * 64} px" in decode
    for photometric, samples in DRAFT_PHOTOMETRICS:
        assert f"{photometric} with {samples}" in decode
    assert "1.2.840.10008.1.2.4.50" in decode and "mode 'L' for 1 sample" in decode
    assert "marked RGB or MONOCHROME1 included) is decoded whole" in decode
    assert "decode such files at full size" in decode  # other toolkits differ
    assert "image.draft(mode, (224, 224))" in preprocessing({**SPEC, "cache_size": 224})["decode"]


def test_the_window_limits_come_before_channel_matching_and_apply_after():
    for channels in (1, 3):
        steps = _steps({**SPEC, "in_channels": channels})
        assert steps.index("window") < steps.index("channel match") < steps.index("apply window")
        assert steps.index("apply window") < steps.index("resample")
    pre = preprocessing(SPEC)
    assert "before channel matching" in pre["window"] and "percentiles" in pre["window"]
    assert "clamp" not in pre["window"]  # applied after channel matching
    assert "u = clamp((x - low)" in pre["apply_window"]
    assert "taken before channel matching" in pre["apply_window"]
