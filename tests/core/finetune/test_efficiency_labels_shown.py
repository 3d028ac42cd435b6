"""A label-efficiency point whose classes trained on different numbers of labels (a class
with fewer than k) is named by what they had, "1 to 3", in every table (the command
line, the wizard, the card), never by a rounded mean no class had (2.5 was "2"); the
chart places it at the mean, to one decimal."""

from __future__ import annotations

import numpy as np

from ssl_studio.cli_report import print_curve
from ssl_studio.core.export.card_efficiency import efficiency_markdown
from ssl_studio.core.finetune.efficiency import _listed, _per_class_figure, labels_text

FIGURE = {"mean": 0.9, "std": 0.0, "seeds": [{"value": 0.9, "low": 0.8, "high": 1.0}]}


def _point(k, available):
    """A curve point at ``k`` of classes with ``available`` training labels (as
    efficiency.label_efficiency records it)."""
    have = np.array(list(available.values()))
    return {
        "k": k,
        "labels_per_class": _per_class_figure(k, have),
        "per_class": {c: int(min(k, n) if k else n) for c, n in available.items()},
        "protocol": "knn",
        "knn": {"roc_auc": FIGURE},
        "scratch": {"roc_auc": FIGURE},
    }


def test_uneven_classes_are_shown_as_the_fewest_to_the_most():
    uneven = _point(3, {"rare": 1, "a": 3, "b": 3, "c": 3})
    assert uneven["labels_per_class"] == 2.5  # not round(2.5) = 2
    assert labels_text(uneven) == "1 to 3"
    even = _point(3, {"rare": 5, "a": 7})
    assert even["labels_per_class"] == 3 and labels_text(even) == "3"
    every = _point(None, {"a": 184, "b": 24})
    assert every["labels_per_class"] == 104 and labels_text(every) == "24 to 184"
    assert labels_text({"labels_per_class": 7}) == "7"  # stored before per-class counts


def test_the_cli_and_the_card_tables_show_it(capsys):
    curve = [_point(1, {"rare": 1, "a": 1}), _point(3, {"rare": 1, "a": 3, "b": 3})]
    result = {"classes": ["rare", "a", "b"], "curve": curve, "seeds": [0], "status": "done"}
    print_curve(result)
    rows = capsys.readouterr().out.splitlines()[2:]
    assert rows[0].split()[0] == "1" and rows[1].split()[:3] == ["1", "to", "3"]
    listed = _listed({"id": 7, "status": "done"}, {**result, "test_items": 9})
    assert [p["labels"] for p in listed["points"]] == ["1", "1 to 3"]
    card = "\n".join(efficiency_markdown([listed]))
    assert "| 1 to 3 | knn |" in card and "| 2 |" not in card
