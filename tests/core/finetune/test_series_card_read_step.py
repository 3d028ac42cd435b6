"""A series model's card: a numbered "read" step that says how a file becomes x and
observed (trailing rows without a value dropped, missing cells, the time column, NPY
shapes), and the training windows' cap told apart from the longest window training used."""

from __future__ import annotations

from finetune_projects import export_series_model, write_vitals_folder

from ssl_studio.core.export.card import preprocessing
from ssl_studio.core.export.card_input import input_lines

SPEC = {"modality": "timeseries", "in_channels": 2, "series_length": 3000}


def test_the_read_step_is_the_first_numbered_step():
    pre = preprocessing({**SPEC, "training_lengths": None})
    read = pre["read"]
    assert "rows after it (a time but empty cells, NaN or NA in every channel) are dropped" in read
    assert "x = 0 and observed = 0" in read and "an infinite value" in read
    assert "[N, C, T] N series of C channels" in read and "save it as [1, 2, T]" in read
    assert "the time column" in read and "1.5 times the median step" in read
    lines = input_lines(pre, SPEC)
    numbered = [line for line in lines if line[:1].isdigit()]
    assert numbered[0].startswith("1. **read**: ") and numbered[1].startswith("2. **normal")
    assert "series_length" not in pre and pre["training_window_cap"] == 3000
    assert pre["longest_training_window"] is None  # the recordings' lengths unknown


def test_an_export_says_the_longest_window_training_used(tmp_path):
    data = tmp_path / "vitals"
    write_vitals_folder(data, 6, 40)
    out, card = export_series_model(tmp_path, data)
    pre = card["preprocessing"]
    assert pre["training_window_cap"] == card["spec"]["series_length"] > 40
    assert pre["longest_training_window"] == 40 and "series_length" not in pre
    assert "are dropped, not fed with observed = 0" in pre["read"]
    text = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "- longest_training_window: 40 steps (the longest window training used" in text
    assert f"- training_window_cap: {pre['training_window_cap']} steps (series_length: " in text
    assert "\n1. **read**: CSV/TSV files" in text
