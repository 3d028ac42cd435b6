"""A series whose columns are there but hold no value is read as missing, not as a
recording: with values in fewer channels than any training recording had, the model
would answer as surely as for a whole one, so it is refused."""

from __future__ import annotations

from pathlib import Path

from ssl_studio.core.export.preprocess import read_inputs

SPEC = {"modality": "timeseries", "in_channels": 3, "channel_names": ["hr", "spo2", "resp"],
        "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
        "fewest_channels": 3}  # fmt: skip


def _write(path: Path, header: str | None, columns: list[str]) -> Path:
    """40 rows; each column 'v' (a value), '' (empty) or 'n/a' (not a number)."""
    cells = {"v": lambda t: str(70 + t % 5), "": lambda t: "", "n/a": lambda t: "n/a"}
    rows = [",".join(cells[c](t) for c in columns) for t in range(40)]
    path.write_text("".join(f"{line}\n" for line in ([header] if header else []) + rows))
    return path


def test_named_columns_without_values_are_refused_where_training_had_them(tmp_path):
    _write(tmp_path / "empty.csv", "hr,spo2,resp", ["v", "", "n/a"])
    [item] = read_inputs([tmp_path / "empty.csv"], SPEC)
    assert item.x is None and item.error.startswith(
        "'spo2', 'resp' hold no values (every cell empty or not a number), so this series "
        "has values in only 1 of the model's 3 channels; its training recordings all had 3"
    )
    assert item.error.endswith("Fill them in, or leave this file out.")


def test_an_empty_column_is_read_as_missing_and_said_where_training_had_as_few(tmp_path):
    _write(tmp_path / "gap.csv", "hr,spo2,resp", ["v", "v", ""])
    [item] = read_inputs([tmp_path / "gap.csv"], {**SPEC, "fewest_channels": 2})
    assert item.error is None and item.observed[2].sum() == 0 and item.observed[0].all()
    assert item.note == "'resp' holds no values: read as missing values."
    _write(tmp_path / "whole.csv", "hr,spo2,resp", ["v", "v", "v"])
    [whole] = read_inputs([tmp_path / "whole.csv"], SPEC)
    assert whole.error is None and whole.note == "" and whole.observed.all()


def test_a_headerless_file_names_its_empty_channels_by_position(tmp_path):
    unnamed = {**SPEC, "channel_names": None}
    _write(tmp_path / "bare.csv", None, ["v", "", "v"])
    [item] = read_inputs([tmp_path / "bare.csv"], unnamed)
    assert item.x is None and item.error.startswith("channel 2 holds no values")
    [item] = read_inputs([tmp_path / "bare.csv"], {**unnamed, "fewest_channels": 2})
    assert item.error is None and item.note == "channel 2 holds no values: read as missing values."
