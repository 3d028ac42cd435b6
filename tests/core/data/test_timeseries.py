"""Tests for the time-series reader: CSV/TSV layouts, NPY/NPZ arrays, and every error code."""

from __future__ import annotations

import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.timeseries import (
    LAYOUTS,
    SERIES_EXTENSIONS,
    decode_series_file,
)

UCR = Path("/work/shared/data/ucr/JapaneseVowels.npz")  # only on a machine that has it
FIELDS = {"channels", "length", "n_missing", "sampling_rate", "meta"}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def decode(path: Path, **kwargs) -> DecodedFile:
    decoded = decode_series_file(path, **kwargs)
    assert decoded.kind == "series"
    for item in decoded.items:
        assert item.array.dtype == np.float32 and item.array.ndim == 2
        assert set(item.fields) - {"group_id"} == FIELDS  # group_id: an id column's value
        assert (item.fields["channels"], item.fields["length"]) == item.array.shape
        assert item.fields["n_missing"] == int(np.isnan(item.array).sum())
        assert not np.isnan(item.array[:, -1]).all()  # trailing all-NaN steps are trimmed
        assert {"layout", "name", "channel_names"} <= set(item.fields["meta"])
    return decoded


def problem(path: Path, code: str, **kwargs) -> ImportProblem:
    with pytest.raises(ImportProblem) as info:
        decode_series_file(path, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value


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


def test_excel_sep_line_and_comment_lines(tmp_path: Path) -> None:
    (item,) = decode(write(tmp_path, "x.csv", "sep=;\nTemp;Druck\n1,5;2\n3;4,25\n")).items
    assert item.fields["meta"]["channel_names"] == ["Temp", "Druck"]
    np.testing.assert_array_equal(item.array, [[1.5, 3], [2, 4.25]])
    text = "# logger v1.2\n# 10 Hz\ntime,a\n0,1\n0.1,2\n# gap\n0.2,3\n"
    (item,) = decode(write(tmp_path, "c.csv", text)).items
    assert item.array.tolist() == [[1, 2, 3]] and item.fields["sampling_rate"] == 10.0
    err = problem(write(tmp_path, "m.csv", "# notes\na,b\n1,2\n3,x\n5,6\n"), "csv-mixed-types")
    assert "line 4" in err.message  # the file's own line numbers


def test_numpy_savetxt_header_and_one_named_column(tmp_path: Path) -> None:
    x = np.stack([np.arange(6) / 100.0, np.arange(6.0), -np.arange(6.0)], 1)
    np.savetxt(tmp_path / "rec.csv", x, delimiter=",", header="time,ecg,resp")  # "# time,..."
    (item,) = decode(tmp_path / "rec.csv").items
    assert item.fields["meta"]["channel_names"] == ["ecg", "resp"]
    assert item.array.shape == (2, 6) and item.fields["sampling_rate"] == pytest.approx(100)
    text = "heart rate (bpm)\n" + "".join(f"{60 + i % 5}\n" for i in range(20))
    (item,) = decode(write(tmp_path, "hr.csv", text)).items  # a space in a name: one column
    assert item.fields["meta"]["channel_names"] == ["heart rate (bpm)"]
    assert item.array.shape == (1, 20)


def test_comments_never_become_column_names_unless_they_are_a_savetxt_header(
    tmp_path: Path,
) -> None:
    rows = "".join(f"{i}.5,{i * 2}.5\n" for i in range(6))
    path = write(tmp_path, "p.csv", "# Patient Jane Doe, DOB 1970-01-02\n" + rows)
    (item,) = decode(path).items  # the shape of a header, but no column name known
    assert item.fields["meta"]["channel_names"] is None and item.array.shape == (2, 6)
    (item,) = decode(write(tmp_path, "h.csv", "# Patient: Jane Doe, MRN 1\ntime,hr\n" + rows)).items
    assert item.fields["meta"]["channel_names"] == ["hr"]  # the real header below it
    x = np.stack([np.arange(5.0), 60 + np.arange(5.0), 97 + np.zeros(5)], 1)
    np.savetxt(tmp_path / "s.csv", x, header="time hr spo2")  # numpy's default: spaces
    (item,) = decode(tmp_path / "s.csv").items
    assert item.fields["meta"]["channel_names"] == ["hr", "spo2"]
    assert item.fields["sampling_rate"] == 1.0
    small = "hr spo2\n" + "".join(f"{60 + i} {97 - i} \n" for i in range(6))  # trailing spaces
    (item,) = decode(write(tmp_path, "t.csv", small)).items
    assert item.fields["meta"]["channel_names"] == ["hr", "spo2"] and item.array.shape == (2, 6)


def test_space_separated_columns(tmp_path: Path) -> None:
    (item,) = decode(write(tmp_path, "w.csv", "a b  c\n1 2 3\n4 5 6\n7 8 9\n")).items
    assert item.fields["meta"]["channel_names"] == ["a", "b", "c"]
    np.testing.assert_array_equal(item.array, [[1, 4, 7], [2, 5, 8], [3, 6, 9]])


def test_iso_time_column_without_header_means_columns(tmp_path: Path) -> None:
    text = "".join(f"2024-01-01T00:00:0{i},{i}\n" for i in range(3))  # 3 rows < ... still columns
    (item,) = decode(write(tmp_path, "iso.csv", text)).items
    assert item.fields["meta"]["layout"] == "columns" and item.fields["sampling_rate"] == 1.0


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    rows = [["a", "b", "c"], ["1", "2", "3"], ["4", "5", "6"], ["7", "8", "9"]]
    path = write(tmp_path, "d.csv", "\n".join(delimiter.join(r) for r in rows) + "\n")
    (item,) = decode(path).items
    assert item.fields["meta"]["channel_names"] == ["a", "b", "c"]
    np.testing.assert_array_equal(item.array, [[1, 4, 7], [2, 5, 8], [3, 6, 9]])


def test_semicolon_with_decimal_comma_and_tsv(tmp_path: Path) -> None:
    (item,) = decode(write(tmp_path, "eu.csv", "p;q\n1,5;2\n3;4,25\n")).items
    np.testing.assert_array_equal(item.array, [[1.5, 3], [2, 4.25]])
    (item,) = decode(write(tmp_path, "b.tsv", "p\tq\n1\t2\n3\t4\n5\t6\n")).items
    assert item.array.shape == (2, 3)


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_fast_and_careful_parsers_agree(tmp_path: Path, layout: str) -> None:
    plain = "id,a,b,label\n1,0.5,2,7\n2,3,4e1,7\n3,-5,6,7\n"  # numbers only: numpy's parser
    quoted = plain.replace("a,b", '"a","b"')  # quotes: the csv module, cell by cell
    fast, slow = (
        decode(write(tmp_path, name, text), layout=layout).items
        for name, text in (("x.csv", plain), ("x.tsv", quoted.replace(",", "\t")))
    )
    assert [(i.fields, i.label) for i in fast] == [(i.fields, i.label) for i in slow]
    assert [i.label for i in fast] == ["7"] * len(fast)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a.array, b.array)


