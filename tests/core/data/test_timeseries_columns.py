"""The time-series reader on CSV files of one recording a file (columns layout): headers,
time columns and sampling rates, dates, ids and labels that are no channels; and the
reader's public constants and imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from series_file_checks import decode, problem, write

from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.timeseries import LAYOUTS, SERIES_EXTENSIONS


def test_public_constants() -> None:
    assert SERIES_EXTENSIONS == {".csv", ".tsv", ".npy", ".npz"}
    assert LAYOUTS == ("auto", "columns", "rows")


# ----------------------------------------------------------------------------- columns layout


def test_columns_with_header_and_time_column(tmp_path: Path) -> None:
    text = "time,ecg,resp\n0.00,1,2\n0.01,NA,4\n0.02,5,\n0.03,,\n0.04,,\n,,\n,,\n"
    (item,) = decode(write(tmp_path, "rec.csv", text)).items
    np.testing.assert_array_equal(item.array, [[1, np.nan, 5], [2, 4, np.nan]])
    assert item.index == 0 and item.label is None
    assert item.fields["length"] == 3 and item.fields["n_missing"] == 2
    assert item.fields["sampling_rate"] == pytest.approx(100.0)
    meta = {"layout": "columns", "name": "rec", "channel_names": ["ecg", "resp"]}
    # for predict: the whole header, and the rows with a time but no value cut off at the
    # end (not the blank rows after them: a spreadsheet's, nothing was recorded there)
    assert item.fields["meta"] == {
        **meta,
        "columns": ["time", "ecg", "resp"],
        "missing_end_rows": 2,
    }
    # a file without a header row, read with that header (as predict reads it)
    bare = write(tmp_path, "bare.csv", "0.00,3,2\n0.01,NA,4\n0.02,5,\n")
    (item,) = decode(bare, header=("time", "ecg", "resp")).items
    np.testing.assert_array_equal(item.array, [[3, np.nan, 5], [2, 4, np.nan]])
    assert item.fields["sampling_rate"] == pytest.approx(100.0)
    assert item.fields["meta"] == {**meta, "name": "bare", "columns_from": "training"}
    (item,) = decode(bare, header=("time", "ecg")).items  # another width: by position
    assert item.fields["channels"] == 3 and item.fields["meta"]["channel_names"] is None


@pytest.mark.parametrize(
    ("header", "time", "spare", "rate"),
    [
        ("time_ms,time_s,ecg", "time_ms", "time_s", 100.0),
        ("timestamp,elapsed,ecg", "timestamp", "elapsed", 2.0),
        ("elapsed,timestamp,ecg", "timestamp", "elapsed", 2.0),  # date-times over seconds
    ],
)
def test_a_second_time_column_is_left_out_of_the_channels_with_a_note(
    tmp_path: Path, header, time, spare, rate
) -> None:
    cells = {
        "time_ms": lambda t: f"{t * 10}",
        "time_s": lambda t: f"{t / 100}",
        "timestamp": lambda t: f"2024-03-01 10:00:{t / 2:04.1f}",
        "elapsed": lambda t: f"{t / 2}",
        "ecg": lambda t: f"{t % 3}",
    }
    names = header.split(",")
    text = header + "\n" + "".join(",".join(cells[n](t) for n in names) + "\n" for t in range(8))
    decoded = decode(write(tmp_path, "rec.csv", text))
    (item,) = decoded.items
    assert item.fields["meta"]["channel_names"] == ["ecg"]
    np.testing.assert_array_equal(item.array, [[0, 1, 2, 0, 1, 2, 0, 1]])
    assert item.fields["sampling_rate"] == pytest.approx(rate)
    (note,) = decoded.problems
    assert (note.code, note.severity) == ("csv-time-extra", "info")
    assert f"column {spare!r} of rec.csv was left out of the channels" in note.message
    assert f"beside column {time!r}, the time read" in note.message
    assert "rename the column" in note.message


def test_a_time_named_column_whose_values_do_not_only_increase_stays_a_channel(
    tmp_path: Path,
) -> None:
    text = "time,ms,ecg\n0,5,1\n1,3,2\n2,9,3\n"  # "ms": a measurement, not a clock
    decoded = decode(write(tmp_path, "rec.csv", text))
    assert decoded.items[0].fields["meta"]["channel_names"] == ["ms", "ecg"]
    assert decoded.problems == []


def test_columns_without_header_uses_given_rate(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", "".join(f"{i},{-i},{i * 2}\n" for i in range(5)))
    (item,) = decode(path, sampling_rate=50).items
    assert item.array.shape == (3, 5) and item.fields["sampling_rate"] == 50.0
    assert item.fields["meta"]["channel_names"] is None
    np.testing.assert_array_equal(item.array[1], -np.arange(5))


def test_leading_and_inner_missing_values_are_kept(tmp_path: Path) -> None:
    text = "a,b\n,1\nNaN,null\n3,None\nnan,\n"
    (item,) = decode(write(tmp_path, "m.csv", text)).items
    np.testing.assert_array_equal(item.array, [[np.nan, np.nan, 3], [1, np.nan, np.nan]])
    assert item.fields["n_missing"] == 4
    (item,) = decode(write(tmp_path, "m2.csv", "1,,3\n4,5,6\n7,8,9\n")).items  # no header
    np.testing.assert_array_equal(item.array, [[1, 4, 7], [np.nan, 5, 8], [3, 6, 9]])


@pytest.mark.parametrize(
    ("header", "lines", "rate"),
    [
        ("t (ms)", ["0", "4", "8", "12"], 250.0),
        ("Time (s)", ["0.5", "1.0", "1.5", "2.0"], 2.0),
        ("when", [f"2024-03-01T10:00:0{i}" for i in range(4)], 1.0),
        ("date", [f"2024-03-0{i + 1} 00:00:00+01:00" for i in range(4)], 1 / 86400),
        ("seconds", ["0", "1", "1.3", "4"], 7.0),  # uneven: the argument is used
        ("Datum", [f"01.03.2024 10:00:0{i}" for i in range(4)], 1.0),  # European Excel
        ("Date Time", [f"3/1/2024 11:5{i} PM" for i in range(4)], 1 / 60),  # US, 12-hour
        ("", [f"0{i + 1}/03/2024" for i in range(4)], 1 / 86400),  # day-first: evenly spaced
        ("Zeit", [f"10:00:{i:02d}.5" for i in range(4)], 1.0),  # a clock time alone
        ("unix_time", [str(1_700_000_000 + 2 * i) for i in range(4)], 0.5),
        ("elapsed_ms", ["0", "10", "20", "30"], 100.0),
    ],
)
def test_time_column_gives_sampling_rate(tmp_path: Path, header, lines, rate) -> None:
    text = f"{header},x\n" + "".join(f"{t},{i}\n" for i, t in enumerate(lines))
    (item,) = decode(write(tmp_path, "t.csv", text), sampling_rate=7.0).items
    assert item.array.shape == (1, 4)
    assert item.fields["sampling_rate"] == pytest.approx(rate)


@pytest.mark.parametrize(
    ("stamp", "rate"),
    [
        (lambda i: f"10:00:00,{i}00", 10.0),  # a clock time with a decimal comma
        (lambda i: f"01.03.2024 10:00:00,{2 * i}", 5.0),
        (lambda i: f"2024-03-01 10:00:00,{5 * i:02d}0", 20.0),
    ],
)
def test_times_with_a_decimal_comma_give_the_sampling_rate(tmp_path: Path, stamp, rate) -> None:
    text = "Zeit;EKG\n" + "".join(f"{stamp(i)};{i},5\n" for i in range(4))  # European
    (item,) = decode(write(tmp_path, "eu.csv", text)).items
    np.testing.assert_allclose(item.array, [[0.5, 1.5, 2.5, 3.5]])
    assert item.fields["sampling_rate"] == pytest.approx(rate)


def test_a_date_column_and_a_time_column_are_read_together(tmp_path: Path) -> None:
    text = "date,time,ecg\n" + "".join(f"2024-03-01,10:00:0{i}.5,{i}\n" for i in range(4))
    (item,) = decode(write(tmp_path, "a.csv", text)).items  # was refused: "time" holds text
    assert item.fields["meta"]["channel_names"] == ["ecg"]
    np.testing.assert_array_equal(item.array, [[0, 1, 2, 3]])
    assert item.fields["sampling_rate"] == pytest.approx(1.0)
    clocks = ["23:59:59,0", "23:59:59,5", "00:00:00,0", "00:00:00,5"]  # past midnight
    days = ["01.03.2024", "01.03.2024", "02.03.2024", "02.03.2024"]
    rows = [f"{c};{d};{i},5;1\n" for i, (d, c) in enumerate(zip(days, clocks, strict=True))]
    (item,) = decode(write(tmp_path, "b.csv", "Uhrzeit;Datum;EKG;Resp\n" + "".join(rows))).items
    assert item.fields["meta"]["channel_names"] == ["EKG", "Resp"]
    assert item.fields["sampling_rate"] == pytest.approx(2.0)
    pairs = enumerate(zip(days, clocks, strict=True))
    (item,) = decode(
        write(tmp_path, "c.csv", "".join(f"{d};{c};{i},5\n" for i, (d, c) in pairs))
    ).items
    assert item.array.shape == (1, 4) and item.fields["sampling_rate"] == pytest.approx(2.0)


def test_times_that_are_not_recognised_are_noted_not_silently_dropped(tmp_path: Path) -> None:
    text = "time,ecg\n" + "".join(f"10h00m0{i}s,{i}\n" for i in range(4))
    decoded = decode(write(tmp_path, "a.csv", text))
    (item,) = decoded.items  # imported, without a rate
    assert item.fields["sampling_rate"] is None
    (problem,) = decoded.problems
    assert (problem.code, problem.severity) == ("csv-time-unread", "warning")
    assert "column 'time' of a.csv holds times in a form that was not recognised" in (
        problem.message
    )
    assert "sampling rate is unknown" in problem.message and "--sampling-rate" in problem.message


def test_a_date_and_a_time_column_that_do_not_make_date_times_say_what_to_do(
    tmp_path: Path,
) -> None:
    text = "date,time,ecg\n" + "".join(f"2024-03-01,{t},1\n" for t in ("10:00:00", "x", "y"))
    with pytest.raises(ImportProblem) as caught:
        decode(write(tmp_path, "a.csv", text))
    assert caught.value.code == "csv-time"
    message = caught.value.message
    assert "column 'date' and column 'time' of a.csv" in message
    assert "one column named time" in message


def test_european_file_with_date_times_and_thousands_is_one_series(tmp_path: Path) -> None:
    text = "Datum;Temp;Druck\n" + "".join(
        f"0{d}.03.2024 00:00:00;{d},5;1.01{d},25\n" for d in range(1, 6)
    )
    (item,) = decode(write(tmp_path, "eu.csv", text)).items  # not 5 series labelled by date
    assert item.fields["meta"]["channel_names"] == ["Temp", "Druck"]
    np.testing.assert_allclose(item.array[:, :2], [[1.5, 2.5], [1011.25, 1012.25]])
    assert item.fields["sampling_rate"] == pytest.approx(1 / 86400)
    (item,) = decode(write(tmp_path, "us.csv", 'day,load\n1,"4,256.9"\n2,"13,914.2"\n')).items
    np.testing.assert_allclose(item.array, [[1, 2], [4256.9, 13914.2]])


def test_a_text_column_that_differs_on_every_line_is_never_taken_for_labels(
    tmp_path: Path,
) -> None:
    text = "".join(f"Mar {d} 2024 noon,{d},{d * 2}\n" for d in range(1, 7))  # no known format
    err = problem(write(tmp_path, "odd.csv", text), "csv-layout")
    assert "different text on each of its 6 lines" in err.message and "name it id" in err.message
    items = decode(write(tmp_path, "ok.csv", "A,1,2\nB,3,4\nA,5,6\nB,7,8\nA,9,1\n")).items
    assert [i.label for i in items] == ["A", "B", "A", "B", "A"]  # classes repeat: labels


@pytest.mark.parametrize("header", ["patient_id", "PatientID", "Subject ID", "case no"])
def test_id_columns_are_found_by_name_and_never_become_labels(tmp_path: Path, header) -> None:
    text = f"{header},v1,v2,v3\nP000,1,2,3\nP001,4,5,6\nP002,7,8,9\nP003,1,2,3\n"
    items = decode(write(tmp_path, "p.csv", text)).items  # a patient per line: rows
    assert [i.fields["group_id"] for i in items] == ["P000", "P001", "P002", "P003"]
    assert [i.label for i in items] == [None] * 4 and items[0].array.shape == (1, 3)
    text = f"{header},time,a\n" + "".join(f"S01,{t},{t * 2}\n" for t in range(4))
    (item,) = decode(write(tmp_path, "s.csv", text)).items  # one recording of one patient
    assert item.fields["group_id"] == "S01" and item.array.shape == (1, 4)
    stacked = "sensor_id,time,a\n1,0,5\n1,1,6\n2,0,7\n2,1,8\n"  # not a channel
    assert "'sensor_id'" in problem(write(tmp_path, "l.csv", stacked), "csv-layout").message


def test_a_recording_labelled_per_row_is_told_how_to_label_its_episodes(tmp_path: Path) -> None:
    rows = "".join(f"{t},{t % 7},{'arrhythmia' if 20 <= t < 30 else 'normal'}\n" for t in range(60))
    message = problem(write(tmp_path, "rec.csv", "time,ecg,label\n" + rows), "csv-layout").message
    assert "changes between rows" in message
    assert "cut it into one file per labelled episode" in message
    assert "import a copy without this column" in message
    stacked = "sensor_id,time,a\n1,0,5\n1,1,6\n2,0,7\n2,1,8\n"  # not about labels
    assert "episode" not in problem(write(tmp_path, "l.csv", stacked), "csv-layout").message


def test_reader_needs_no_torch_or_qt() -> None:
    code = "import sys, ssl_studio.core.data.timeseries as m; print(sorted(set(sys.modules) & "
    code += "{'torch', 'PySide6', 'pandas'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
