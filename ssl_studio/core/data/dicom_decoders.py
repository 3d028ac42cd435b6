"""What to do about compressed DICOM pixel data that no installed decoder reads, by
transfer syntax: the package that decodes it, or, for DICOM video and JPEG XL, which no
package SSL Studio can use decodes, to extract the frames as images.

Matched on the transfer-syntax UID, not on its name: "JPEG" is in the names of JPEG-LS,
JPEG 2000 and High-Throughput JPEG 2000 too, and each needs another package.
"""

from __future__ import annotations

LIBJPEG = "pylibjpeg and pylibjpeg-libjpeg"
OPENJPEG = "pylibjpeg and pylibjpeg-openjpeg"
_PACKAGES = {
    "1.2.840.10008.1.2.4.50": f"{LIBJPEG} (or Pillow)",  # JPEG Baseline (8 bit)
    "1.2.840.10008.1.2.4.51": LIBJPEG,  # JPEG Extended (12 bit: Pillow cannot)
    "1.2.840.10008.1.2.4.57": LIBJPEG,  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": LIBJPEG,  # JPEG Lossless, first-order prediction
    "1.2.840.10008.1.2.4.80": f"{LIBJPEG} (or pyjpegls)",  # JPEG-LS lossless
    "1.2.840.10008.1.2.4.81": f"{LIBJPEG} (or pyjpegls)",  # JPEG-LS near-lossless
    "1.2.840.10008.1.2.4.90": OPENJPEG,  # JPEG 2000 lossless
    "1.2.840.10008.1.2.4.91": OPENJPEG,  # JPEG 2000
    "1.2.840.10008.1.2.4.201": f"{OPENJPEG} 2.4 or newer",  # High-Throughput JPEG 2000
    "1.2.840.10008.1.2.4.202": f"{OPENJPEG} 2.4 or newer",
    "1.2.840.10008.1.2.4.203": f"{OPENJPEG} 2.4 or newer",
    "1.2.840.10008.1.2.5": "pylibjpeg and pylibjpeg-rle",  # RLE Lossless
}
# MPEG-2, MPEG-4 AVC/H.264, HEVC/H.265 video and JPEG XL: 1.2.840.10008.1.2.4.100-112
_VIDEO_OR_JPEG_XL = tuple(f"1.2.840.10008.1.2.4.{n}" for n in range(100, 113))


def missing_decoder_advice(transfer_syntax: str | None) -> str:
    """The sentence after "No decoder is installed for the compression '...'."."""
    if transfer_syntax in _PACKAGES:
        return f"Install {_PACKAGES[transfer_syntax]} to read it."
    if transfer_syntax in _VIDEO_OR_JPEG_XL:
        return (
            "SSL Studio reads no DICOM video (MPEG-2, H.264, H.265) or JPEG XL: extract "
            "the frames as images (for example with ffmpeg, or your viewer's export) and "
            "import those, or move the file out of the folder."
        )
    return (
        "Convert the file to an uncompressed transfer syntax (for example with dcmtk's "
        "dcmdjpeg or gdcmconv --raw) and import it again."
    )


def says_no_decoder(text: str) -> bool:
    """Whether a pydicom decoding error says no decoder can read the compression, not
    that the data is damaged: pydicom's own words, or every plugin that tried saying it
    does not support it (Pillow: "does not support ... 12-bit precision"). One plugin's
    real error among them (libjpeg: "a misplaced marker segment") means damaged data."""
    first, *reasons = [line.strip().lower() for line in text.splitlines() if line.strip()]
    if any(phrase in first for phrase in ("not supported", "plugins are missing", "no plugins")):
        return True
    unsupported = ("not supported", "does not support")
    return bool(reasons) and all(any(p in reason for p in unsupported) for reason in reasons)
