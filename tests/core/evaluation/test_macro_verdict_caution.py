"""With more than two classes the verdict against the baseline reads the macro
one-vs-rest AUC, which ranks each class against the rest and ignores which class the
argmax predicts: where the balanced accuracy points the other way, or a model never
predicts a class of the test items, the verdict says so in one more sentence, in the
CLI, the card and the wizard alike (all read verdict_and_basis). Two classes unchanged."""

from __future__ import annotations

import numpy as np

from ssl_studio.cli_report import _print_paired
from ssl_studio.core.evaluation.comparison import (
    MACRO_AUC_BLIND,
    paired_difference_of,
    verdict_and_basis,
    verdict_caution,
)
from ssl_studio.core.evaluation.metrics import bootstrapped, report_of
from ssl_studio.core.export.card_text import baseline_comparison

CLASSES = ["circle", "square", "stripes"]


def _scored():
    """(fine-tuned, baseline) on 15 items of 3 classes: the baseline ranks every class
    perfectly one-vs-rest (macro AUC 1.000) but never predicts circle; the fine-tuned
    model predicts every class, with a few errors (macro AUC below 1)."""
    y = np.repeat(np.arange(3), 5)
    base = np.where(
        (y == 0)[:, None],
        [0.3, 0.4, 0.3],  # circle items: circle scores highest of all items, argmax square
        np.where((y == 1)[:, None], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]),
    )
    tuned = np.eye(3)[y] * 0.7 + 0.1
    tuned[[0, 5, 10]] = tuned[[5, 10, 0]]  # one item of each class called the next one
    a = bootstrapped(y, tuned, n_boot=200, seed=0)
    b = bootstrapped(y, base, n_boot=200, seed=0)
    return a, b


def test_a_baseline_that_never_predicts_a_class_is_named_with_the_verdict():
    a, b = _scored()
    paired = paired_difference_of(a, b)
    assert paired["never_predicted"] == {"fine_tuned": [], "baseline": [0]}
    test = {**report_of(a, CLASSES), "versus_baseline": paired}
    base = report_of(b, CLASSES)
    assert base["roc_auc"]["value"] == 1.0 > test["roc_auc"]["value"]
    said, basis = verdict_and_basis(
        test["roc_auc"], base["roc_auc"], paired["roc_auc"], "roc_auc", test
    )
    # its balanced accuracy is lower too (circle's recall is 0)
    gap = paired["balanced_accuracy"]["value"]
    caution = (
        f"However, the from-scratch model's balanced accuracy is lower ({gap:+.3f}, "
        f"fine-tuned minus from scratch), and it never predicts circle: {MACRO_AUC_BLIND}"
    )
    assert gap > 0 and said.endswith(f". {caution}") and basis is not None
    # the card reads the same sentence
    card = baseline_comparison(test, base)
    assert caution in card and card.count(MACRO_AUC_BLIND) == 1


def test_the_cli_prints_the_caution_under_its_verdict(capsys):
    a, b = _scored()
    paired = {"baseline_run_id": 3, **paired_difference_of(a, b)}
    test = {**report_of(a, CLASSES), "versus_baseline": paired}
    _print_paired(paired, CLASSES, test)
    out = capsys.readouterr().out
    assert "never predicts circle: the macro AUC ranks each class" in out


def test_a_balanced_accuracy_pointing_the_other_way_is_said():
    report = {
        "classes": CLASSES,
        "versus_baseline": {"balanced_accuracy": {"value": -0.05}, "never_predicted": {}},
    }
    said = verdict_caution("Pretraining helped", "roc_auc", report)
    assert said == (
        "However, the fine-tuned model's balanced accuracy is lower (-0.050, fine-tuned minus "
        f"from scratch): {MACRO_AUC_BLIND}"
    )
    report["versus_baseline"]["balanced_accuracy"]["value"] = 0.05
    assert "from-scratch model's balanced accuracy is lower (+0.050" in verdict_caution(
        "The from-scratch model looks better, but the interval of the difference includes 0",
        "roc_auc",
        report,
    )
    # the same direction, no verdict named, or another measure: nothing to add
    assert verdict_caution("Pretraining helped", "roc_auc", report) is None
    assert verdict_caution("The difference is within the uncertainty", "roc_auc", report) is None
    assert verdict_caution("Pretraining helped", "balanced_accuracy", report) is None


def test_two_classes_get_no_caution():
    y = np.repeat([0, 1], 10)
    good = np.eye(2)[y] * 0.8 + 0.1
    one_sided = np.tile([0.4, 0.6], (20, 1))  # always calls class 1
    a, b = bootstrapped(y, good, n_boot=100), bootstrapped(y, one_sided, n_boot=100)
    paired = paired_difference_of(a, b)
    assert "never_predicted" not in paired  # (the binary comparison keeps its keys)
    test = {**report_of(a, ["n", "p"]), "versus_baseline": paired}
    said, _ = verdict_and_basis(test["roc_auc"], {}, paired["roc_auc"], "roc_auc", test)
    assert said == "Pretraining helped"


def test_a_comparison_stored_before_reads_the_confusion_matrices():
    a, b = _scored()
    paired = paired_difference_of(a, b)
    del paired["never_predicted"]  # (as stored by an earlier version)
    test = {**report_of(a, CLASSES), "versus_baseline": paired}
    base = report_of(b, CLASSES)
    card = baseline_comparison(test, base)  # the card has the baseline's report
    assert "and it never predicts circle" in card
    said, _ = verdict_and_basis(
        test["roc_auc"], base["roc_auc"], paired["roc_auc"], "roc_auc", test
    )
    assert "never predicts" not in said and "balanced accuracy is lower" in said
