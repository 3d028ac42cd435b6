"""A training recording with a channel that holds no value (imported with a note) does not
lower the card's ``fewest_channels``: it still has the channel, all missing, so predict
keeps refusing a file whose channel holds no value."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from finetune_projects import export_series_model, vitals_signals

from ssl_studio.core.jobs import predict


def test_a_dead_channel_in_training_does_not_make_predict_accept_one(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "vitals"
    for kind in ("calm", "busy"):
        (data / kind).mkdir(parents=True)
        for i in range(8):
            ecg, resp_values = vitals_signals(kind, 30, rng)
            resp = [f"{v:.3f}" for v in resp_values]
            if kind == "calm" and i == 0:
                resp = [""] * 30  # the belt was off the whole time
            rows = "".join(f"{a:.3f},{b}\n" for a, b in zip(ecg, resp, strict=True))
            (data / kind / f"{kind}{i}.csv").write_text("ecg,resp\n" + rows)
    out, card = export_series_model(tmp_path, data)
    assert card["spec"]["channel_names"] == ["ecg", "resp"]
    assert card["spec"]["fewest_channels"] == 2
    result = predict(out, [data / "calm" / "calm0.csv", data / "busy"], tmp_path / "p.csv")
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    assert result["errors"] == 1 and rows["calm0.csv"]["predicted"] == ""
    assert rows["calm0.csv"]["error"].startswith("'resp' holds no values")
    assert all(rows[f"busy{i}.csv"]["status"] == "ok" for i in range(8))