def test_trailing_delimiters_add_no_channel(tmp_path: Path) -> None:
    (item,) = decode(write(tmp_path, "tr.csv", "a,b,\n1,2,\n3,4,\n")).items
    assert item.array.shape == (2, 2)


def test_non_utf8_header_falls_back(tmp_path: Path) -> None:
    path = write(tmp_path, "w.csv", "Temp °C;Druck µbar\n1;2\n3;4\n", encoding="cp1252")
    (item,) = decode(path).items
    assert item.fields["meta"]["channel_names"] == ["Temp °C", "Druck µbar"]
    assert item.fields["meta"]["encoding"] in ("cp1252", "latin-1")
    # (\x81 is undefined in cp1252, and a comma cannot follow it in Shift-JIS)
    latin = write(tmp_path, "l.csv", "a\x81,b\n1,2\n3,4\n", encoding="latin-1")
    assert decode(latin).items[0].fields["meta"]["encoding"] == "latin-1"


def test_utf8_bom_and_utf16(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "utf-16"):
        (item,) = decode(write(tmp_path, "u.csv", "ä,b\n1,2\n3,4\n", encoding)).items
        assert item.fields["meta"]["channel_names"] == ["ä", "b"]
        assert "encoding" not in item.fields["meta"] or encoding == "utf-16"


# ----------------------------------------------------------------------------- rows layout


