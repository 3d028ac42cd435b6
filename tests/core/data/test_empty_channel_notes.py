"""A recording with one channel that holds no value (a sensor off the whole time) is
imported, with a note for its file in the import report and the import's summary: predict
refuses such a file, so the import must not pass it without a word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from series_file_checks import decode, write

from ssl_studio.cli import main


def _recording(empty: str = "") -> str:
    """time,ax,ay,az at 10 Hz, 12 rows; ``empty``: the cell written in every 'ay' row."""
    rows = "".join(f"{t / 10},{t % 4},{empty or t % 3},{t % 5}\n" for t in range(12))
    return "time,ax,ay,az\n" + rows


def test_a_column_without_values_is_imported_with_a_note_naming_it(tmp_path: Path) -> None:
    for name, cell in (("blank.csv", " "), ("nan.csv", "NaN")):
        decoded = decode(write(tmp_path, name, _recording(cell)))
        (item,) = decoded.items
        assert item.fields["channels"] == 3 and np.isnan(item.array[1]).all()
        (note,) = decoded.problems
        assert (note.code, note.severity) == ("series-channel-empty", "warning")
        assert note.message.startswith(f"Column 'ay' of {name} holds no values (every cell")
        assert "predict refuses a file like this one" in note.message
    assert decode(write(tmp_path, "whole.csv", _recording())).problems == []


def test_arrays_name_the_first_series_and_channel_without_values(tmp_path: Path) -> None:
    x = np.ones((4, 3, 10), np.float32)
    x[2, 1] = np.nan  # series 2, channel 2
    x[3, 0] = np.nan
    np.save(tmp_path / "rec.npy", x)
    decoded = decode(tmp_path / "rec.npy")
    assert len(decoded.items) == 4
    (note,) = decoded.problems
    assert note.message.startswith(
        "2 of the 4 series in rec.npy have a channel that holds no values (first: "
        "channel 2 of rec[2])"
    )


def test_the_import_summary_and_the_report_name_the_file(project, tmp_path, capsys) -> None:
    folder = tmp_path / "nanch"
    folder.mkdir()
    (folder / "a.csv").write_text(_recording(" "))
    (folder / "c.csv").write_text(_recording())
    assert main(["import", str(project), str(folder)]) == 0
    assert "Notes on imported files: series-channel-empty (1)." in capsys.readouterr().out
    assert main(["report", str(project), "--dataset", "nanch"]) == 0
    out = capsys.readouterr().out
    assert "nanch: 1 note on imported files" in out
    assert "[warning] a.csv: Column 'ay' of a.csv holds no values" in out
