"""The missing-value rules of predict's series checks without a model: rows after the
last value that hold a cell (NaN, NA) are missing data even without a time column (blank
lines are nothing), a card's most_missing bounds what a file may miss, and spans read as
people read them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.data.series_table import decode_table
from ssl_studio.core.export.input_checks import duration, ended_note, series_checks

NAMES = ["ecg", "resp"]


def _file(path: Path, tail: list[str]) -> Path:
    rows = [f"{np.sin(i / 3):.3f},{np.cos(i / 9):.3f}" for i in range(100)]
    path.write_text("ecg,resp\n" + "\n".join(rows + tail) + "\n")
    return path


@pytest.mark.parametrize("tail", [["NaN,NaN"] * 5000, ["NA,"] * 5000, ["nan,nan"] * 5000])
def test_missing_rows_after_the_last_value_of_an_untimed_file_are_said(tmp_path, tail):
    [item], problems = decode_table(_file(tmp_path / "a.csv", tail), "columns", None)
    assert item.array.shape == (2, 100) and not problems
    assert item.fields["meta"]["missing_end_rows"] == 5000
    error, note = series_checks(item.array, NAMES, None, item.fields["meta"], None, True)
    assert error is None and note == (
        "Its last 5000 rows hold no value (a recorder taken off?): the series was read up "
        "to its last value, and they were not predicted."
    )


def test_blank_lines_after_the_last_value_are_nothing(tmp_path):
    [item], _ = decode_table(_file(tmp_path / "a.csv", [","] * 5000), "columns", None)
    assert "missing_end_rows" not in item.fields["meta"]
    assert series_checks(item.array, NAMES, None, item.fields["meta"]) == (None, "")


def _gappy(share: float) -> np.ndarray:
    x = np.vstack([np.sin(np.arange(1000) / 3), np.cos(np.arange(1000) / 9)]).astype(np.float32)
    x[np.random.default_rng(0).random(x.shape) < share] = np.nan
    return x


def test_gaps_the_training_recordings_never_had_are_an_error():
    error, _ = series_checks(_gappy(0.85), NAMES, None, {}, 10.0, True, 0.0)
    assert error == (
        "85 % of this series' values are missing (empty cells, NaN or infinite), far more "
        "than any training recording (at most 0 %), so the model never saw such gaps: no "
        "answer is given for a series more than 50% missing. Fill in the gaps, or leave it out."
    )
    error, note = series_checks(_gappy(0.3), NAMES, None, {}, 10.0, True, 0.0)
    assert error is None and note == (
        "30 % of its values are missing, more than any training recording (at most 0 %): "
        "read as missing values."
    )
    # training recordings up to 60 % missing: 70 % is a note; 88 % (over 85 %) an error
    assert series_checks(_gappy(0.7), NAMES, None, {}, 10.0, True, 0.6)[1] == (
        "70 % of its values are missing, more than any training recording (at most 60 %): "
        "read as missing values."
    )
    assert series_checks(_gappy(0.88), NAMES, None, {}, 10.0, True, 0.6)[0].startswith(
        "88 % of this series' values are missing"
    )
    assert series_checks(_gappy(0.5), NAMES, None, {}, 10.0, True, 0.6)[1] == (
        "50 % of its values are missing (read as missing values; training recordings had "
        "up to 60 %)."
    )
    # a card without most_missing: the 90 % rule
    assert series_checks(_gappy(0.85), NAMES, None, {}, 10.0, True, None) == (
        None,
        "85 % of its values are missing (read as missing values, which the model reads masked).",
    )


def test_spans_read_as_people_read_them():
    assert duration(3) == "3 s" and duration(150) == "2.5 min" and duration(7200) == "2 h"
    assert duration(1.2e6) == "13.9 days"
    assert ended_note(1_200_000, 1.0).startswith("Its last 1200000 rows (13.9 days) hold no")
    assert ended_note(30, 10.0).startswith("Its last 30 rows (3 s) hold no value")


def test_most_missing_leaves_out_channels_without_a_value_as_predict_does(tmp_path):
    """A training recording with a lead never recorded is 0 % missing to predict (it
    judges the channels holding a value), so the card's most_missing says 0 % too."""
    from types import SimpleNamespace

    from ssl_studio.core.data.cache import CacheWriter
    from ssl_studio.core.export.job import _most_missing

    writer = CacheWriter(tmp_path / "dataset-1")
    items = []
    full = np.random.default_rng(0).normal(size=(3, 50)).astype(np.float32)
    empty_lead = full.copy()
    empty_lead[2] = np.nan  # a lead never recorded
    gappy = full.copy()
    gappy[0, :10] = np.nan  # 10 of 150 values: 6.7 %
    for values in (full, empty_lead, gappy):
        _, offset = writer.add_series(values)
        n_missing = int(np.isnan(values).sum())
        items.append({"cache_index": offset, "channels": 3, "length": 50, "n_missing": n_missing})
    writer.close()
    store = SimpleNamespace(
        paths=SimpleNamespace(dataset_cache=lambda i: tmp_path / f"dataset-{i}")
    )
    assert _most_missing(store, 1, items) == 0.067  # was 0.333: the empty lead counted
    assert _most_missing(store, 1, items[:2]) == 0.0
    assert _most_missing(store, 1, []) is None
    observed = series_checks(empty_lead, ["a", "b", "c"], None)
    assert observed == (None, "")  # predict: no missing value in the leads it has


def test_most_missing_is_a_decision_field_absent_from_older_cards():
    from ssl_studio.core.export.card_integrity import DIGEST_KEY, card_fields, digest, trust_problem

    spec = {"modality": "timeseries", "in_channels": 2, "series_length": 20}
    old = {"classes": ["a", "b"], "threshold": 0.5, "spec": spec}
    assert "most_missing" not in card_fields(old)["spec"]  # an older card: digest as before
    assert trust_problem(old, {DIGEST_KEY: digest(card_fields(old))}) is None
    card = {**old, "spec": {**spec, "most_missing": 0.0}}
    metadata = {DIGEST_KEY: digest(card_fields(card))}
    assert trust_problem(card, metadata) is None
    edited = {**card, "spec": {**spec, "most_missing": 0.9}}  # would widen predict's bounds
    assert "largest missing share" in trust_problem(edited, metadata)