def test_rows_auto_when_wider_than_tall(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", "1,2,3,4,5\n6,7,8,,\n9,10\n")
    items = decode(path).items
    assert [i.array.shape for i in items] == [(1, 5), (1, 3), (1, 2)]
    assert [i.fields["meta"]["name"] for i in items] == ["row 1", "row 2", "row 3"]
    assert {i.fields["meta"]["layout"] for i in items} == {"rows"}
    assert items[1].fields["n_missing"] == 0


def test_rows_with_label_and_id_columns(tmp_path: Path) -> None:
    text = (
        "subject,v0,v1,v2,diagnosis\np1,1,2,3,normal\np2,4,5,NA,afib\np3,,,,afib\n"
        "p4,7,8,9,\np5,1,,,afib\n"
    )
    decoded = decode(write(tmp_path, "lab.csv", text))
    assert [i.index for i in decoded.items] == [0, 1, 3]
    assert [i.label for i in decoded.items] == ["normal", "afib", None]
    # id values may identify patients: they never name an item, they become group keys
    assert [i.fields["meta"]["name"] for i in decoded.items] == ["row 2", "row 3", "row 5"]
    assert [i.fields["group_id"] for i in decoded.items] == ["p1", "p2", "p4"]
    assert decoded.items[1].array.shape == (1, 2)  # trailing gaps are not time steps
    all_missing, too_short = decoded.problems
    assert all_missing.code == "series-all-missing" and "row 4" in all_missing.message
    assert too_short.code == "series-too-short" and "row 6 in lab.csv has only 1" in (
        too_short.message
    )


@pytest.mark.parametrize("text", ["A,1,2\nB,3,4\nA,5,6\n", "1,2,A\n3,4,B\n5,6,A\n"])
def test_text_label_first_or_last_means_rows(tmp_path: Path, text: str) -> None:
    items = decode(write(tmp_path, "l.csv", text)).items
    assert [i.label for i in items] == ["A", "B", "A"]
    assert [i.array.shape for i in items] == [(1, 2)] * 3


def test_numeric_label_column_by_name_and_pandas_header(tmp_path: Path) -> None:
    items = decode(write(tmp_path, "n.csv", "y,a,b\n0,1,2\n1,3,4\n")).items
    assert [i.label for i in items] == ["0", "1"]
    items = decode(write(tmp_path, "p.csv", "0,1,2,3\n5,6,7,8\n")).items  # DataFrame.to_csv
    assert len(items) == 1 and items[0].array.tolist() == [[5, 6, 7, 8]]


def test_pandas_index_and_row_counter_columns_are_dropped(tmp_path: Path) -> None:
    (item,) = decode(write(tmp_path, "pd.csv", ",a,b\n0,1,2\n1,3,4\n2,5,6\n")).items
    assert item.fields["meta"]["channel_names"] == ["a", "b"] and item.array.shape == (2, 3)
    items = decode(write(tmp_path, "pr.csv", ",0,1,2\n0,1.5,2.5,3.5\n1,4,5,6\n")).items
    assert [i.array.tolist() for i in items] == [[[1.5, 2.5, 3.5]], [[4, 5, 6]]]
    (item,) = decode(write(tmp_path, "id.csv", "id,a\n1,5\n2,6\n3,7\n")).items
    assert item.fields["meta"]["name"] == "id" and item.array.tolist() == [[5, 6, 7]]


def test_long_format_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "long.csv", "subject,time,value\nA,0,1\nA,1,2\nB,0,3\n")
    err = problem(path, "csv-layout")
    assert "'subject'" in err.message and "long.csv" in err.message


def test_forced_layouts(tmp_path: Path) -> None:
    path = write(tmp_path, "sq.csv", "1,2\n3,4\n")
    (item,) = decode(path, layout="columns").items
    np.testing.assert_array_equal(item.array, [[1, 3], [2, 4]])
    assert [i.array.tolist() for i in decode(path, layout="rows").items] == [[[1, 2]], [[3, 4]]]


def test_ragged_rows_import_in_rows_layout_but_not_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "rag.csv", "1,2,3\n4,5\n6,7,8\n9,10\n")
    assert [i.fields["length"] for i in decode(path, layout="rows").items] == [3, 2, 3, 2]
    err = problem(path, "csv-ragged")  # auto: 4 rows >= 3 columns -> columns
    assert "rag.csv" in err.message and "line 2 has 2, others 3" in err.message
    problem(path, "csv-ragged", layout="columns")


# ----------------------------------------------------------------------------- CSV errors


