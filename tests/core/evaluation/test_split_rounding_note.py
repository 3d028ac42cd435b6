"""With one item per patient each class holds out its own share rounded to whole items:
with many classes the roundings add up (9 classes of 12 items, 20 % asked: 18 of 108,
17 %), and the split's note says why, as it does for whole patients; a share off by no
more than one item says nothing."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.evaluation.splits import group_ids, split_labeled


def _split(sizes: list[int], **options):
    y = np.repeat(np.arange(len(sizes)), sizes)
    return split_labeled(y, group_ids([None] * len(y)), **options)


def test_nine_classes_of_twelve_say_why_the_test_share_is_17_percent():
    split = _split([12] * 9, test_fraction=0.2)
    assert len(split.test) == 18
    assert split.note == (
        "The test share is 17% (18 of 108 items), not the 20% asked: each class holds out "
        "its own share rounded to whole items (2 of each class's 12), and over 9 classes "
        "the roundings add up."
    )


def test_classes_of_different_sizes_and_the_at_least_one_rule_are_named():
    split = _split([2, 2, 2, 2, 2, 40], test_fraction=0.2)
    assert len(split.test) == 13
    assert split.note == (
        "The test share is 26% (13 of 50 items), not the 20% asked: each class holds out "
        "its own share rounded to whole items (at least one, never all: 1 of 2 in 5 "
        "classes, 8 of 40 in 1 class), and over 6 classes the roundings add up."
    )


def test_a_share_within_one_item_says_nothing():
    assert _split([8, 8, 7], test_fraction=0.2).note is None  # 5 of 23 (4.6 asked)
    assert _split([40, 40], test_fraction=0.2).note is None
    assert _split([12, 13], test_fraction=0.2).note is None  # two classes: at most ~1 off


def test_the_validation_share_gets_its_own_note():
    split = _split([10] * 8, test_fraction=0.2, val_fraction=0.1)
    # of the 8 left in each class, 0.125 is 1 item: 8 of 64 (12.5 % asked of the rest)
    assert len(split.test) == 16 and len(split.val) == 8 and split.note is None
    # a share of all labeled items, as asked: 9 of 54 is within an item of 15 % (8.1)
    split = _split([6] * 9, test_fraction=0.25, val_fraction=0.15)
    assert len(split.val) == 9 and "The validation share" not in (split.note or "")
    split = _split([12] * 9, test_fraction=0.2, val_fraction=0.2)
    assert len(split.val) == 18 and split.note is not None
    assert split.note.endswith(
        "The validation share is 17% (18 of 108 items), not the 20% asked: each class "
        "holds out its own share rounded to whole items (2 of each class's 10 left), and "
        "over 9 classes the roundings add up."
    )


def test_a_validation_share_of_whole_patients_is_said_as_a_share_of_all_items():
    """4 patients of 10 items per class: 25 % is the least a validation share can hold
    (a patient of each class); said against the 10 % asked of all 80 items (it said
    "not the 13% asked", the share of what the test share had left)."""
    labels = np.array(["a"] * 40 + ["b"] * 40)
    groups = group_ids([f"p{i // 10}" for i in range(40)] + [f"q{i // 10}" for i in range(40)])
    split = split_labeled(labels, groups, test_fraction=0.25, val_fraction=0.1, seed=0)
    assert len(split.val) == 20 and split.note is not None
    assert split.note.endswith(
        "The validation share is 25% (20 of 80 items), not the 10% asked: patients are kept "
        "whole, and no set of them with every class on both sides comes nearer (the "
        "largest has 10 items, 12%)."
    )
