"""A time column of Unix milliseconds (1.7e12) is read as milliseconds even when its name
does not say so; the unnamed-clock note needs steps equal within about 1 % (a steadily
rising measurement is no clock) and says to keep a measurement as it is."""

from __future__ import annotations

import numpy as np
import pytest
from series_file_checks import decode, write

from ssl_studio.core.data.series_clock import CLOCK_NOTE

RNG = np.random.default_rng(0)


def _timed(name: str, times) -> str:
    return f"{name},ax\n" + "".join(f"{t},{i % 7}\n" for i, t in enumerate(times))


@pytest.mark.parametrize("name", ["ts", "time", "timestamp", "unix_ts"])
def test_epoch_milliseconds_give_the_rate_in_hertz(tmp_path, name) -> None:
    times = [1_700_000_000_000 + 20 * i for i in range(100)]  # 50 Hz, in ms
    (item,) = decode(write(tmp_path, "a.csv", _timed(name, times))).items
    assert item.fields["sampling_rate"] == pytest.approx(50.0)


def test_a_unit_in_the_header_is_kept(tmp_path) -> None:
    ms = [1_700_000_000_000 + 20 * i for i in range(100)]
    (item,) = decode(write(tmp_path, "m.csv", _timed("unix_ms", ms))).items
    assert item.fields["sampling_rate"] == pytest.approx(50.0)
    seconds = [1_700_000_000 + 0.02 * i for i in range(100)]
    text = _timed("time", [f"{t:.2f}" for t in seconds])
    (item,) = decode(write(tmp_path, "s.csv", text)).items
    assert item.fields["sampling_rate"] == pytest.approx(50.0)


def test_a_steadily_rising_measurement_gets_no_clock_note(tmp_path) -> None:
    volume = np.cumsum(0.05 * RNG.uniform(0.96, 1.04, 200))  # an infusion pump's ml
    rows = "".join(f"{v:.4f},{RNG.normal(100, 5):.2f}\n" for v in volume)
    decoded = decode(write(tmp_path, "pump.csv", "volume_ml,pressure\n" + rows))
    assert decoded.problems == []


def test_an_unnamed_clock_is_still_noted(tmp_path) -> None:
    rows = "".join(f"{1000 + 0.002 * i:.3f},{RNG.normal():.3f}\n" for i in range(200))
    (note,) = decode(write(tmp_path, "c.csv", "clock,ecg\n" + rows)).problems
    assert note.code == CLOCK_NOTE
    assert note.message.endswith(
        "If it is a measurement that rises steadily (a cumulative volume or count), keep it "
        "as it is and ignore this note."
    )
