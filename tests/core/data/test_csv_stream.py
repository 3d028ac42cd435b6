"""Long CSV recordings read in pieces (csv_stream.py): the same table as the whole-text
reader, float32 channels, ISO date-times read vectorised, progress within the file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data import csv_stream, csv_whole, import_decoding, series_table
from ssl_studio.core.data.csv_stream import iso_seconds
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.events import Progress
from ssl_studio.core.jobs import import_data
from ssl_studio.core.wording import progress_detail

START = np.datetime64("2024-03-01T10:00:00.000")


def recording(path: Path, rows: int, iso: bool = False, channels: int = 4) -> Path:
    """A header, then rows of a time (seconds or ISO, 500 Hz) and ``channels`` numbers."""
    t = np.arange(rows) * 0.002
    x = np.sin(t[:, None] * np.arange(1, channels + 1)).round(4)
    times = (
        np.datetime_as_string(START + (np.arange(rows) * 2).astype("timedelta64[ms]"), unit="ms")
        if iso
        else np.char.mod("%.3f", t)
    )
    names = ",".join(f"lead{c + 1}" for c in range(channels))
    body = [
        ",".join([s, *map(str, row)]) for s, row in zip(times.tolist(), x.tolist(), strict=True)
    ]
    path.write_text(f"{'timestamp' if iso else 'time'},{names}\n" + "\n".join(body) + "\n")
    return path


def decoded(path: Path, lean: bool, **options) -> tuple:
    """decode_table's items and problems (or the problem raised), comparable."""
    if not lean:
        original = series_table.read_lean
        series_table.read_lean = lambda *a, **k: None
    try:
        items, problems = series_table.decode_table(
            path, options.pop("layout", "auto"), options.pop("rate", None), **options
        )
    except ImportProblem as problem:
        return ("problem", problem.code, problem.message)
    finally:
        if not lean:
            series_table.read_lean = original
    return (
        [(i.index, i.label, repr(i.fields), i.array.dtype.str, i.array.tobytes()) for i in items],
        [(p.code, p.message, p.severity) for p in problems],
    )


CASES = {  # name -> (file text, read in pieces?)
    "numbers": ("time,a,b\n0,1,2\n0.5,3,4\n1,5,6\n", True),
    "no header": ("1,2,3\n4,5,6\n7,8,9\n10,11,12\n", True),
    "pandas names": ("0,1,2\n1.5,2,3\n4,5,6\n", True),
    "crlf": ("time (ms),a\r\n0,1\r\n10,2\r\n20,3\r\n", True),
    "iso": (
        "timestamp,a\n2024-03-01T10:00:00,1\n2024-03-01T10:00:01,2\n2024-03-01T10:00:02,3\n",
        True,
    ),
    "iso space us": (
        "date time;v\n2024-03-01 10:00:00.000000;1\n2024-03-01 10:00:00.500000;2\n"
        "2024-03-01 10:00:01.000000;3\n",
        True,
    ),
    "iso unnamed": (
        "when,a\n2024-03-01T10:00,1\n2024-03-01T10:01,2\n2024-03-01T10:03,3\n2024-03-01T10:04,4\n",
        True,
    ),
    "iso gap": (
        "time,a\n" + "".join(f"2024-03-01T10:00:{s:02d},{s}\n" for s in (0, 1, 2, 3, 9, 10)),
        True,
    ),
    "cp1252 name": ("time,Temp \xb0C\n0,1\n1,2\n2,3\n", True),
    "quotes": ('"time","a"\n0,1\n1,2\n', False),
    "missing cell": ("time,a\n0,1\n1,\n2,3\n", False),
    "blank line": ("time,a\n0,1\n\n1,2\n2,3\n", False),
    "decimal comma": ("time;a\n0;1,5\n1;2,5\n2;3,5\n", False),
    "dots unsure": ("time;a\n0;1.020\n1;1.150\n2;1.200\n", False),  # whole, with a note
    "dots and point": ("time;a\n0.5;1.020\n1.5;1.150\n2.5;1.200\n", True),
    "iso millis": ("time;a\n2024-03-01T10:00:12.500;1\n2024-03-01T10:00:13.000;2\n", True),
    "thousands spaces": ("time;a\n0;1 200,5\n1;1 300\n2;12\n", False),
    "dash missing": ("time;a\n0;1\n1;-\n2;-3\n", False),
    "iso zone": ("time,a\n2024-03-01T10:00:00+01:00,1\n2024-03-01T10:00:01+01:00,2\n", False),
    "day first": ("time,a\n01.03.2024 10:00:00,1\n01.03.2024 10:00:01,2\n", False),
    "iso hour 24": ("time,a\n2024-03-01T23:00:00,1\n2024-03-01T24:00:00,2\n", False),
    "label": ("time,a,label\n0,1,AF\n1,2,AF\n2,3,AF\n", False),
    "date and clock": ("date,time,a\n2024-03-01,10:00:00,1\n2024-03-01,10:00:01,2\n", False),
    "iso and text": ("t,a,b\n2024-03-01T10:00:00,1,x\n2024-03-01T10:00:01,2,x\n", False),
    "iso as label": (  # (read in pieces, then whole: the label rule needs the cells)
        "time,a,when\n" + "".join(f"{9 - s},{s},2024-03-01T10:00:0{s}\n" for s in range(6)),
        True,
    ),
    "mixed": ("time,a\n0,1\n1,oops\n2,3\n", False),
    "header only": ("time,a\n", False),
    "comment": ("# Patient Jane Doe\n0,1\n1,2\n2,3\n", False),
    "savetxt": ("# time,a\n0.0,1\n1.0,2\n2.0,3\n", True),
    "rows": ("id,1,2,3\n5,0.1,0.2,0.3\n6,0.4,0.5,0.6\n", True),
}


