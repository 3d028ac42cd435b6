"""The reliability (calibration) table of a binary report: bins of the predicted
probability of the positive class against the share observed, with counts, on the card."""

from __future__ import annotations

import numpy as np
import pytest

from ssl_studio.core.evaluation.bootstrap import wilson
from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.evaluation.reliability import reliability_table
from ssl_studio.core.export.card_reliability import reliability_markdown


def test_each_bin_gives_its_count_mean_prediction_and_observed_share():
    p = np.array([0.05, 0.1, 0.15, 0.5, 0.55, 0.9, 0.95, 1.0])
    y = np.array([0, 0, 1, 1, 0, 1, 1, 1])
    rows = reliability_table(y, p)
    assert [(r["low"], r["high"], r["n"]) for r in rows] == [
        (0.0, 0.2, 3),
        (0.4, 0.6, 2),  # 0.2-0.4 and 0.6-0.8 are empty: left out
        (0.8, 1.0, 3),  # 1.0 falls in the last bin
    ]
    assert rows[0]["mean_predicted"] == pytest.approx(0.1)
    assert rows[0]["observed"]["value"] == pytest.approx(1 / 3)
    low, high = wilson(1 / 3, 3)
    assert (rows[0]["observed"]["low"], rows[0]["observed"]["high"]) == pytest.approx((low, high))
    assert rows[2]["observed"]["value"] == rows[2]["observed"]["high"] == 1.0
    assert sum(r["n"] for r in rows) == len(y)


def test_binary_reports_carry_it_and_the_card_prints_it():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)
    p = np.clip(0.5 + (y - 0.5) * 0.5 + rng.normal(0, 0.2, 60), 0, 1)
    report = classification_report(y, np.stack([1 - p, p], 1), ["normal", "a|b"], n_boot=50)
    assert report["reliability"] == reliability_table(y, p)
    lines = reliability_markdown(report)
    assert "| predicted p(a\\|b) | items | mean predicted | observed share [95 % CI] |" in lines
    first = report["reliability"][0]
    assert any(line.startswith(f"| 0.0 - 0.2 | {first['n']} | ") for line in lines)
    three = classification_report(np.arange(3), np.eye(3), list("abc"), n_boot=10)
    assert "reliability" not in three and reliability_markdown(three) == []
    older = {k: v for k, v in report.items() if k != "reliability"}
    assert reliability_markdown(older)[-1].startswith("Reliability table: not recorded")


def test_a_bin_s_interval_counts_patients_not_their_images():
    """20 images of 4 patients in one bin are not 20 independent tests: the Wilson
    interval of the share is that of 4 (scaled as the report's other Wilson ones)."""
    y = np.array([1] * 15 + [0] * 5 + [0] * 20)
    p = np.r_[np.full(20, 0.9), np.full(20, 0.1)]
    groups = np.repeat(np.arange(8), 5)  # 8 patients, 5 images each
    report = classification_report(y, np.stack([1 - p, p], 1), ["n", "p"], n_boot=20,
                                   groups=groups)  # fmt: skip
    top = report["reliability"][-1]
    assert top["n"] == 20 and top["observed"]["value"] == 0.75
    low, high = wilson(0.75, 4)
    assert (top["observed"]["low"], top["observed"]["high"]) == pytest.approx((low, high))
