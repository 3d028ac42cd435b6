"""The label-efficiency curve in words and not by colour alone: each point's figures in a
table beside the chart (a screen reader had only the picture), and the from-scratch curve
dashed, as on the ROC curve (the two differed only by colour)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from gui_helpers import OPTIONS


def _point(k, fine, scratch, every=False):
    def scores(mean, std):
        return {
            "roc_auc": {"mean": mean, "std": std},
            "balanced_accuracy": {"mean": mean, "std": std},
        }

    return {"k": None if every else k, "labels_per_class": k, "every_label": every,
            "protocol": "linear", "linear": scores(*fine), "scratch": scores(*scratch)}  # fmt: skip


def _results(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result, wizard.options, wizard.per_class = {"run_id": 1}, dict(OPTIONS), 16
    return wizard.pages["results"]


def test_each_point_of_the_curve_is_listed_in_words(make_window, project):
    results = _results(make_window, project)
    curve = [_point(1, (0.7, 0.1), (0.6, 0.05)), _point(5, (0.91, 0.03), (0.84, 0.05)),
             _point(16, (0.95, 0.01), (0.9, 0.02), every=True)]  # fmt: skip
    results._curve({"curve": curve, "seeds": [0, 1, 2]})
    table = results.curve_tab.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Labels per class", "Fine-tuned (linear probe)", "From scratch"]
    rows = [[table.item(r, c).text() for c in range(3)] for r in range(table.rowCount())]
    assert rows == [
        ["1", "0.700 ± 0.100", "0.600 ± 0.050"],
        ["5", "0.910 ± 0.030", "0.840 ± 0.050"],
        ["16 (every label)", "0.950 ± 0.010", "0.900 ± 0.020"],
    ]
    assert not table.isHidden() and "ROC AUC" in table.accessibleName()
    assert "mean ± standard deviation" in results.curve_tab.table_title.text()


def test_the_from_scratch_curve_is_dashed(make_window, project):
    results = _results(make_window, project)
    results._curve({"curve": [_point(1, (0.7, 0.1), (0.6, 0.05))], "seeds": [0, 1, 2]})
    styles = {name: c.opts["pen"].style() for name, c in results.curve.curves.items()}
    assert styles == {"linear": Qt.PenStyle.SolidLine, "scratch": Qt.PenStyle.DashLine}
    legend = [label.text for _, label in results.curve._legend.items]
    assert legend == ["linear", "scratch"]  # (the legend draws each curve's own pen)