@pytest.mark.parametrize("name", CASES)
def test_read_in_pieces_or_whole_the_table_is_the_same(tmp_path, name, monkeypatch):
    text, lean = CASES[name]
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode("cp1252" if "cp1252" in name else "utf-8"))
    used = []

    def spy(*args, **kwargs):
        table = csv_stream.read_lean(*args, **kwargs)
        used.append(table is not None)
        return table

    monkeypatch.setattr(series_table, "read_lean", spy)
    assert decoded(path, lean=True) == decoded(path, lean=False)
    assert used[0] == lean


def test_pieces_join_into_the_same_recording(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 4096)
    for iso in (False, True):
        path = recording(tmp_path / f"r{iso}.csv", 20_000, iso=iso)
        assert decoded(path, lean=True) == decoded(path, lean=False)
        monkeypatch.setattr(csv_whole, "read_text", None)  # never read whole
        items, problems = series_table.decode_table(path, "auto", None)
        monkeypatch.undo()
        monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 4096)
        assert items[0].array.shape == (4, 20_000) and items[0].array.dtype == np.float32
        assert items[0].fields["sampling_rate"] == pytest.approx(500) and not problems


def test_the_encoding_is_found_before_the_rows_are_read(tmp_path, monkeypatch):
    """A header in cp1252 (µV) sent the reading pass back to the start as cp1252, and a
    byte late in the file that is not ASCII (no lean table has one) was found only after
    reading all rows before it: the line count finds both first."""
    from ssl_studio.core.data import file_progress

    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 4096)
    rows = [f"{i * 0.002:.3f},{np.sin(i / 50):.4f}" for i in range(20_000)]
    path = tmp_path / "r.csv"
    path.write_bytes(("time,lead1 (\u00b5V)\n" + "\n".join(rows) + "\n").encode("cp1252"))
    reported = []
    with file_progress.reporting_to(lambda done, total: reported.append(done)):
        table = csv_stream.read_lean(path)
    assert table is not None and table.encoding == "cp1252" and table.names[1] == "lead1 (µV)"
    assert reported == sorted(reported) and len(reported) > 5  # never back to the start
    rows[-3] = rows[-3] + "\u00b5"  # (a µ late in the file)
    path.write_bytes(("time,lead1\n" + "\n".join(rows) + "\n").encode("cp1252"))
    reported.clear()
    with file_progress.reporting_to(lambda done, total: reported.append(done)):
        assert csv_stream.read_lean(path) is None
    assert reported == []  # (no pass over the rows before it is decided)
    assert decoded(path, lean=True) == decoded(path, lean=False)  # (read whole instead)


def test_a_training_header_names_a_headerless_file_read_in_pieces(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("10,1,2\n11,3,4\n12,5,6\n13,7,8\n")
    header = ("t", "a", "b")
    assert decoded(path, True, header=header) == decoded(path, False, header=header)
    items, _ = series_table.decode_table(path, "auto", None, header=header)
    assert items[0].array.shape == (2, 4) and items[0].fields["sampling_rate"] == 1


@pytest.mark.parametrize(
    "cells",
    [
        ["2024-03-01", "1969-12-31", "0001-01-01", "9999-12-31"],
        ["2024-03-01T10:00", "2024-02-29T23:59"],
        ["2024-03-01 10:00:00", "1970-01-01 00:00:00"],
        ["2024-03-01T10:00:00.123", "2024-03-01T10:00:00.999"],
        ["2024-03-01T10:00:00.123456", "1900-01-01T00:00:00.000001"],
    ],
)
def test_iso_cells_read_as_python_reads_them(cells):
    want = [datetime.fromisoformat(c).replace(tzinfo=UTC).timestamp() for c in cells]
    assert iso_seconds(np.array(cells)).tolist() == want


@pytest.mark.parametrize(
    "cells",
    [
        ["2024-03-01T24:00:00"],
        ["0000-01-01"],
        ["2024-02-30"],
        ["2024-03-01T10:00:00Z"],
        ["2024-03-01T10:00:00", "2024-03-01T10:00"],
        ["2024-03-01T10:00:00.5"],
        ["2024-03-01T10:00:60"],
        [""],
    ],
)
def test_other_date_times_are_left_to_the_whole_text_reader(cells):
    with pytest.raises(csv_stream._NotLean):
        iso_seconds(np.array(cells))


def test_import_reports_how_much_of_a_long_file_is_read(project, tmp_path, monkeypatch):
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 16 << 10)
    monkeypatch.setattr(import_decoding, "_PROGRESS_SECONDS", 0.0)
    folder = tmp_path / "long"
    folder.mkdir()
    path = recording(folder / "day.csv", 30_000, iso=True)
    events: list = []
    summary = import_data(ImportConfig(project=project, paths=[folder]), report=events.append)
    assert summary["imported"] == 1
    within = [e for e in events if isinstance(e, Progress) and e.file_fraction is not None]
    fractions = [e.file_fraction for e in within]
    assert len(fractions) >= (path.stat().st_size - csv_stream.HEAD_BYTES) // (16 << 10)
    assert fractions == sorted(fractions) and 0 < fractions[0] < 0.5 and fractions[-1] == 1
    assert all(e.phase == "decode" and e.done == 0 and e.total == 1 for e in within)
    assert '"file_fraction": ' in within[0].to_json()
    assert "(50% of file 1 read)" in progress_detail(
        Progress("import", done=0, total=1, phase="decode", file_fraction=0.5)
    )
    assert "read)" not in progress_detail(Progress("import", done=1, total=1, phase="decode"))


