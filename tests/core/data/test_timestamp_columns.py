"""A timestamp column named the short way (``ts``, ``unix_ts``, ``TS``) is the time of each
row, not a channel: it gives the sampling rate at import and in predict. A first column
that rises like a clock without a time name stays a channel, with a note saying so."""

from __future__ import annotations

from pathlib import Path

import pytest
from series_file_checks import decode, write

from ssl_studio.core.data.column_roles import column_role
from ssl_studio.core.data.series_clock import CLOCK_NOTE
from ssl_studio.core.export.preprocess import read_inputs


def _rows(start: float, step: float, n: int = 8) -> str:
    return "".join(f"{start + i * step:.13g},{70 + i % 3},{97 - i % 2}\n" for i in range(n))


@pytest.mark.parametrize("name", ["ts", "TS", "unix_ts", "ts_ms", "time_stamp", "Timestamp"])
def test_short_timestamp_names_are_time_columns(name) -> None:
    assert column_role(name) == "time"


@pytest.mark.parametrize(
    ("header", "step", "rate"),
    [("ts", 1, 1.0), ("unix_ts", 0.1, 10.0), ("ts_ms", 100, 10.0)],
)
def test_a_ts_column_gives_the_rate_and_is_no_channel(tmp_path: Path, header, step, rate):
    start = 1_709_287_200_000 if header == "ts_ms" else 1_709_287_200
    decoded = decode(write(tmp_path, "p0.csv", f"{header},hr,spo2\n" + _rows(start, step)))
    (item,) = decoded.items
    assert item.fields["meta"]["channel_names"] == ["hr", "spo2"]
    assert item.array.shape == (2, 8)
    assert item.fields["sampling_rate"] == pytest.approx(rate)
    assert decoded.problems == []


def test_predict_reads_the_rate_from_a_ts_column(tmp_path: Path) -> None:
    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["hr", "spo2"],
            "sampling_rate": 10.0, "csv_layout": "auto", "csv_prefer": "columns",
            "fewest_channels": 2}  # fmt: skip
    write(tmp_path, "same.csv", "ts,hr,spo2\n" + _rows(1_709_287_200, 0.1, 40))
    write(tmp_path, "slow.csv", "ts,hr,spo2\n" + _rows(1_709_287_200, 1, 40))
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    assert found["same.csv"].error is None and found["same.csv"].note == ""
    assert found["same.csv"].sampling_rate == pytest.approx(10.0)
    assert "sampled at 1 per second; the model learned from recordings at 10" in (
        found["slow.csv"].error
    )


def test_a_first_column_rising_like_a_clock_without_a_time_name_is_noted(tmp_path):
    # (seconds from the start: an epoch's seconds are lost in a float32 channel's rounding)
    decoded = decode(write(tmp_path, "c.csv", "stamp,hr,spo2\n" + _rows(3600, 1, 12)))
    (item,) = decoded.items
    assert item.fields["meta"]["channel_names"] == ["stamp", "hr", "spo2"]  # kept as it is
    (note,) = decoded.problems
    assert (note.code, note.severity) == (CLOCK_NOTE, "warning")
    assert note.message.startswith(
        "column 'stamp' of c.csv rises on every row by about the same step (1), as a clock does"
    )
    assert "name the column time (its values in seconds" in note.message
    bare = decode(write(tmp_path, "bare.csv", _rows(3600, 1, 12)))  # no header row: a row
    assert bare.problems == []  # counter as often (its columns judged by what they hold)


@pytest.mark.parametrize(
    "first",
    [
        [1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12],  # a step twice as long: no even clock
        [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5],  # a measurement
        [1, 2, 3, 4, 5, 6, 7, 8, 9],  # too few rows to tell
    ],
)
def test_columns_that_do_not_rise_evenly_get_no_clock_note(tmp_path: Path, first) -> None:
    text = "a,b\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(first))
    decoded = decode(write(tmp_path, "m.csv", text))
    assert [p.code for p in decoded.problems] == []
