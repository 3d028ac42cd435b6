"""Cache-ready arrays (dtype choice, quantisation, letterbox) and the shard files."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.data.cache import CacheReader, CacheWriter, parse_image_shard
from ssl_studio.core.data.pixels import to_cache

rng = np.random.default_rng(1)


def test_eight_bit_sources_stay_uint8_and_exact():
    frame = rng.integers(0, 256, (16, 16), dtype=np.uint8)
    stored, fields = to_cache(frame, size=16, eight_bit=True)
    assert stored.dtype == np.uint8
    np.testing.assert_array_equal(stored[0], frame)
    assert (fields["value_offset"], fields["value_scale"]) == (0.0, 1.0)


def test_integer_ranges_up_to_65536_levels_are_exact():
    hounsfield = rng.integers(-1024, 3071, (16, 16)).astype(np.int16)
    stored, fields = to_cache(hounsfield, size=16, eight_bit=False)
    assert stored.dtype == np.uint16 and fields["value_scale"] == 1.0
    np.testing.assert_array_equal(stored[0] + fields["value_offset"], hounsfield)


def test_wide_or_fractional_ranges_are_quantised_within_one_level():
    values = rng.normal(0, 1e6, (16, 16))
    stored, fields = to_cache(values, size=16, eight_bit=False)
    back = stored[0] * fields["value_scale"] + fields["value_offset"]
    assert fields["value_scale"] == pytest.approx(np.ptp(values) / 65535)
    np.testing.assert_allclose(back, values, atol=fields["value_scale"])


def test_nan_pixels_do_not_break_the_range_and_all_nan_is_refused():
    values = rng.normal(size=(8, 8))
    values[0, 0] = np.nan
    stored, fields = to_cache(values, size=8, eight_bit=False)
    assert np.isfinite(fields["mean"])
    with pytest.raises(ValueError, match="NaN"):
        to_cache(np.full((4, 4), np.nan), size=8, eight_bit=False)


def test_downscaling_averages_instead_of_aliasing():
    stripes = np.tile(np.array([0, 255], np.uint8), (64, 32))  # 64 x 64, 1-px stripes
    stored, _ = to_cache(stripes, size=16, eight_bit=True)
    assert abs(float(stored.mean()) - 127.5) < 3 and stored.std() < 10


def test_stats_describe_the_content_only():
    stored, fields = to_cache(np.full((10, 40), 100, np.uint8), size=40, eight_bit=True)
    assert fields["mean"] == 100 and fields["std"] == 0  # the padding is not counted


def test_cache_round_trip_and_batch_read_in_real_units(tmp_path):
    writer = CacheWriter(tmp_path)
    a, fa = to_cache(rng.integers(-1000, 1000, (8, 8)).astype(np.int16), size=8, eight_bit=False)
    b, fb = to_cache(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), size=8, eight_bit=True)
    name_a, slot_a = writer.add_image(a)
    name_b, slot_b = writer.add_image(b)
    name_c, slot_c = writer.add_image(a)
    writer.sync()
    writer.close()
    assert parse_image_shard(name_a) == (8, np.dtype(np.uint16), 1)
    assert (slot_a, slot_c, slot_b) == (0, 1, 0)
    items = [
        {"cache_file": name_c, "cache_index": slot_c, **fa},
        {"cache_file": name_b, "cache_index": slot_b, **fb},
        {"cache_file": name_a, "cache_index": slot_a, **fa},
    ]
    reader = CacheReader(tmp_path)
    batch = reader.images(items, channels=3)
    assert batch.shape == (3, 3, 8, 8) and batch.dtype == np.float32
    np.testing.assert_array_equal(batch[0, 1], a[0] + fa["value_offset"])  # gray -> RGB
    np.testing.assert_array_equal(batch[1], b)
    np.testing.assert_array_equal(reader.stored_image(items[2]), a)


def test_series_round_trip_keeps_missing_values_as_a_mask(tmp_path):
    writer = CacheWriter(tmp_path)
    values = rng.normal(size=(2, 7)).astype(np.float32)
    values[1, 3] = np.nan
    _, offset = writer.add_series(rng.normal(size=(1, 5)).astype(np.float32))
    name, offset = writer.add_series(values)
    writer.close()
    got, mask = CacheReader(tmp_path).series(
        {"cache_file": name, "cache_index": offset, "channels": 2, "length": 7}
    )
    assert offset == 5
    assert mask.sum() == 13 and not mask[1, 3]
    np.testing.assert_array_equal(got[mask], values[mask])
    assert got[1, 3] == 0


def test_a_partly_written_slot_is_cut_off_before_appending(tmp_path):
    stored, _ = to_cache(np.zeros((4, 4), np.uint8), size=4, eight_bit=True)
    writer = CacheWriter(tmp_path)
    name, _ = writer.add_image(stored)
    writer.close()
    with open(tmp_path / name, "ab") as f:  # a crash in the middle of the next append
        f.write(b"\x01\x02\x03")
    writer = CacheWriter(tmp_path)
    _, slot = writer.add_image(stored + 5)
    writer.close()
    assert slot == 1 and (tmp_path / name).stat().st_size == 2 * 16
    assert (CacheReader(tmp_path).stored_image({"cache_file": name, "cache_index": 1}) == 5).all()
