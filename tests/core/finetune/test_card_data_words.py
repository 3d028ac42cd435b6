"""The card's data line names what the pretraining read by modality: a series model's
card said "its images for pretraining"."""

from __future__ import annotations

from ssl_studio.core.export.card_markdown import _data_lines


def _card(modality: str | None) -> dict:
    card = {
        "data": {"dataset": "bm", "pretraining_dataset": "bm"},
        "training": {"pretext_task": "ts2vec", "config": {}, "train_patients": 4},
    }
    return {**card, "architecture": {"modality": modality}} if modality else card


def test_the_data_line_says_recordings_for_series_and_images_for_images():
    assert _data_lines(_card("timeseries"))[0] == (
        "- Data: dataset 'bm', its recordings for pretraining and its labels after."
    )
    assert _data_lines(_card("image"))[0] == (
        "- Data: dataset 'bm', its images for pretraining and its labels after."
    )
    assert "its images" in _data_lines(_card(None))[0]  # (a card without its architecture)
