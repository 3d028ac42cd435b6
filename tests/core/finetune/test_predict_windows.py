"""Predicting a long recording in windows (``predict --windows``): one row per window,
each the answer for that window cut out as its own file; windows every stride; a short
last window kept from half a window on; seconds need the file's rate; a window without
values is an error row; a long recording is not refused as too long to read whole."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from finetune_projects import export_series_model

from ssl_studio.cli import main
from ssl_studio.core.events import Progress
from ssl_studio.core.export import predict_job, preprocess
from ssl_studio.core.jobs import predict
from ssl_studio.core.wording import progress_detail

WINDOW = 20  # the model's training windows (series_length), 2 s at 10 per second


def _write(path: Path, ecg, resp, timed: bool = True) -> Path:
    """A CSV of ecg and resp (NaN: an empty cell), with a time column at 10 per second."""
    cells = [["" if np.isnan(v) else f"{v:.3f}" for v in channel] for channel in (ecg, resp)]
    lines = [
        f"{s / 10:.1f}," * timed + f"{a},{b}" for s, (a, b) in enumerate(zip(*cells, strict=True))
    ]
    path.write_text(("time," * timed) + "ecg,resp\n" + "\n".join(lines) + "\n")
    return path


def _signal(steps: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """ecg, resp [steps]: calm and busy stretches in turn (every 20 steps)."""
    t = np.arange(steps)
    busy = (t // WINDOW) % 2 == 1
    noise = np.random.default_rng(seed).normal(0, 0.1, steps)
    ecg = np.where(busy, np.sin(t / 2), np.sin(t / 6)) + noise
    return ecg, np.cos(t / 9) * np.where(busy, 3, 1)


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A series model trained on windows of 20 steps of 40-step recordings at 10 Hz."""
    tmp = tmp_path_factory.mktemp("windows")
    data = tmp / "vitals"
    for kind in ("calm", "busy"):
        (data / kind).mkdir(parents=True)
        for i in range(8):
            ecg, resp = _signal(40, seed=i)
            if kind == "busy":
                ecg, resp = np.sin(np.arange(40) / 2) + ecg * 0.1, resp * 3
            _write(data / kind / f"{kind}{i}.csv", ecg, resp)
    out, card = export_series_model(tmp, data, series_length=WINDOW)
    assert card["spec"]["series_length"] == WINDOW and card["spec"]["sampling_rate"] == 10.0
    return out


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(out.open(encoding="utf-8-sig")))


def _p(row: dict[str, str]) -> np.ndarray:
    return np.array([float(row["p_busy"]), float(row["p_calm"])])


def test_five_windows_give_five_rows_each_as_the_window_alone(model, tmp_path):
    ecg, resp = _signal(5 * WINDOW)
    day = _write(tmp_path / "day.csv", ecg, resp)
    alone = []
    for n in range(5):
        part = slice(n * WINDOW, (n + 1) * WINDOW)
        alone.append(_write(tmp_path / f"part{n}.csv", ecg[part], resp[part]))
    result = predict(model, [day], tmp_path / "w.csv", windows=True)
    rows = _rows(tmp_path / "w.csv")
    assert result["items"] == 5 and result["errors"] == 0
    assert [r["index"] for r in rows] == ["0"] * 5  # the series' index in its file
    assert [(r["window_start_step"], r["window_end_step"]) for r in rows] == [
        (str(n * WINDOW), str((n + 1) * WINDOW)) for n in range(5)
    ]
    assert [(r["window_start_s"], r["window_end_s"]) for r in rows] == [
        (str(2 * n), str(2 * n + 2)) for n in range(5)
    ]  # seconds from the start of the series, never a date-time
    predict(model, alone, tmp_path / "alone.csv")
    for row, single in zip(rows, _rows(tmp_path / "alone.csv"), strict=True):
        assert np.allclose(_p(row), _p(single), atol=2e-6)
        assert row["predicted"] == single["predicted"] and not row["error"]


