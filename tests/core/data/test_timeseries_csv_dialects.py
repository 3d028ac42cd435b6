"""The time-series reader on the CSV dialects it meets: Excel's sep line, comment lines
and savetxt headers, delimiters, decimal commas, encodings; both parsers agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from series_file_checks import decode, problem, write


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
