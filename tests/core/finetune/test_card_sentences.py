"""Sentences of the model card that interpret figures: they say what the numbers show."""

from __future__ import annotations

from ssl_studio.core.export.card_text import baseline_comparison, pretraining_sentence


def metric(value, low, high):
    return {"value": value, "low": low, "high": high}


def test_the_baseline_comparison_names_the_higher_one_first_and_whether_it_is_chance():
    model = {"roc_auc": metric(0.968, 0.926, 0.996)}
    baseline = {"roc_auc": metric(0.981, 0.955, 0.997)}
    assert baseline_comparison(model, baseline) == (
        "On ROC AUC, the baseline scores higher (0.981 against 0.968); their 95 % "
        "intervals overlap, so the difference may be chance."
    )
    apart = {"roc_auc": metric(0.80, 0.70, 0.88)}
    assert baseline_comparison(model, apart).startswith(
        "On ROC AUC, this model scores higher (0.968 against 0.800); their 95 % intervals "
        "do not overlap"
    )
    multi = {"roc_auc": metric(None, None, None), "balanced_accuracy": metric(0.5, 0.4, 0.6)}
    assert "balanced accuracy" in baseline_comparison(multi, multi)
    assert baseline_comparison(model, None) == ""


def test_the_pretraining_sentence_is_exact_only_while_the_dataset_is_unchanged():
    seen = {"test_items": 80, "in_pretraining": 80, "pretraining_items": 400, "exact": True}
    assert pretraining_sentence({"test_items_in_pretraining": seen}).startswith(
        "All of the 80 test items were among the 400 unlabeled items the encoder was "
        "pretrained on (without their labels)"
    )
    changed = {**seen, "in_pretraining": 70, "exact": False}
    assert pretraining_sentence({"test_items_in_pretraining": changed}).startswith(
        "The pretraining dataset has changed since the encoder was pretrained: up to 70 of "
        "the 80 test items may have been among"
    )
    none = {**seen, "in_pretraining": 0}
    assert pretraining_sentence({"test_items_in_pretraining": none}) == (
        "None of the 80 test items was among the 400 unlabeled items the encoder was pretrained on."
    )
    assert pretraining_sentence(None) == pretraining_sentence({}) == ""
