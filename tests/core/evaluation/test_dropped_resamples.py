"""The bootstrap is not stratified: the share of resamples that lacked a class of the test
items (left out of the figures that need it) is recorded, and said on the card above 1 %."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.evaluation.metrics import bootstrapped, report_of
from ssl_studio.core.export.card_markdown import _metric_rows


def _report(positives: int, n: int = 40):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(n - positives, int), np.ones(positives, int)]
    p = np.clip(rng.uniform(size=n) + 0.3 * y, 0, 1)
    scored = bootstrapped(y, np.c_[1 - p, p], n_boot=2000)
    return scored, report_of(scored, ["normal", "pneumonia"])


def test_the_share_of_resamples_lacking_a_class_is_recorded_and_said_on_the_card():
    scored, report = _report(3)
    undefined = float(np.mean(~np.isfinite(scored.samples["roc_auc"])))
    assert report["dropped_resamples"] == undefined  # (37/40)^40: about 4 %
    assert 0.02 < undefined < 0.07
    [line] = [r for r in _metric_rows(report) if "resamples lacked a class" in r]
    assert f"{100 * undefined:.0f} % of the bootstrap resamples" in line


def test_no_line_when_few_resamples_were_dropped_or_the_report_is_older():
    _, report = _report(20)
    assert report["dropped_resamples"] == 0.0
    assert not [r for r in _metric_rows(report) if "resamples lacked" in r]
    _, rare = _report(3)
    old = {k: v for k, v in rare.items() if k != "dropped_resamples"}
    assert not [r for r in _metric_rows(old) if "resamples lacked" in r]


def test_the_dropped_line_names_the_figures_by_the_number_of_classes():
    """Two classes have no macro figures: the line said "macro figures" for them too."""
    from ssl_studio.core.evaluation.report_text import dropped_sentence

    _, report = _report(3)
    assert "(ROC AUC, balanced accuracy, sensitivity/specificity and each class's own " in (
        dropped_sentence(report)
    )
    assert "macro" not in dropped_sentence(report)
    three = {**report, "classes": ["a", "b", "c"]}
    assert "(ROC AUC, balanced accuracy, macro figures)" in dropped_sentence(three)
