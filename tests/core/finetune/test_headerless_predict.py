"""A CSV without a header row is predicted as the import read the training files: with
the training files' header (its time column known by position) where they had one, as it
is where they had none."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from finetune_projects import export_series_model, vitals_signals

from ssl_studio.core.jobs import predict


def _recordings(folder: Path, header: str | None, times) -> None:
    """calm/ and busy/ recordings of 40 steps: a time column, then ecg and resp."""
    rng = np.random.default_rng(0)
    for kind in ("calm", "busy"):
        (folder / kind).mkdir(parents=True)
        for i in range(10):
            ecg, resp = vitals_signals(kind, 40, rng)
            rows = "".join(
                f"{times(s)},{a:.3f},{b:.3f}\n"
                for s, (a, b) in enumerate(zip(ecg, resp, strict=True))
            )
            (folder / kind / f"{kind}{i}.csv").write_text((header or "") + rows)


def _model(tmp_path: Path, header: str | None, times) -> tuple[Path, dict, Path]:
    data = tmp_path / "vitals"
    _recordings(data, header, times)
    out, card = export_series_model(tmp_path, data)
    return out, card, data


def _rows(model: Path, files: list[Path], out: Path) -> dict[str, dict[str, str]]:
    predict(model, files, out)
    return {Path(r["path"]).name: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}


def test_a_headerless_copy_of_a_training_file_with_a_time_column_predicts_as_it(tmp_path):
    model, card, data = _model(tmp_path, "time,ecg,resp\n", lambda s: f"{s / 10:.1f}")
    assert card["spec"]["in_channels"] == 2 and card["spec"]["sampling_rate"] == 10.0
    assert card["spec"]["csv_header"] == ["time", "ecg", "resp"]
    assert "as if it had it" in card["preprocessing"]["channel_matching"]
    headed = data / "busy" / "busy0.csv"
    bare = tmp_path / "bare.csv"  # the same recording without its header row
    bare.write_text("".join(headed.read_text().splitlines(keepends=True)[1:]))
    wide = tmp_path / "wide.csv"  # one more column than the training files: by position?
    wide.write_text("".join(f"{line.rstrip()},1\n" for line in bare.read_text().splitlines()))
    rows = _rows(model, [headed, bare, wide], tmp_path / "p.csv")
    assert not rows["bare.csv"]["error"]  # it was refused: 3 channels, the model reads 2
    for name in ("p_busy", "p_calm"):
        assert rows["bare.csv"][name] == rows["busy0.csv"][name]
    assert rows["bare.csv"]["note"] == (
        "It has no header row, so its columns were taken by position, as the training "
        "files' header names them: time, ecg, resp. Add a header row naming them if the "
        "order differs."
    )
    assert rows["busy0.csv"]["note"] == ""
    assert rows["wide.csv"]["error"].startswith("This series has 4 channels; the model reads 2")
    assert (
        "Add a header row naming its columns (time, ecg, resp, as the training files "
        in (rows["wide.csv"]["error"])
    )


def test_a_headerless_training_file_with_date_times_predicts_as_it_was_imported(tmp_path):
    model, card, data = _model(tmp_path, None, lambda s: f"2024-03-01 10:00:{s:02d}")
    assert card["spec"]["in_channels"] == 2 and card["spec"]["csv_header"] is None
    seconds = tmp_path / "seconds.csv"  # times in seconds, unnamed: read as a channel
    lines = (data / "calm" / "calm0.csv").read_text().splitlines()
    seconds.write_text("".join(f"{i}," + line.split(",", 1)[1] + "\n" for i, line in
                               enumerate(lines)))  # fmt: skip
    rows = _rows(model, [data / "calm" / "calm0.csv", seconds], tmp_path / "p.csv")
    assert not rows["calm0.csv"]["error"] and rows["calm0.csv"]["predicted"]
    error = rows["seconds.csv"]["error"]
    assert error.startswith("This series has 3 channels; the model reads 2.")
    assert "a column of times counts as a channel unless it holds date-times" in error
    assert "add a header row naming it time" in error
