"""The time-series reader on CSV files of one series a row (rows layout), and the error
code and message of every CSV it refuses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from series_file_checks import decode, problem, write

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
