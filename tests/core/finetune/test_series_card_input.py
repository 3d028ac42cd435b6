"""A series model's card, end to end: it records the training recordings' lengths (spec)
and says them with the sampling rate's unit in MODEL_CARD.md's Input section, words its
data as recordings, and predict on the command line notes a much shorter or longer
series against them."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from finetune_projects import export_series_model, write_vitals_folder, write_vitals_recording

from ssl_studio.cli import main


def test_the_card_says_the_training_lengths_and_predict_notes_far_ones(tmp_path, capsys):
    data = tmp_path / "vitals"
    write_vitals_folder(data, 8, 40)
    out, card = export_series_model(tmp_path, data)
    assert card["spec"]["training_lengths"] == {"shortest": 40, "median": 40, "longest": 40}
    assert card["spec"]["sampling_rate"] == 10.0  # (a number in the JSON)
    assert "windows of up to 40 steps" in card["preprocessing"]["length_handling"]
    text = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "- sampling_rate: 10 samples per second (Hz)\n" in text
    assert "- Training recordings: each 40 steps (4 s) long. predict notes a series" in text
    lines = text.splitlines()  # among the input fields, before the recipe's steps

    def at(start: str) -> int:
        return next(n for n, line in enumerate(lines) if line.startswith(start))

    assert at("- length_handling") < at("- Training recordings") < at("From a file to the")
    assert "its recordings for pretraining and its labels after" in text
    assert "its images" not in text
    new = tmp_path / "new"
    new.mkdir()
    rng = np.random.default_rng(1)
    write_vitals_recording(new / "short.csv", "busy", 10, rng)
    write_vitals_recording(new / "whole.csv", "busy", 40, rng)
    write_vitals_recording(new / "long.csv", "busy", 400, rng)
    assert main(["predict", str(out), str(new), "--out", str(tmp_path / "p.csv")]) == 0
    capsys.readouterr()
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    assert rows["short.csv"]["status"] == "note" and rows["short.csv"]["predicted"]
    assert (
        "less than half the shortest training recording (40 steps (4 s))"
        in (rows["short.csv"]["note"])
    )
    assert rows["whole.csv"]["status"] == "ok"
    assert rows["long.csv"]["note"].endswith("predict in windows (--windows 40).")
    # --windows alone: the longest training recording (40), not series_length (3000)
    assert card["spec"]["series_length"] == 3000
    argv = ["predict", str(out), str(new), "--out", str(tmp_path / "w.csv"), "--windows"]
    assert main(argv) == 0
    windows = list(csv.DictReader((tmp_path / "w.csv").open(encoding="utf-8-sig")))
    long_rows = [r for r in windows if Path(r["path"]).name == "long.csv"]
    assert len(long_rows) == 10 and long_rows[0]["window_end_step"] == "40"
