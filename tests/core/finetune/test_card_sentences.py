"""Sentences of the model card that interpret figures: they say what the numbers show."""

from __future__ import annotations

from ssl_studio.core.export.card import pretraining_settings
from ssl_studio.core.export.card_markdown import _encoder_origin
from ssl_studio.core.export.card_provenance import provenance_lines
from ssl_studio.core.export.card_text import baseline_comparison, pretraining_sentence

ONE_RUN = (  # a sentence of its own after the verdict's
    ". This rests on one run of each model on these test items; training again with other "
    "seeds or label draws may differ (the label-efficiency curve measures that)."
)


def metric(value, low, high):
    return {"value": value, "low": low, "high": high}


def test_the_baseline_comparison_names_the_higher_one_first_and_whether_it_is_chance():
    model = {"roc_auc": metric(0.968, 0.926, 0.996)}
    baseline = {"roc_auc": metric(0.981, 0.955, 0.997)}
    assert baseline_comparison(model, baseline) == (
        "On ROC AUC, the baseline scores higher (0.981 against 0.968); from their separate "
        "95 % intervals: the difference is within the uncertainty" + ONE_RUN
    )
    apart = {"roc_auc": metric(0.80, 0.70, 0.88)}
    assert baseline_comparison(model, apart).startswith(
        "On ROC AUC, this model scores higher (0.968 against 0.800); from their separate "
        "95 % intervals: pretraining helped"
    )
    perfect = {"roc_auc": metric(1.0, 1.0, 1.0)}  # every resample 1.0: no width
    assert baseline_comparison(perfect, baseline) == (
        "On ROC AUC, this model scores higher (1.000 against 0.981); an interval of no "
        "width (every resample scored the same) cannot say whether the difference is chance."
    )
    paired = {"resampled": "items", "roc_auc": metric(0.013, -0.020, 0.046)}
    assert baseline_comparison({**model, "versus_baseline": paired}, baseline) == (
        "ROC AUC: this model minus the baseline +0.013 [-0.020, +0.046] (paired "
        "bootstrap over the same test items): the difference is within the uncertainty" + ONE_RUN
    )
    # separate intervals that overlap, a paired one above 0: the paired one decides
    paired["roc_auc"] = metric(-0.013, -0.020, -0.006)
    assert baseline_comparison({**model, "versus_baseline": paired}, baseline).endswith(
        "[-0.020, -0.006] (paired bootstrap over the same test items): the "
        "from-scratch model did better" + ONE_RUN
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
        "The encoder was pretrained on this dataset, which has changed since: 70 of the 80 "
        "test items are in it now, and how many of them it held then is not known"
    )
    none = {**seen, "in_pretraining": 0}
    assert pretraining_sentence({"test_items_in_pretraining": none}) == (
        "None of the 80 test items was among the 400 unlabeled items the encoder was pretrained on."
    )
    assert pretraining_sentence(None) == pretraining_sentence({}) == ""


def test_the_pretraining_line_of_a_run_from_the_first_schema_leaves_out_what_it_lacks():
    """Runs of the first schema have no device or process count (NULL): the card said
    'on None', or failed comparing None with 1."""
    source = {
        "kind": "pretrain",
        "task": "simclr",
        "config": {"image_size": 64, "train": {"optimizer": "adamw", "lr": 0.002, "seed": 0}},
        "summary": {"steps": 300, "batch_size": 128},
        "device": None,
        "world_size": None,
    }
    training = {"pretext_task": "simclr", "pretraining_run": 1}
    said = _encoder_origin({**training, "pretraining": pretraining_settings(source)})
    assert said == (
        "pretrained without labels with `simclr` (SSL Studio run 1: 300 steps of batch 128 "
        "at 64 px, adamw at learning rate 0.002, seed 0; augmentations: the defaults for "
        "the modality)"
    )
    # a classifier made from the step-5 checkpoint of a run resumed to 300 steps since
    later = pretraining_settings(source, {"source_step": 5})
    assert _encoder_origin({**training, "pretraining": later}).startswith(
        "pretrained without labels with `simclr` (SSL Studio run 1: 5 steps of batch 128"
    )
    two = {**source, "world_size": 2, "device": "2 x GPU"}
    said = _encoder_origin({**training, "pretraining": pretraining_settings(two)})
    assert "batch 128 at 64 px in each of 2 processes" in said
    # the device: once, on the line that gives its precision too (card_provenance.py)
    lines = provenance_lines({**training, "pretraining": pretraining_settings(two)})
    assert (
        "2 x GPU" not in said and "- Pretraining ran on: 2 x GPU, precision not recorded." in lines
    )


def test_the_card_lists_the_augmentation_a_run_had_where_it_was_recorded():
    from ssl_studio.core.export.card_markdown import _augment_line

    source = {
        "kind": "pretrain",
        "task": "simclr",
        "config": {"in_effect": {"augment": {"crop_scale": [0.35, 1.0], "hflip": False}}},
        "summary": {"steps": 300},
    }
    training = {"pretraining": pretraining_settings(source)}
    assert _augment_line(training) == [
        "- Pretraining augmentation in effect: crop_scale (0.35, 1.0), hflip False."
    ]
    older = {**source, "config": {}}  # runs before the values were recorded: no line
    assert _augment_line({"pretraining": pretraining_settings(older)}) == []
