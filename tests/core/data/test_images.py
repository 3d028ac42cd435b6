"""PNG, JPEG, TIFF and BMP files of every common kind, and broken ones."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from ssl_studio.core.data.images import decode_image
from ssl_studio.core.data.records import ImportProblem

rng = np.random.default_rng(0)


def real(item) -> np.ndarray:
    return item.array.astype(np.float64) * item.fields["value_scale"] + item.fields["value_offset"]


def test_gray_8_bit_png_is_kept_exactly(tmp_path):
    pixels = rng.integers(0, 256, (32, 32), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    [item] = decode_image(tmp_path / "a.png", size=32, fmt="png").items
    assert item.array.dtype == np.uint8 and item.array.shape == (1, 32, 32)
    np.testing.assert_array_equal(item.array[0], pixels)
    assert item.fields["modality"] == "PNG"


def test_16_bit_png_keeps_its_range(tmp_path):
    pixels = rng.integers(0, 65536, (24, 24), dtype=np.uint16)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    [item] = decode_image(tmp_path / "a.png", size=24, fmt="png").items
    assert item.array.dtype == np.uint16
    np.testing.assert_array_equal(real(item)[0], pixels)


def test_rgba_drops_alpha_and_palette_becomes_rgb(tmp_path):
    rgba = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    [item] = decode_image(tmp_path / "a.png", size=16, fmt="png").items
    np.testing.assert_array_equal(np.moveaxis(item.array, 0, 2), rgba[:, :, :3])
    Image.fromarray(rgba[:, :, :3]).convert("P", palette=Image.Palette.ADAPTIVE).save(
        tmp_path / "p.png"
    )
    [item] = decode_image(tmp_path / "p.png", size=16, fmt="png").items
    assert item.array.shape == (3, 16, 16)


def test_rgb_with_equal_channels_is_stored_as_gray(tmp_path):
    gray = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    Image.fromarray(np.stack([gray] * 3, axis=2)).save(tmp_path / "xray.jpg", quality=100)
    Image.fromarray(np.stack([gray] * 3, axis=2)).save(tmp_path / "xray.bmp")
    [item] = decode_image(tmp_path / "xray.bmp", size=16, fmt="bmp").items
    assert item.array.shape == (1, 16, 16)
    np.testing.assert_array_equal(item.array[0], gray)
    [item] = decode_image(tmp_path / "xray.jpg", size=16, fmt="jpeg").items
    assert item.array.shape[0] in (1, 3)


def test_tiff_16_bit_rgb_float_and_pages(tmp_path):
    rgb16 = rng.integers(0, 65536, (20, 20, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb16, photometric="rgb")
    [item] = decode_image(tmp_path / "rgb.tif", size=20, fmt="tiff").items
    assert item.array.dtype == np.uint16 and item.array.shape == (3, 20, 20)
    np.testing.assert_array_equal(real(item), np.moveaxis(rgb16, 2, 0))

    floats = rng.normal(size=(20, 20)).astype(np.float32)
    tifffile.imwrite(tmp_path / "f.tif", floats)
    [item] = decode_image(tmp_path / "f.tif", size=20, fmt="tiff").items
    np.testing.assert_allclose(real(item)[0], floats, atol=item.fields["value_scale"])

    pages = rng.integers(0, 256, (3, 8, 8), dtype=np.uint8)
    for page in pages:
        tifffile.imwrite(tmp_path / "stack.tif", page, append=True)
    out = decode_image(tmp_path / "stack.tif", size=8, fmt="tiff")
    assert [i.index for i in out.items] == [0, 1, 2]
    np.testing.assert_array_equal(out.items[2].array[0], pages[2])


def test_non_square_image_is_letterboxed(tmp_path):
    Image.fromarray(np.full((10, 40), 200, np.uint8)).save(tmp_path / "wide.png")
    [item] = decode_image(tmp_path / "wide.png", size=32, fmt="png").items
    f = item.fields
    assert (f["height"], f["width"]) == (10, 40)
    assert (f["box_x0"], f["box_x1"], f["box_y1"] - f["box_y0"]) == (0, 32, 8)
    assert (item.array[0, f["box_y0"] : f["box_y1"]] == 200).all()
    assert item.array[0, : f["box_y0"]].sum() == 0


def test_images_under_eight_pixels_a_side_are_refused_and_eight_imports(tmp_path):
    for shape in ((1, 1), (7, 300), (300, 7)):
        Image.fromarray(np.full(shape, 7, np.uint8)).save(tmp_path / "small.png")
        with pytest.raises(ImportProblem) as info:
            decode_image(tmp_path / "small.png", size=8, fmt="png")
        assert info.value.code == "image-too-small"
        assert f"only {shape[1]} x {shape[0]} pixels" in info.value.message
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(tmp_path / "smallest.png")
    [item] = decode_image(tmp_path / "smallest.png", size=8, fmt="png").items
    assert (item.array == 7).all()


def test_truncated_png_is_reported_as_damaged(tmp_path):
    Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)).save(tmp_path / "a.png")
    data = (tmp_path / "a.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportProblem) as info:
        decode_image(tmp_path / "cut.png", size=32, fmt="png")
    assert info.value.code == "image-corrupt" and "damaged or truncated" in info.value.message


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    # a well-formed PNG that claims 100 000 x 100 000 pixels (its data is tiny)
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    png += chunk(b"IDAT", zlib.compress(b"\x00" * 100)) + chunk(b"IEND", b"")
    (tmp_path / "bomb.png").write_bytes(png)
    with pytest.raises(ImportProblem) as info:
        decode_image(tmp_path / "bomb.png", size=32, fmt="png")
    assert info.value.code == "image-too-large" and "too large" in info.value.message


def test_a_tiff_of_many_channels_is_refused_before_decoding(tmp_path, monkeypatch):
    """A 2 MB TIFF of 8000 x 8000 x 32 samples was decoded whole (2 GB) before its
    channels were refused."""
    tifffile.imwrite(tmp_path / "many.tif", np.zeros((32, 32, 6), np.uint8), planarconfig="contig")
    monkeypatch.setattr(
        tifffile.TiffPage, "asarray", lambda *a, **k: pytest.fail("decoded before the check")
    )
    with pytest.raises(ImportProblem) as info:
        decode_image(tmp_path / "many.tif", size=32, fmt="tiff")
    assert info.value.code == "image-channels" and "6 channels per pixel" in info.value.message