@pytest.mark.parametrize(
    ("name", "content", "code", "kwargs"),
    [
        ("e.csv", b"", "empty", {}),
        ("e2.csv", b"\n \n\n", "empty", {}),
        ("h.csv", b"time,x,y\n", "csv-header-only", {}),
        ("n.csv", b"name\nalice\nbob\n", "csv-no-numeric", {}),
        ("m.csv", b"a,b\n1,2\n3,oops\n5,6\n", "csv-mixed-types", {}),
        ("two.csv", b"A,x,1,2\nB,y,3,4\n", "csv-layout", {}),
        ("bin.csv", b"\x00\x01\x02,\x00\n", "csv-encoding", {}),
        ("na.csv", b"a,b\n,\nNA,NaN\n", "series-all-missing", {}),
        ("q.csv", b"a,b\n1,2\n3,4\n", "layout-unknown", {"layout": "diagonal"}),
        ("time.csv", b"time,x\n0,1\n1,2\n", "csv-layout", {"layout": "rows"}),
        ("lab.csv", b"time,x,label\n0,1,a\n1,2,b\n", "csv-layout", {}),
        ("lab2.csv", b"x,y,label\n1,2,a\n3,4,b\n", "csv-layout", {"layout": "columns"}),
        ("x.txt", b"1,2\n", "format-unknown", {}),
        ("gone.csv", None, "unreadable", {}),
    ],
)
def test_csv_errors(tmp_path: Path, name: str, content: bytes | None, code: str, kwargs) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    err = problem(path, code, **kwargs)
    assert err.message and (name in err.message or code == "layout-unknown")


def test_a_file_of_time_columns_only_says_they_were_read_as_times(tmp_path: Path) -> None:
    err = problem(write(tmp_path, "t.csv", "time,time_s\n0,0\n1,1\n2,2\n"), "csv-no-numeric")
    assert "column 'time', column 'time_s' are read as times" in err.message
    assert "no numeric column" not in err.message  # both are numeric
    assert "Rename a column that holds measurements" in err.message


def test_a_headerless_file_of_times_and_labels_names_its_columns_by_number(tmp_path: Path):
    text = "2024-03-01 10:00:00,A\n2024-03-01 10:01:00,B\n2024-03-01 10:02:00,A\n"
    err = problem(write(tmp_path, "t.csv", text), "csv-no-numeric")
    assert "column 1, column 2 are read as times, labels or ids" in err.message
    assert "None" not in err.message and "Rename" not in err.message  # no names to rename
    assert "It has no header row" in err.message and "Add a column of measurements" in err.message


def test_error_messages_name_the_column(tmp_path: Path) -> None:
    err = problem(write(tmp_path, "m.csv", "a,b\n1,2\n3,oops\n5,6\n"), "csv-mixed-types")
    assert "'b'" in err.message and "line 3" in err.message
    assert "oops" not in err.message  # a cell may name a patient: never stored or shown
    err = problem(write(tmp_path, "t.csv", "A,x,1,2\nB,y,3,4\n"), "csv-layout")
    assert "column 2" in err.message
    err = problem(write(tmp_path, "l.csv", "time,x,label\n0,1,a\n1,2,b\n"), "csv-layout")
    assert "'label'" in err.message


# ----------------------------------------------------------------------------- NPY / NPZ


@pytest.mark.parametrize(
    ("shape", "dtype", "shapes", "names"),
    [
        ((6,), np.int16, [(1, 6)], ["s"]),
        ((3, 5), np.float64, [(1, 5)] * 3, ["s[0]", "s[1]", "s[2]"]),
        ((2, 4, 7), np.bool_, [(4, 7)] * 2, ["s[0]", "s[1]"]),
    ],
)
def test_npy_shapes(tmp_path: Path, shape, dtype, shapes, names) -> None:
    np.save(tmp_path / "s.npy", (np.arange(np.prod(shape)) % 3).reshape(shape).astype(dtype))
    items = decode(tmp_path / "s.npy", sampling_rate=10).items
    assert [i.array.shape for i in items] == shapes
    assert [i.fields["meta"]["name"] for i in items] == names
    assert [i.index for i in items] == list(range(len(shapes)))
    assert all(i.fields["sampling_rate"] == 10.0 and i.label is None for i in items)


@pytest.mark.parametrize(
    ("array", "code"),
    [
        (np.zeros((2, 2, 2, 2), np.float32), "npy-shape"),
        (np.float32(3), "npy-shape"),
        (np.array(["a", "b"]), "npy-dtype"),
        (np.ones(3, np.complex64), "npy-dtype"),
        (np.zeros((0, 5)), "empty"),
    ],
)
def test_npy_refused(tmp_path: Path, array: np.ndarray, code: str) -> None:
    np.save(tmp_path / "bad.npy", array)
    err = problem(tmp_path / "bad.npy", code)
    assert "bad.npy" in err.message
    if code == "npy-shape":
        assert str(list(array.shape)) in err.message and "[N, C, T]" in err.message


