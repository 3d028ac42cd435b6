"""evaluate shows a run's stored paired comparison with its baseline while it scores the
same items, labels, predictions and resamples, whatever later versions refine in the
report's other figures; a report of other predictions drops it."""

from __future__ import annotations

import json

import numpy as np

from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.finetune.saved import with_paired


def _report():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 30)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0.01, 0.99)
    return classification_report(y, np.stack([1 - p, p], 1), ["a", "b"], n_boot=50)


def test_an_older_reports_pairing_survives_refined_figures_not_other_predictions(tmp_path):
    report = _report()
    paired = {"roc_auc": {"value": 0.05, "low": -0.01, "high": 0.1}}
    older = json.loads(json.dumps(report))  # as stored by an older version:
    older["per_class"][0]["roc_auc"]["value"] += 1e-16  # class 0's AUC not mirrored
    older["roc_auc"]["low"] = older["roc_auc"]["value"]  # no floor under its interval
    older["reliability"] = "(another rule)"
    older["interval_method"] = older["interval_method"].split(";")[0] + "; older words"
    (tmp_path / "evaluation.json").write_text(json.dumps({**older, "versus_baseline": paired}))
    assert with_paired(report, tmp_path)["versus_baseline"] == paired
    other = json.loads(json.dumps(older))
    other["confusion"][0][0] -= 1  # another prediction
    other["confusion"][0][1] += 1
    (tmp_path / "evaluation.json").write_text(json.dumps({**other, "versus_baseline": paired}))
    assert "versus_baseline" not in with_paired(report, tmp_path)
