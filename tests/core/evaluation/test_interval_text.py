"""An interval of no width (every bootstrap resample gave the same figure) reads as
certainty that a handful of items cannot give: the command line, the card and the
wizard all write "not estimable" for it, through the one formatting they share."""

from __future__ import annotations

import numpy as np

from ssl_studio.cli_report import print_report
from ssl_studio.core.evaluation.bootstrap import wilson
from ssl_studio.core.evaluation.metrics import (
    NO_SPREAD,
    classification_report,
    figure_text,
    interval_text,
)
from ssl_studio.core.export.card_classes import per_class_markdown
from ssl_studio.core.export.card_markdown import _metric_rows


def _perfect_on_six() -> dict:
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.2, 0.3, 0.4, 0.6, 0.7, 0.9])
    return classification_report(y, np.c_[1 - p, p], ["normal", "pneumonia"], n_boot=200)


def test_a_figure_whose_resamples_all_agree_has_no_interval_but_says_why():
    assert figure_text({"value": 1.0, "low": 1.0, "high": 1.0}) == "1.000 [not estimable]"
    assert NO_SPREAD == "not estimable"
    assert figure_text({"value": 0.93, "low": 0.853, "high": 1.0}) == "0.930 [0.853, 1.000]"
    assert interval_text({"value": 0.9, "low": 0.8, "high": 1.0}, " - ") == "0.800 - 1.000"
    assert figure_text({"value": 0.9, "low": None, "high": None}) == "0.900"  # no bootstrap
    assert figure_text({"value": None}) == "n/a"


def test_a_narrow_interval_that_rounds_to_one_figure_shows_its_spread():
    """Compared after rounding to 3 decimals, the Wilson interval of a perfect score on
    7 700 items (0.9995 to 1) read "not estimable"; only an interval of no width does."""
    low, high = wilson(1.0, 7700)
    assert low < high and f"{low:.3f}" == f"{high:.3f}"
    assert interval_text({"value": 1.0, "low": low, "high": high}) == "0.9995, 1.0000"
    assert interval_text({"value": 0.5, "low": 0.5, "high": 0.5000001}) == ("0.5000000, 0.5000001")
    assert interval_text({"value": 0.5, "low": 0.5, "high": 0.5}) == NO_SPREAD
    assert figure_text({"value": 1.0, "low": low, "high": high}) == "1.000 [0.9995, 1.0000]"


def test_the_card_and_the_command_line_write_no_zero_width_interval(capsys):
    report = _perfect_on_six()  # every proportion of it has a Wilson interval (F1 too)
    assert report["f1"]["low"] == wilson(1.0, 3)[0]  # (the smaller class's 3 items)
    report["ece"] = {**report["ece"], "value": 0.0, "low": 0.0, "high": 0.0}  # no width
    rows = "\n".join(_metric_rows(report))
    assert "1.000 - 1.000" not in rows and "0.000 - 0.000" not in rows
    [ece] = [r for r in _metric_rows(report) if r.startswith("| Calibration error")]
    assert ece.endswith("| not estimable |")
    print_report("Test split", report)
    out = capsys.readouterr().out
    assert "[1.000, 1.000]" not in out and "0.000 [not estimable]" in out
    assert "not estimable" not in out.replace("0.000 [not estimable]", "")
    assert "[1.000, 1.000]" not in "\n".join(per_class_markdown(report))