def test_a_recording_saved_time_first_is_refused_with_the_fix(tmp_path: Path) -> None:
    np.save(tmp_path / "rec.npy", np.zeros((2000, 3), np.float32))  # [T, C], numpy's habit
    err = problem(tmp_path / "rec.npy", "npy-shape")
    assert "2000 series of only 3 steps" in err.message and "x.T[None]" in err.message
    np.save(tmp_path / "ok.npy", np.zeros((3, 2000), np.float32))  # [N, T]: 3 long series
    assert len(decode(tmp_path / "ok.npy").items) == 3
    recording = np.random.default_rng(0).normal(size=(2000, 3)).astype(np.float32)
    np.save(tmp_path / "fixed.npy", recording.T[None])  # the fix the message gives
    (item,) = decode(tmp_path / "fixed.npy").items  # one recording of 3 channels
    np.testing.assert_array_equal(item.array, recording.T)


class _Trap:
    """Unpickling this would create the file at ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_data_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    trap = np.array([_Trap(marker), None], dtype=object)
    np.save(tmp_path / "obj.npy", trap, allow_pickle=True)
    (tmp_path / "raw.npy").write_bytes(pickle.dumps(_Trap(marker)))
    np.savez(tmp_path / "obj.npz", X=trap)
    for name in ("obj.npy", "raw.npy"):
        assert "never unpickles" in problem(tmp_path / name, "npy-dtype").message
    assert problem(tmp_path / "obj.npz", "npz-no-arrays")
    assert not marker.exists()


def test_broken_array_files(tmp_path: Path) -> None:
    np.save(tmp_path / "cut.npy", np.arange(1000.0))
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    problem(tmp_path / "cut.npy", "npy-corrupt")
    (tmp_path / "text.npy").write_text("1,2,3\n")
    problem(tmp_path / "text.npy", "npy-corrupt")
    np.savez(tmp_path / "cut.npz", X=np.arange(1000.0))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "cut.npz").read_bytes()[:300])
    problem(tmp_path / "cut.npz", "npz-corrupt")
    np.savez(tmp_path / "names.npz", names=np.array(["a", "b"]))
    assert "names" in problem(tmp_path / "names.npz", "npz-no-arrays").message
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    problem(tmp_path / "empty.npz", "npz-no-arrays")


def test_an_npz_that_unpacks_beyond_the_free_memory_is_refused_before_reading(
    tmp_path: Path, monkeypatch
) -> None:
    """A 1 MB NPZ of zeros unpacked to 1.8 GB: 20 MB of them would end the app."""
    np.savez_compressed(tmp_path / "zeros.npz", X=np.zeros((4, 1, 250_000), np.float32))
    monkeypatch.setattr("ssl_studio.core.data.series_arrays.free_memory", lambda: 6_000_000)
    found = problem(tmp_path / "zeros.npz", "npz-too-large")  # 1 M float32 and its copy
    assert "would take 8.0 MB of memory to read, more than the 6.0 MB free" in found.message
    monkeypatch.setattr("ssl_studio.core.data.series_arrays.free_memory", lambda: 9_000_000)
    found = decode_series_file(tmp_path / "zeros.npz")
    assert len(found.items) == 4 and not found.problems


def test_npz_train_test_pairs_with_nan_padding(tmp_path: Path) -> None:
    x_train = np.full((3, 2, 6), np.nan, np.float32)
    for n, length in enumerate((6, 4, 2)):
        x_train[n, :, :length] = n
    x_train[1, 1, 0] = np.nan  # an inner gap in one channel is kept
    x_test = np.ones((2, 2, 5), np.float64)
    path = tmp_path / "ucr.npz"
    np.savez(
        path,
        X_train=x_train,
        y_train=np.array(["a", "b", "a"]),
        X_test=x_test,
        y_test=np.array([1, 2]),
        fs=np.float32(100),
    )
    decoded = decode(path)
    assert [i.fields["length"] for i in decoded.items] == [6, 4, 2, 5, 5]
    assert [i.label for i in decoded.items] == ["a", "b", "a", "1", "2"]
    assert [i.index for i in decoded.items] == [0, 1, 2, 3, 4]
    assert decoded.items[3].fields["meta"]["name"] == "X_test[0]"
    assert decoded.items[1].fields["n_missing"] == 1
    assert [p.code for p in decoded.problems] == ["npy-shape"]  # fs is 0-d: reported, skipped


def test_npz_labels_for_single_array_and_unpaired_y(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", data=np.zeros((4, 3)), labels=np.array([0.0, 1.0, 1.0, np.nan]))
    items = decode(tmp_path / "d.npz").items
    assert [i.label for i in items] == ["0", "1", "1", None]
    np.savez(tmp_path / "c.npz", X=np.zeros((3, 1, 6)), y=np.array([[1], [2], [1]]))  # a column
    assert [i.label for i in decode(tmp_path / "c.npz").items] == ["1", "2", "1"]
    lone = tmp_path / "lone.npz"  # a label column that pairs with nothing stays in sight
    np.savez(lone, ecg=np.zeros((3, 6)), ppg=np.ones((3, 6)), y=np.array([[1], [2], [1]]))
    assert any("only 1 time step" in p.message for p in decode(lone).problems)
    np.savez(tmp_path / "s.npz", x=np.arange(5.0), y=np.arange(5.0) ** 2)  # y is a series here
    assert [i.fields["meta"]["name"] for i in decode(tmp_path / "s.npz").items] == ["x", "y"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npy", ".npz"])
def test_garbage_raises_only_import_problems(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(0)
    headers = [b"", b"\x93NUMPY", b"PK\x03\x04", b"a,b\n1,"]
    refused = 0
    for n in range(12):
        path = tmp_path / f"g{n}{suffix}"
        path.write_bytes(headers[n % 4] + rng.bytes(int(rng.integers(1, 400))))
        try:
            decode_series_file(path)
        except ImportProblem as err:
            assert err.code and path.name in err.message
            refused += 1
    assert refused > 0  # garbage is refused, as a problem, not read as series


def test_a_ucr_archive_gives_one_item_per_series_at_its_own_length(tmp_path: Path) -> None:
    """The layout of the UCR/UEA archives as npz (JapaneseVowels): X_train and X_test
    float32 [N, channels, steps] padded with NaN after each series' end, y_train and
    y_test its string labels."""
    rng = np.random.default_rng(3)
    lengths = {"train": [7, 10, 9, 7, 8], "test": [12, 7, 11]}
    arrays, series = {}, []
    for part, sizes in lengths.items():
        x = np.full((len(sizes), 3, max(sizes)), np.nan, np.float32)
        for n, size in enumerate(sizes):
            x[n, :, :size] = rng.normal(size=(3, size))
            series.append(x[n, :, :size])
        arrays[f"X_{part}"] = x
        arrays[f"y_{part}"] = np.array([str(1 + n % 3) for n in range(len(sizes))])
    path = tmp_path / "Vowels.npz"
    np.savez(path, **arrays)
    decoded = decode(path)
    assert not decoded.problems
    assert [i.fields["length"] for i in decoded.items] == [7, 10, 9, 7, 8, 12, 7, 11]
    assert {i.fields["channels"] for i in decoded.items} == {3}
    assert [i.label for i in decoded.items] == ["1", "2", "3", "1", "2", "1", "2", "3"]
    assert all(i.fields["n_missing"] == 0 for i in decoded.items)  # the padding is no gap
    for item, values in zip(decoded.items, series, strict=True):
        assert np.array_equal(item.array, values)
    names = [i.fields["meta"]["name"] for i in decoded.items]
    assert names[0] == "X_train[0]" and names[-1] == "X_test[2]"


@pytest.mark.skipif(not UCR.exists(), reason="an extra check on the real file, where it is")
def test_japanese_vowels() -> None:
    with np.load(UCR) as archive:
        n_train, n_test = len(archive["y_train"]), len(archive["y_test"])
        classes = set(archive["y_train"]) | set(archive["y_test"])
    decoded = decode(UCR)
    assert len(decoded.items) == n_train + n_test == 640 and not decoded.problems
    lengths = {i.fields["length"] for i in decoded.items}
    assert {i.fields["channels"] for i in decoded.items} == {12}
    assert min(lengths) >= 7 and max(lengths) <= 29 and len(lengths) > 10
    assert {i.label for i in decoded.items} == classes
    assert all(i.fields["n_missing"] == 0 for i in decoded.items)


def test_reader_needs_no_torch_or_qt() -> None:
    code = "import sys, ssl_studio.core.data.timeseries as m; print(sorted(set(sys.modules) & "
    code += "{'torch', 'PySide6', 'pandas'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
