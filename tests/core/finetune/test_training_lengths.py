"""The export records how long the training recordings were; predict notes a series far
shorter or longer than them (an answer is still given), and the card says them."""

from __future__ import annotations

from pathlib import Path

from finetune_projects import write_counting_recording

from ssl_studio.core.export.preprocess import files_of, read_files, read_inputs
from ssl_studio.core.export.series_windows import Span, window_plan, windowed
from ssl_studio.core.export.training_lengths import length_range

SPEC = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
        "sampling_rate": 10.0, "csv_layout": "auto", "csv_prefer": "columns",
        "fewest_channels": 2, "series_length": 3000,
        "training_lengths": {"shortest": 40, "median": 40, "longest": 40}}  # fmt: skip


def test_the_range_is_shortest_median_and_longest_in_steps():
    assert length_range([100, 80, 120, 0]) == {"shortest": 80, "median": 100, "longest": 120}
    assert length_range([100, 90]) == {"shortest": 90, "median": 90, "longest": 100}
    assert length_range([]) is None


def test_a_series_far_shorter_than_training_gets_a_note_not_an_error(tmp_path):
    for name, rows in (("short.csv", 10), ("same.csv", 40), ("longer.csv", 80)):
        write_counting_recording(tmp_path, name, rows)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], SPEC)}
    short = found["short.csv"]
    assert short.error is None and short.x is not None  # still answered
    assert short.note == (
        "This series has 10 steps (1 s), less than half the shortest training recording "
        "(40 steps (4 s)): the model never saw one so short, and its answer may look sure "
        "and mean little."
    )
    assert found["same.csv"].note == "" and found["longer.csv"].note == ""  # within 2 x


def test_a_series_far_longer_than_training_is_pointed_to_windows(tmp_path):
    write_counting_recording(tmp_path, "long.csv", 100)
    [app] = read_inputs([tmp_path], SPEC)
    assert app.error is None and app.note.startswith(
        "This series has 100 steps (10 s), more than twice the longest training recording "
        "(40 steps (4 s)): the model gives one answer for all of it."
    )
    assert app.note.endswith("predict in windows ('Predict in windows of' 4 s).")
    [cli] = read_inputs([tmp_path], SPEC, layout_flag="--layout")
    assert cli.note.endswith("predict in windows (--windows 40).")


def test_cards_without_the_lengths_note_nothing(tmp_path):
    write_counting_recording(tmp_path, "short.csv", 10)
    older = {k: v for k, v in SPEC.items() if k != "training_lengths"}
    [item] = read_inputs([tmp_path], older)
    assert item.error is None and item.note == ""
    assert window_plan(older, None, None).length == Span(3000.0)  # the card's series_length


def test_windows_default_to_the_longest_training_recording_and_far_ones_are_noted(tmp_path):
    write_counting_recording(tmp_path, "long.csv", 400)
    files = list(files_of([tmp_path]))
    plan = window_plan(SPEC, None, None)  # was series_length: 3000 steps, 75 x too long
    assert plan.length == Span(40.0)
    rows = list(windowed(read_files(files, SPEC, whole=False), plan, SPEC))
    assert len(rows) == 10 and all(r.note == "" and r.error is None for r in rows)
    wide = window_plan(SPEC, Span(200.0), None)
    rows = list(windowed(read_files(files, SPEC, whole=False), wide, SPEC))
    assert len(rows) == 2 and all(
        r.note.startswith(
            "Windows of 200 steps (20 s) are more than twice the longest training recording "
            "(40 steps (4 s)), so the test figures say nothing of the answers for them; "
            "windows of about 40 steps (4 s) match the training recordings."
        )
        for r in rows
    )