def test_half_a_window_stride_overlaps_and_a_short_last_window(model, tmp_path):
    ecg, resp = _signal(5 * WINDOW + 5)  # 5 windows and a quarter
    day = _write(tmp_path / "day.csv", ecg, resp)
    predict(model, [day], tmp_path / "half.csv", windows=str(WINDOW), stride="1s")
    rows = _rows(tmp_path / "half.csv")
    starts = [int(r["window_start_step"]) for r in rows]
    assert starts == list(range(0, 5 * WINDOW - WINDOW // 2 + 1, WINDOW // 2))  # 0 ... 90
    assert rows[-1]["window_end_step"] == "105" and not rows[-1]["note"]  # 15 steps: kept
    predict(model, [day], tmp_path / "plain.csv", windows="2s")
    rows = _rows(tmp_path / "plain.csv")
    assert len(rows) == 5 and rows[-1]["window_end_step"] == "100"  # 5 steps: left out
    assert "The last 5 steps (0.5 s) of the series, less than half a window" in rows[-1]["note"]
    assert not rows[0]["note"]
    longer = _write(tmp_path / "longer.csv", *_signal(5 * WINDOW + WINDOW // 2))
    predict(model, [longer], tmp_path / "longer-p.csv", windows=True)
    rows = _rows(tmp_path / "longer-p.csv")  # half a window: predicted
    assert (
        len(rows) == 6 and rows[-1]["window_start_s"] == "10" and rows[-1]["window_end_s"] == "11"
    )


def test_seconds_need_the_files_sampling_rate(model, tmp_path):
    untimed = _write(tmp_path / "untimed.csv", *_signal(3 * WINDOW), timed=False)
    predict(model, [untimed], tmp_path / "steps.csv", windows="20")
    rows = _rows(tmp_path / "steps.csv")
    assert len(rows) == 3 and rows[1]["window_start_step"] == "20"
    assert rows[1]["window_start_s"] == "" and "sampling rate is unknown" in rows[1]["note"]
    result = predict(model, [untimed], tmp_path / "secs.csv", windows="2s")
    (row,) = _rows(tmp_path / "secs.csv")
    assert result["items"] == 0 and row["predicted"] == "" and row["p_busy"] == ""
    assert "Windows in seconds (2 s) need the recording's sampling rate" in row["error"]


def test_a_window_without_values_is_an_error_row(model, tmp_path):
    ecg, resp = _signal(4 * WINDOW)
    ecg[WINDOW : 2 * WINDOW] = resp[WINDOW : 2 * WINDOW] = np.nan  # the 2nd: nothing
    resp[2 * WINDOW : 3 * WINDOW] = np.nan  # the 3rd: ecg alone (training had both)
    gaps = _write(tmp_path / "gaps.csv", ecg, resp)
    result = predict(model, [gaps], tmp_path / "g.csv", windows=True)
    rows = _rows(tmp_path / "g.csv")
    assert result["items"] == 2 and len(rows) == 4
    assert [r["window_start_step"] for r in rows] == ["0", "20", "40", "60"]
    assert rows[1]["error"].startswith("No value was observed in this window")
    assert "values in only 1 of the model's 2 channels" in rows[2]["error"]
    for row in rows[1:3]:
        assert row["predicted"] == row["p_busy"] == ""  # no sure-looking answer
    assert rows[0]["predicted"] and rows[3]["predicted"]


def test_a_recording_too_long_to_read_whole_is_predicted_in_windows(model, tmp_path, monkeypatch):
    free = int(60 * preprocess.BYTES_PER_STEP / 0.8)  # room for 60 steps at once
    monkeypatch.setattr(preprocess, "free_memory", lambda: free)
    monkeypatch.setattr("ssl_studio.core.export.series_windows.free_memory", lambda: free)
    day = _write(tmp_path / "day.csv", *_signal(5 * WINDOW))
    predict(model, [day], tmp_path / "whole.csv")
    assert "This recording has 100 steps" in _rows(tmp_path / "whole.csv")[0]["error"]
    events = []
    predict_job.predict(
        model, [day], tmp_path / "w.csv", windows=True, batch_size=2, report=events.append
    )
    rows = _rows(tmp_path / "w.csv")
    assert len(rows) == 5 and not any(r["error"] for r in rows)
    within = [(e.counts.get("window"), e.counts.get("windows")) for e in events]
    assert within[:2] == [(2, 5), (4, 5)] and all(isinstance(e, Progress) for e in events)
    assert progress_detail(events[0]) == "0 of 1 file (2 of 5 windows of file 1)"
    predict(model, [day], tmp_path / "big.csv", windows="70")
    assert "Windows of 70 steps need about" in _rows(tmp_path / "big.csv")[0]["error"]


def test_the_command_line_writes_the_window_columns(model, tmp_path, capsys):
    day = _write(tmp_path / "day.csv", *_signal(3 * WINDOW))
    out = tmp_path / "p.csv"
    assert main(["predict", str(model), str(day), "--out", str(out), "--windows"]) == 0
    assert "3 predictions" in capsys.readouterr().out
    with out.open(encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    assert header[:7] == ["path", "file_number", "index", "window_start_step",
                          "window_end_step", "window_start_s", "window_end_s"]  # fmt: skip
    assert len(_rows(out)) == 3
    argv = ["predict", str(model), str(day), "--out", str(out), "--overwrite"]
    assert main([*argv, "--windows", "10", "--stride", "5"]) == 0
    assert len(_rows(out)) == 11  # 0, 5, ..., 50 (the last, 50-60, ends the recording)
    with pytest.raises(SystemExit):
        main([*argv, "--windows", "ten seconds"])
    assert "not a window length" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # a path after --windows is taken for its length
        main(["predict", str(model), "--windows", str(day), "--out", str(out)])
    assert "put --windows after the paths, or write --windows trained" in capsys.readouterr().err
    assert main([*argv, "--windows", "trained"]) == 0 and len(_rows(out)) == 3


def test_windows_are_views_of_the_recording_read_once():
    from ssl_studio.core.export.series_windows import WindowPlan, parse_span, windowed

    x = np.arange(2 * 1000, dtype=np.float32).reshape(2, 1000)
    item = preprocess.ModelInput("a.csv", 3, x, np.ones_like(x, bool), sampling_rate=500.0)
    plan = WindowPlan(parse_span("0.5s"), parse_span("100"))
    spec = {"modality": "timeseries", "in_channels": 2}
    got = list(windowed(iter([item]), plan, spec))
    assert [(w.window.start, w.window.end) for w in got] == [
        *((s, s + 250) for s in range(0, 701, 100)),
        (800, 1000),  # 200 steps: at least half a window
    ]
    for w in got:  # the recording is not copied per window
        assert np.shares_memory(w.x, x) and np.shares_memory(w.observed, item.observed)
        assert w.index == 3 and np.array_equal(w.x, x[:, w.window.start : w.window.end])


def test_window_times_keep_their_digits_and_overlaps_count_what_is_left_out():
    """A window 28 hours into a 500 Hz recording starts at 100002.5 s (``:g`` wrote
    100002); with overlapping windows only the steps after the last one kept are left
    out (79 steps in windows of 40 every 30: 9, not 19)."""
    from ssl_studio.core.export.series_windows import Window, window_cells, window_starts

    assert window_cells(Window(50_001_250, 50_002_500, 0, 0, 500.0)) == [
        "50001250", "50002500", "100002.5", "100005"
    ]  # fmt: skip
    assert window_cells(Window(15_000_000, 15_003_600, 0, 0, 360.0))[2] == "41666.666667"
    assert window_starts(79, 40, 30) == ([(0, 40), (30, 70)], 9)
    assert window_starts(100, 20, 20) == ([(i, i + 20) for i in range(0, 100, 20)], 0)


def test_the_steps_left_out_are_said_when_the_last_window_is_an_error(model, tmp_path):
    """A recording ending in missing values: its last window is an error row, which keeps
    the note on the steps left out after it (an error row's note was dropped)."""
    ecg, resp = _signal(3 * WINDOW + 5)
    resp[2 * WINDOW :] = np.nan  # the last window: ecg alone (training had both)
    ends = _write(tmp_path / "ends.csv", ecg, resp)
    predict(model, [ends], tmp_path / "e.csv", windows=True)
    rows = _rows(tmp_path / "e.csv")
    assert len(rows) == 3 and "values in only 1 of the model's 2" in rows[-1]["error"]
    assert "The last 5 steps (0.5 s) of the series" in rows[-1]["note"]
