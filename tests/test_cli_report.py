"""The command line's report and curve tables: figures named as the wizard and card name
them, per-class figures, absent classes said, the confusion matrix's classes named."""

from __future__ import annotations

import numpy as np

from ssl_studio.cli_report import print_curve, print_report
from ssl_studio.core.evaluation.metrics import classification_report


def five_classes(subset: bool = False):
    """40/20/8/2/1 items, the two rarest never recognised; or (subset) items of b and c
    only, every one called d."""
    if subset:
        y = np.array([1] * 4 + [2] * 3)
        proba = np.full((7, 5), 0.05)
        proba[:, 3] = 0.8
    else:
        y = np.array([0] * 40 + [1] * 20 + [2] * 8 + [3] * 2 + [4] * 1)
        proba = np.full((len(y), 5), 0.05)
        proba[np.arange(len(y)), np.where(y >= 3, 0, y)] = 0.8
    return classification_report(y, proba, ["normal", "benign", "malign", "cyst", "rare"])


def test_multiclass_figures_are_titled_as_macro_and_listed_per_class(capsys):
    print_report("Test split", five_classes())
    out = capsys.readouterr().out
    assert "Sensitivity (macro)" in out and "ROC AUC (macro, one-vs-rest)" in out
    assert "\n  sensitivity " not in out and "roc_auc" not in out  # raw keys are gone
    assert "Sensitivity (recall)" in out and "Precision (PPV)" in out
    [cyst] = [ln for ln in out.splitlines() if ln.strip().startswith("cyst ") and "[" in ln]
    assert cyst.split()[1] == "2" and "0.000 [0.000, " in cyst and "n/a" in cyst
    assert "truth \\ predicted" in out
    [row] = [
        line for line in out.splitlines() if line.strip().startswith("benign ") and "]" not in line
    ]
    assert row.split()[1:] == ["0", "20", "0", "0", "0"]  # the confusion row, named
    assert "No scored items" not in out


def test_absent_classes_are_named_with_why_the_macro_figures_are_missing(capsys):
    print_report("Run 3, dataset ext", five_classes(subset=True))
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "No scored items" in line]
    assert "normal, cyst, rare (3 of the model's 5 classes)" in line
    assert "specificity (macro, mean one-vs-rest)" in line and "need items of every class" in line
    assert "Specificity (macro, mean one-vs-rest)" in out
    assert "0.800" not in out.split("Specificity")[1][:60]


def test_two_classes_print_ppv_and_npv_and_an_old_report_still_prints(capsys):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    p = np.clip(0.3 * y + rng.uniform(0, 0.7, 60), 0, 1)
    report = classification_report(y, np.c_[1 - p, p], ["normal", "pneumonia"], threshold=0.4)
    print_report("Test split", report)
    out = capsys.readouterr().out
    assert "PPV (precision of pneumonia)" in out and "NPV (precision of normal)" in out
    old = {
        k: v for k, v in report.items() if k not in ("per_class", "absent_classes", "ppv", "npv")
    }
    print_report("Test split", old)
    out = capsys.readouterr().out
    assert "per class" not in out and "PPV" not in out and "Accuracy" in out


def _curve(auc_scratch, classes):
    entry = {"mean": 0.7, "std": 0.1}
    model = {"accuracy": {"mean": 0.9, "std": 0.0}, "balanced_accuracy": entry}
    return {
        "classes": classes,
        "curve": [
            {
                "labels_per_class": 5,
                "protocol": "linear",
                "linear": {**model, "roc_auc": {"mean": 0.8, "std": 0.05}},
                "scratch": {**model, "roc_auc": {"mean": auc_scratch, "std": 0.05}},
            }
        ],
    }


def test_the_curve_says_macro_auc_and_falls_back_to_balanced_accuracy(capsys):
    print_curve(_curve(0.6, ["a", "b", "c"]))
    out = capsys.readouterr().out
    assert out.startswith("ROC AUC (macro, one-vs-rest), mean ± std")
    print_curve(_curve(0.6, ["no", "yes"]))
    assert capsys.readouterr().out.startswith("ROC AUC, mean ± std")
    print_curve(_curve(None, ["a", "b", "c"]))  # a point without an AUC: none for all
    out = capsys.readouterr().out
    assert out.startswith("Balanced accuracy, mean ± std") and "0.700 ± 0.100" in out
    assert "0.900" not in out  # not the plain accuracy


def test_the_note_comes_first_right_after_the_title(capsys):
    """A note (e.g. test items changed since the run was tested) is read before the
    figures it qualifies."""
    report = {**five_classes(), "note": "2 of 8 test items changed and 1 is gone since run 4"}
    print_report("Run 4, test split", report)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Run 4, test split (n = ")
    assert lines[1] == "  note: 2 of 8 test items changed and 1 is gone since run 4"


def test_tables_line_up_with_japanese_and_decomposed_class_names(capsys):
    """正常 takes four terminal columns and an NFD "é" one: padded by characters, the
    confusion matrix and the per-class rows came out shifted."""
    from ssl_studio.core.wording import shown_width

    y = np.array([0] * 6 + [1] * 6)
    proba = np.full((12, 2), 0.2)
    proba[np.arange(12), y] = 0.8
    print_report("Test split", classification_report(y, proba, ["正常", "be\u0301nin"]))
    out = capsys.readouterr().out.splitlines()
    top = out.index("  confusion matrix (rows: truth, columns: predicted):")
    matrix = out[top + 1 : top + 4]
    assert len({shown_width(line) for line in matrix}) == 1, matrix
    per_class = [ln for ln in out if ln.strip().startswith(("正常 ", "be\u0301nin ")) and "[" in ln]
    assert len(per_class) == 2 and len({shown_width(ln) for ln in per_class}) == 1, per_class
    figures = [ln for ln in out if ln.startswith("  ") and ln.endswith("1.000]") and "(" in ln]
    assert len({shown_width(ln) for ln in figures}) == 1, figures  # "recall of 正常" too
    assert shown_width("正常") == 4 and shown_width("be\u0301nin") == 5
