"""A series model reads a mask of what was observed, so predict judges a recording's
missing values by what the model sees: blank rows a spreadsheet appended are no values at
all (same answer as without them); a wearable taken off for a while is answered with a
note, and predicted in windows each window is judged alone (the worn ones ok, the empty
ones errors, the half empty ones notes); next to nothing observed is still an error."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from finetune_projects import export_series_model

from ssl_studio.cli import main
from ssl_studio.core.jobs import predict

WINDOW = 20  # the model's training windows, 2 s at 10 per second


def _write(path: Path, ecg, resp, timed: bool = True, blank: int = 0) -> Path:
    """A CSV of ecg and resp (NaN: an empty cell), with a time column at 10 per second
    (a time on every row: a gap is a row with a time and no value), and ``blank`` rows
    without a single cell after them (as a spreadsheet appends)."""
    cells = [["" if np.isnan(v) else f"{v:.3f}" for v in channel] for channel in (ecg, resp)]
    lines = [
        f"{s / 10:.1f}," * timed + f"{a},{b}" for s, (a, b) in enumerate(zip(*cells, strict=True))
    ]
    lines += ["," * (1 + timed)] * blank
    path.write_text(("time," * timed) + "ecg,resp\n" + "\n".join(lines) + "\n")
    return path


def _signal(steps: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(steps)
    noise = np.random.default_rng(seed).normal(0, 0.1, steps)
    return np.sin(t / 3) + noise, np.cos(t / 9) * (1 + (seed % 2))


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A series model trained on windows of 20 steps of 40-step recordings at 10 Hz."""
    tmp = tmp_path_factory.mktemp("gaps")
    data = tmp / "vitals"
    for n, kind in enumerate(("calm", "busy")):
        (data / kind).mkdir(parents=True)
        for i in range(6):
            ecg, resp = _signal(40, seed=2 * i + n)
            _write(data / kind / f"{kind}{i}.csv", ecg * (1 + 2 * n), resp)
    out, card = export_series_model(tmp, data, series_length=WINDOW)
    assert card["spec"]["series_length"] == WINDOW and card["spec"]["sampling_rate"] == 10.0
    assert card["spec"]["most_missing"] == 0.0  # the training recordings have no gap
    return out


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(out.open(encoding="utf-8-sig")))


def _answer(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["status"], row["p_busy"], row["p_calm"], row["note"] + row["error"]


def test_blank_rows_at_the_end_change_nothing(model, tmp_path):
    ecg, resp = _signal(60)
    files = [
        _write(tmp_path / "a_orig.csv", ecg, resp),
        _write(tmp_path / "b_padded.csv", ecg, resp, blank=150),  # more blank than values
        _write(tmp_path / "c_untimed.csv", ecg, resp, timed=False),
        _write(tmp_path / "d_untimed_padded.csv", ecg, resp, timed=False, blank=60),
    ]
    predict(model, files, tmp_path / "p.csv")
    rows = _rows(tmp_path / "p.csv")
    assert _answer(rows[0])[0] == "ok" and _answer(rows[0]) == _answer(rows[1])
    assert _answer(rows[2])[0] == "note" and _answer(rows[2]) == _answer(rows[3])  # no rate
    assert rows[0]["p_busy"] == rows[2]["p_busy"]


def _worn(steps: int = 120, tail: int = 30):
    """A wearable's recording: worn, taken off for steps 40-78 and 88-96, worn again,
    then ``tail`` rows with a time and no value (taken off at the end)."""
    ecg, resp = _signal(steps + tail, seed=3)
    for channel in (ecg, resp):
        channel[40:78], channel[88:96], channel[steps:] = np.nan, np.nan, np.nan
    return ecg, resp


def test_a_wearable_taken_off_is_answered_with_a_note(model, tmp_path):
    path = _write(tmp_path / "worn.csv", *_worn())
    result = predict(model, [path], tmp_path / "p.csv")
    [row] = _rows(tmp_path / "p.csv")
    assert result["errors"] == 0 and row["status"] == "note" and row["predicted"]
    assert row["note"] == (
        "38 % of its values are missing, more than any training recording (at most 0 %): "
        "read as missing values. Its last 30 rows (3 s) hold no value (a recorder taken "
        "off?): the series was read up to its last value, and they were not predicted. "
        "This series has 120 steps (12 s), more than twice the longest training recording "
        "(40 steps (4 s)): the model gives one answer for all of it. For an answer per part "
        "as long as a training window, predict in windows ('Predict in windows of' 2 s)."
    )  # (recordings of 40 steps, trained on in windows of 20: training_lengths.py)


def test_in_windows_each_window_of_a_wearable_is_judged_alone(model, tmp_path):
    path = _write(tmp_path / "worn.csv", *_worn())
    out = tmp_path / "w.csv"
    argv = ["predict", str(model), str(path), "--out", str(out), "--windows", str(WINDOW)]
    assert main(argv) == 0
    rows = {int(r["window_start_step"]): r for r in _rows(out)}
    assert sorted(rows) == [0, 20, 40, 60, 80, 100]
    status = {start: r["status"] for start, r in rows.items()}
    assert status == {0: "ok", 20: "ok", 40: "error", 60: "error", 80: "note", 100: "note"}
    assert rows[0]["predicted"] and rows[20]["predicted"] and not rows[40]["predicted"]
    assert rows[40]["error"].startswith("No value was observed in this window")
    assert rows[60]["error"].startswith(  # 2 of 20 steps worn (78-80)
        "Only 2 of this window's steps hold a value: no answer is given for a window with "
        "fewer than 10"
    )
    assert rows[80]["note"].startswith("40 % of its values are missing")  # 88-96 off
    assert rows[100]["note"].startswith("Its last 30 rows (3 s) hold no value")
    # an observed window is answered as the same steps cut out as their own file
    ecg, resp = _signal(150, seed=3)
    alone = _write(tmp_path / "alone.csv", ecg[:WINDOW], resp[:WINDOW])
    predict(model, [alone], tmp_path / "a.csv")
    [one] = _rows(tmp_path / "a.csv")
    assert (one["p_busy"], one["p_calm"]) == (rows[0]["p_busy"], rows[0]["p_calm"])


def test_a_series_almost_empty_is_still_an_error(model, tmp_path):
    ecg, resp = _signal(100)
    ecg[3:], resp[3:] = np.nan, np.nan  # 3 values, then times without values
    path = _write(tmp_path / "three.csv", ecg, resp)
    sparse = _signal(100)
    for channel in sparse:
        channel[np.arange(100) % 12 != 11] = np.nan  # 8 steps of 100 hold a value
    predict(model, [path, _write(tmp_path / "sparse.csv", *sparse)], tmp_path / "p.csv")
    few, three = _rows(tmp_path / "p.csv")  # (in the order of their paths)
    assert three["status"] == "error" and three["error"].startswith(
        "Only 3 of this series' steps hold a value"
    )
    assert few["status"] == "error" and few["error"].startswith(
        "Only 8 of this series' steps hold a value"
    )
    empty = _write(tmp_path / "empty.csv", np.full(50, np.nan), np.full(50, np.nan))
    predict(model, [empty], tmp_path / "e.csv")
    assert _rows(tmp_path / "e.csv")[0]["status"] == "error"