def test_progress_within_a_file_counts_the_files_decoded_before_it(project, tmp_path, monkeypatch):
    """Files decoded but not yet saved (saves come every half second) count as done: the
    second of two long files read "0/2 files (...% of file 1 read)"."""
    monkeypatch.setattr(csv_stream, "CHUNK_BYTES", 16 << 10)
    monkeypatch.setattr(import_decoding, "_PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr(import_decoding, "_COMMIT_SECONDS", 3600.0)  # (no save between)
    folder = tmp_path / "two"
    folder.mkdir()
    recording(folder / "a.csv", 30_000)
    recording(folder / "b.csv", 29_000)
    events: list = []
    import_data(ImportConfig(project=project, paths=[folder], workers=1), report=events.append)
    within = [e for e in events if isinstance(e, Progress) and e.file_fraction is not None]
    assert {e.done for e in within} == {0, 1}  # the first file, then the second
    done = [e.done for e in within]
    assert done == sorted(done)


def test_a_shift_jis_table_from_japanese_excel_keeps_its_channel_names(tmp_path):
    """Japanese Excel saves CSV in Shift-JIS (cp932); it was read as latin-1, so the
    channels were named '\\x90S\\x94\\x8f\\x90\\x94' instead of 心拍数, and its time
    column (時間) was trained on as a channel."""
    path = tmp_path / "vital.csv"
    rows = "".join(f"{t},{70 + t % 3},{120 - t % 5}\n" for t in range(20))
    path.write_bytes(("時間,心拍数,血圧\n" + rows).encode("cp932"))
    items, problems = series_table.decode_table(path, "auto", None)
    assert not problems
    meta = items[0].fields["meta"]
    assert meta["channel_names"] == ["心拍数", "血圧"] and meta["encoding"] == "cp932"
    assert items[0].fields["sampling_rate"] == 1.0  # (one row a second, from 時間)
    assert items[0].array[0, :3].tolist() == [70, 71, 72]


@pytest.mark.parametrize("lean", [True, False])
def test_shift_jis_that_also_decodes_as_windows_1252_is_read_as_japanese(
    tmp_path, lean, monkeypatch
):
    """Nearly any bytes decode as cp1252: 時間 and 患者名 came back as 'ŽžŠÔ' and
    'Š³ŽÒ–¼', the time column a channel and the name column not known as one."""
    path = tmp_path / "v.csv"
    rows = "".join(f"{t},田中 花子,{70 + t % 3}\n" for t in range(20))
    path.write_bytes(("時間,患者名,ECG\n" + rows).encode("cp932"))
    if not lean:
        monkeypatch.setattr(series_table, "read_lean", lambda *a, **k: None)
    items, _ = series_table.decode_table(path, "auto", None)
    meta = items[0].fields["meta"]
    assert meta["channel_names"] == ["ECG"] and meta["encoding"] == "cp932"


@pytest.mark.parametrize(
    "text", ["cœur;sœur;œil\n1;2;3\n", "Škoda;žena;Œuvre\n1;2;3\n", "Größe;°C;µV\n1;2;3\n"]
)
def test_western_text_that_also_decodes_as_shift_jis_stays_windows_1252(text):
    from ssl_studio.core.data.csv_cells import decoded as text_of

    assert text_of(text.encode("cp1252")) == (text, "cp1252")


def test_a_japanese_name_column_is_never_a_channel_or_a_label(tmp_path):
    path = tmp_path / "v.csv"
    rows = "".join(f"{t},山田 太郎,{70 + t % 3}\n" for t in range(20))
    path.write_text("時刻,氏名,心拍数\n" + rows, encoding="utf-8")
    items, _ = series_table.decode_table(path, "auto", None)
    assert items[0].fields["meta"]["channel_names"] == ["心拍数"]
    assert items[0].label is None
    assert items[0].fields["group_id"] == "山田 太郎"  # (stored only as a salted key)
