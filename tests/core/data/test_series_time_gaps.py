"""Time columns that are not one even step: gaps filled with missing values, jitter kept as
its rate, clocks set back and missing times noted with their rows kept in file order,
uneven times without a rate (and said so), a given rate the times disagree with; the notes
reach the import summary and report, ``ssl-studio report`` and predict."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from ssl_studio.cli import main
from ssl_studio.core.data.records import DecodedFile
from ssl_studio.core.data.timeseries import decode_series_file
from ssl_studio.core.project.store import Store

RATE = 500.0
STEPS = 30_000  # 60 s at 500 Hz
GAP = slice(10_000, 12_500)  # 5 s missing, 20 s from the start


def _write(path: Path, times: list[str], values: np.ndarray | None = None) -> Path:
    """A ``time,ecg`` CSV: ecg 0, 1, 2, ... (row numbers, so each value names its row)."""
    values = np.arange(len(times), dtype=float) if values is None else values
    rows = "".join(f"{t},{v:g}\n" for t, v in zip(times, values, strict=True))
    path.write_text("time,ecg\n" + rows)
    return path


def _seconds(t: np.ndarray) -> list[str]:
    return [repr(float(s)) for s in t]


def _iso(t: np.ndarray) -> list[str]:
    start = datetime(2024, 3, 9, 8, 30, tzinfo=UTC).timestamp()
    return [datetime.fromtimestamp(start + s, UTC).isoformat(timespec="milliseconds") for s in t]


def _gapped() -> tuple[np.ndarray, np.ndarray]:
    """(times [R], where they sit on the 500 Hz timeline [R]): 60 s less 5 s at 20 s."""
    place = np.r_[0 : GAP.start, GAP.stop : STEPS]
    return place / RATE, place


def _notes(decoded: DecodedFile) -> dict[str, str]:
    return {p.code: p.message for p in decoded.problems}


@pytest.mark.parametrize("spell", [_seconds, _iso])
def test_a_gap_is_filled_with_missing_values_counted_and_noted(tmp_path, spell) -> None:
    times, place = _gapped()
    decoded = decode_series_file(_write(tmp_path / "ecg.csv", spell(times)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == pytest.approx(RATE) and item.array.shape == (1, STEPS)
    assert np.isnan(item.array[0, GAP]).all() and item.fields["n_missing"] == 2500
    np.testing.assert_array_equal(item.array[0, place], np.arange(len(place)))
    note = _notes(decoded)["csv-time-gaps"]
    assert note.startswith("column 'time' of ecg.csv has 1 gap(s) in its times, the longest 5 s")
    assert "5 s at 20 s from the start (before line 10002)" in note
    assert "filled with 2500 missing values" in note
    assert "2024" not in note and "08:" not in note  # never a date-time: it may date a visit
    assert [p.severity for p in decoded.problems] == ["warning"]


def test_timestamps_with_jitter_or_rounded_to_a_tick_keep_the_rate(tmp_path) -> None:
    rng = np.random.default_rng(0)
    jitter = np.arange(STEPS) / RATE + rng.uniform(-3e-4, 3e-4, STEPS)  # steps 1.4-2.6 ms
    decoded = decode_series_file(_write(tmp_path / "jitter.csv", _seconds(jitter)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == pytest.approx(RATE, rel=1e-4)
    assert not decoded.problems and item.array.shape == (1, STEPS) and item.fields["n_missing"] == 0
    ms = [str(round(i * 1000 / 256)) for i in range(2000)]  # 256 Hz, times in whole ms
    path = tmp_path / "ticks.csv"
    path.write_text("time_ms,ecg\n" + "".join(f"{t},{i}\n" for i, t in enumerate(ms)))
    decoded = decode_series_file(path)
    assert decoded.items[0].fields["sampling_rate"] == pytest.approx(256, rel=1e-3)
    assert not decoded.problems and decoded.items[0].array.shape == (1, 2000)


def test_a_clock_set_back_keeps_the_rows_in_file_order_and_is_noted(tmp_path) -> None:
    times = np.arange(STEPS) / RATE
    times[15_000:] -= 1.0  # the clock set back 1 s (a DST change, a device reset)
    decoded = decode_series_file(_write(tmp_path / "dst.csv", _iso(times)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == pytest.approx(RATE)  # (from date-times)
    np.testing.assert_array_equal(item.array[0], np.arange(STEPS))  # file order, no NaN
    note = _notes(decoded)["csv-time-order"]
    assert "its time goes back or repeats 1 time(s), first by 1 s on line 15002" in note
    assert "30 s from the start" in note and "kept in file order" in note
    assert item.fields["meta"]["time_order"] == 1


def test_a_missing_time_cell_is_noted_and_its_row_kept(tmp_path) -> None:
    times = _seconds(np.arange(1000) / RATE)
    times[400] = ""
    decoded = decode_series_file(_write(tmp_path / "hole.csv", times))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == RATE and item.fields["n_missing"] == 0
    np.testing.assert_array_equal(item.array[0], np.arange(1000))
    assert "1 row(s) have no time, first on line 402" in _notes(decoded)["csv-time-order"]


def test_uneven_times_have_no_rate_and_say_why(tmp_path) -> None:
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.001, 0.010, 3000))  # event-driven: no one step
    decoded = decode_series_file(_write(tmp_path / "events.csv", _seconds(times)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] is None and item.array.shape == (1, 3000)
    (problem,) = decoded.problems
    assert (problem.code, problem.severity) == ("csv-time-irregular", "warning")
    assert "holds times that are not evenly spaced (their steps run from" in problem.message
    assert "sampling rate is unknown" in problem.message
    assert "not recognised" not in problem.message
    assert item.fields["meta"]["times"] == "irregular"
    given = decode_series_file(tmp_path / "events.csv", sampling_rate=200)
    assert given.items[0].fields["sampling_rate"] == 200.0
    assert "taken as the 200 per second given" in given.problems[0].message


def test_a_given_rate_the_times_disagree_with_is_noted(tmp_path) -> None:
    path = _write(tmp_path / "ecg.csv", _seconds(np.arange(1000) / RATE))
    decoded = decode_series_file(path, sampling_rate=250)
    assert decoded.items[0].fields["sampling_rate"] == RATE  # the file's own times
    note = _notes(decoded)["csv-rate-given"]
    assert "has times at 500 per second, so the 250 per second given" in note
    assert not decode_series_file(path, sampling_rate=502).problems  # within 1 %


def test_a_gap_too_long_to_fill_is_not_filled_and_said(tmp_path) -> None:
    times = np.r_[np.arange(50), 3600 + np.arange(50)] / 10.0  # 6 min gap at 10 Hz
    decoded = decode_series_file(_write(tmp_path / "day.csv", _seconds(times)))
    (item,) = decoded.items
    assert item.array.shape == (1, 100) and item.fields["sampling_rate"] is None
    note = _notes(decoded)["csv-time-gaps"]
    assert "more than 10 times its own 100 rows, so they were not filled" in note
    assert "Split the file" in note


def _old_uniform_rate(seconds: np.ndarray) -> float | None:
    """series_times.uniform_rate before gaps were filled (regular files keep its rate)."""
    if len(seconds) < 2 or np.isnan(seconds).any():
        return None
    step = (seconds[-1] - seconds[0]) / (len(seconds) - 1)
    if step <= 0 or np.abs(np.diff(seconds) - step).max() > 0.01 * step:
        return None
    return float(f"{1.0 / step:.9g}")


@pytest.mark.parametrize(
    "times",
    [
        np.arange(STEPS) / RATE,
        np.arange(7) * 0.1 + 1.7e9,  # epoch seconds
        np.arange(100) / 3.0,  # a step that is no round number
        np.arange(200) * 0.01 + 4e-5 * (np.arange(200) % 2),  # steps within the old 1 %
    ],
)
def test_regular_times_read_as_before(tmp_path, times) -> None:
    decoded = decode_series_file(_write(tmp_path / "r.csv", _seconds(times)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == _old_uniform_rate(times) is not None
    np.testing.assert_array_equal(item.array[0], np.arange(len(times)))
    assert not decoded.problems and item.fields["n_missing"] == 0
    assert not {"times", "gaps_filled", "time_order"} & set(item.fields["meta"])


def test_the_notes_reach_the_import_report_and_ssl_studio_report(project, tmp_path, capsys):
    folder = tmp_path / "rec"
    folder.mkdir()
    times, _ = _gapped()
    _write(folder / "gap.csv", _seconds(times))
    back = np.arange(1000) / RATE
    back[500:] -= 1.0
    _write(folder / "reset.csv", _seconds(back))
    assert main(["import", str(project), str(folder), "--workers", "1"]) == 0
    summary = capsys.readouterr().out  # the import's summary points to the notes
    assert "Notes on imported files: csv-time-gaps (1), csv-time-order (1)." in summary
    with Store.open(project) as store:
        notes = {(e["path"], e["code"], e["severity"]) for e in store.import_errors(1)}
        items = {json.loads(i["meta"])["name"]: i for i in store.items(1)}
    assert notes == {
        ("gap.csv", "csv-time-gaps", "warning"),
        ("reset.csv", "csv-time-order", "warning"),
    }
    assert items["gap"]["n_missing"] == 2500 and items["gap"]["length"] == STEPS
    assert items["gap"]["sampling_rate"] == RATE
    assert main(["report", str(project)]) == 0
    out = capsys.readouterr().out
    assert "rec: 2 notes on imported files" in out
    assert "[warning] gap.csv: column 'time' of gap.csv has 1 gap(s) in its times" in out
    assert "(csv-time-gaps)" in out and "(csv-time-order)" in out


def test_predict_fills_the_same_gaps_and_says_why_a_rate_is_unknown(tmp_path) -> None:
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 1, "channel_names": ["ecg"],
            "sampling_rate": RATE, "csv_layout": "auto", "csv_prefer": "columns"}  # fmt: skip
    times, place = _gapped()
    _write(tmp_path / "gap.csv", _seconds(times))
    rng = np.random.default_rng(2)
    _write(tmp_path / "events.csv", _seconds(np.cumsum(rng.uniform(0.001, 0.01, 500))))
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    gap = found["gap.csv"]
    assert gap.error is None and gap.x.shape[-1] == STEPS
    assert not gap.observed[..., GAP].any() and gap.observed[..., place].all()
    assert gap.note == "Gaps in its times were filled with 2500 missing values."
    assert found["events.csv"].note == (
        "Its sampling rate is unknown (its times are not evenly spaced); the model expects "
        "500 per second."
    )


@pytest.mark.parametrize("bad, line", [("repeated", 0.0), ("back", -0.2), ("forward", 0.5)])
def test_one_time_out_of_line_moves_no_other_row(tmp_path, bad, line) -> None:
    """A single repeated, mistyped or glitched time between two good ones: its row stays
    one step after the row before, no gap is made up and no later row moves."""
    times = np.arange(100) / 100.0
    times[50] = times[49] + line
    decoded = decode_series_file(_write(tmp_path / f"{bad}.csv", _seconds(times)))
    (item,) = decoded.items
    assert item.array.shape == (1, 100) and item.fields["n_missing"] == 0
    np.testing.assert_array_equal(item.array[0], np.arange(100))
    assert item.fields["sampling_rate"] == pytest.approx(100)
    notes = _notes(decoded)
    assert "csv-time-gaps" not in notes
    assert "1 row(s) have a time out of line with the rows around them" in notes["csv-time-order"]


def test_a_gap_of_a_step_and_a_half_is_filled_and_bends_no_rate(tmp_path) -> None:
    times = np.r_[np.arange(50), np.arange(50) + 50.5] / 100.0  # 1.5 steps at row 50
    decoded = decode_series_file(_write(tmp_path / "half.csv", _seconds(times)))
    (item,) = decoded.items
    assert item.fields["sampling_rate"] == pytest.approx(100)
    assert item.array.shape == (1, 101) and "csv-time-gaps" in _notes(decoded)
