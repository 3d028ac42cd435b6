"""wording.size_text: small sizes are never "0.0 MB" (review finding: 1 KiB zeroed)."""

from ssl_studio.core.wording import size_text


def test_sizes_below_a_tenth_of_a_megabyte_are_told_in_kilobytes_or_bytes():
    assert [size_text(n) for n in (0, 1, 999, 1024, 99_499)] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "1 KB",
        "99 KB",
    ]
    assert [size_text(n) for n in (100_000, 12_000_000, 1_300_000_000)] == [
        "0.1 MB",
        "12 MB",
        "1.3 GB",
    ]


def test_a_size_is_rounded_before_its_unit_is_chosen():
    assert [size_text(n) for n in (9_960_000, 999_999_999, 999_400_000)] == [
        "10 MB",
        "1.0 GB",
        "999 MB",
    ]
