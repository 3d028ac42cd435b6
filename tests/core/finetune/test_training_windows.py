"""Training recordings longer than the run's ``series_length`` were trained on in sections
of that many steps: predict's length notes compare with those sections, so the default
``--windows`` (series_length) and the model's own recordings get no note."""

from __future__ import annotations

from pathlib import Path

from finetune_projects import write_counting_recording

from ssl_studio.core.export.preprocess import files_of, read_files, read_inputs
from ssl_studio.core.export.series_windows import Span, window_plan, windowed
from ssl_studio.core.export.training_lengths import length_note, lengths_sentence, window_note

# 60-step training recordings at 10 Hz, trained in windows of 20 steps
SPEC = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
        "sampling_rate": 10.0, "csv_layout": "auto", "csv_prefer": "columns",
        "fewest_channels": 2, "series_length": 20,
        "training_lengths": {"shortest": 60, "median": 60, "longest": 60}}  # fmt: skip


def test_the_default_windows_get_no_note_when_recordings_were_longer_than_windows(tmp_path):
    write_counting_recording(tmp_path, "calm0.csv", 60)  # one of the training recordings
    write_counting_recording(tmp_path, "long.csv", 200)
    plan = window_plan(SPEC, None, None)
    assert plan.length == Span(20.0)  # series_length
    assert window_note(20, SPEC) == ""
    rows = list(windowed(read_files(list(files_of([tmp_path])), SPEC, whole=False), plan, SPEC))
    assert len(rows) == 13 and all(r.error is None and r.note == "" for r in rows)


def test_a_much_shorter_window_still_gets_a_note():
    assert window_note(5, SPEC) == (
        "Windows of 5 steps (0.5 s) are less than half the shortest training window "
        "(20 steps (2 s): longer training recordings were trained on in sections this long), "
        "so the test figures say nothing of the answers for them; windows of about 20 steps "
        "(2 s) match the training windows."
    )
    assert window_note(10, SPEC) == ""


def test_whole_series_up_to_twice_the_recordings_get_no_note(tmp_path):
    # (the test figures were worked out on whole recordings: a whole one is no note)
    write_counting_recording(tmp_path, "calm0.csv", 60)
    write_counting_recording(tmp_path, "long.csv", 200)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], SPEC, layout_flag="-l")}
    assert found["calm0.csv"].error is None and found["calm0.csv"].note == ""
    assert found["long.csv"].note == (
        "This series has 200 steps (20 s), more than twice the longest training recording "
        "(60 steps (6 s)): the model gives one answer for all of it. For an answer per part "
        "as long as a training window, predict in windows (--windows 20)."
    )
    assert length_note(10, SPEC, True) == ""  # half the training windows
    assert length_note(8, SPEC, True).startswith(
        "This series has 8 steps (0.8 s), less than half the shortest training window "
        "(20 steps (2 s): longer training recordings were trained on in sections this long)"
    )


def test_cards_without_series_length_compare_with_the_recordings():
    older = {k: v for k, v in SPEC.items() if k != "series_length"}
    assert window_note(60, older) == "" and length_note(60, older, True) == ""
    assert "shortest training recording (60 steps (6 s))" in window_note(20, older)


def test_the_cards_sentence_gives_the_limits_predict_uses_when_recordings_were_cut():
    assert lengths_sentence(SPEC) == (
        "Training recordings: each 60 steps (6 s) long; those longer than 20 steps (2 s) "
        "were trained on in windows that long. predict notes a series shorter than 10 steps "
        "(1 s), half the shortest training window, or longer than twice the longest "
        "recording: the test figures say nothing of such series."
    )
    assert length_note(9, SPEC, True) and not length_note(10, SPEC, True)  # as it says
    whole = {**SPEC, "series_length": 60}  # none cut: the recordings, as before
    assert lengths_sentence(whole).startswith("Training recordings: each 60 steps (6 s) long. ")
