"""``ts`` names a measured series as often as a timestamp: a column named only by a short
time name (``ts``, ``TS``, ``unix_ts``, ``tstamp``) is the time only where its values
rise; otherwise it stays a channel. In predict, a column named as one of the model's
channels is a channel, never a time (a model trained on a ``ts`` channel reads its own
training files)."""

from __future__ import annotations

import numpy as np
import pytest
from series_file_checks import decode, write

from ssl_studio.core.export.preprocess import read_inputs

WAVE = np.sin(np.arange(40) / 3)


@pytest.mark.parametrize("name", ["ts", "TS", "unix_ts", "tstamp"])
def test_a_short_time_name_over_values_that_go_back_is_a_channel(tmp_path, name) -> None:
    rows = "".join(f"{v:.4f},{i % 5}\n" for i, v in enumerate(WAVE))
    decoded = decode(write(tmp_path, "a.csv", f"{name},ecg\n" + rows))
    (item,) = decoded.items
    assert item.fields["meta"]["channel_names"] == [name, "ecg"]
    assert item.array.shape == (2, 40) and item.fields["sampling_rate"] is None
    assert decoded.problems == []


def test_a_lone_ts_column_of_measurements_is_read(tmp_path) -> None:
    only = decode(write(tmp_path, "o.csv", "ts\n" + "".join(f"{v:.4f}\n" for v in WAVE)))
    assert only.items[0].fields["meta"]["channel_names"] == ["ts"]
    pandas = "".join(f"{i},{v:.4f}\n" for i, v in enumerate(WAVE))  # pandas' index first
    (item,) = decode(write(tmp_path, "p.csv", ",ts\n" + pandas)).items
    assert item.array.shape == (1, 40)


def test_a_ts_column_that_rises_is_still_the_time(tmp_path) -> None:
    rows = "".join(f"{1_709_287_200 + i // 2},{v:.4f}\n" for i, v in enumerate(WAVE))
    (item,) = decode(write(tmp_path, "t.csv", "ts,ecg\n" + rows)).items  # (steps of 0: kept)
    assert item.fields["meta"]["channel_names"] == ["ecg"]


def test_predict_reads_a_column_named_as_a_model_channel_as_that_channel(tmp_path) -> None:
    # a model exported when "ts" was no time name, trained on a counter called ts
    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ts", "resp"],
            "csv_layout": "auto", "csv_prefer": "columns", "fewest_channels": 2}  # fmt: skip
    rows = "".join(f"{i * 5},{v:.4f}\n" for i, v in enumerate(WAVE))
    write(tmp_path, "calm0.csv", "ts,resp\n" + rows)
    [found] = read_inputs([tmp_path], spec)
    assert found.error is None and found.x is not None
    assert found.x.shape[-2:] == (2, 40)
