"""model_card.json states the comparison that predicts the positive class
(``positive_when``), as ssl-studio predict makes it, equality included: a chosen
threshold counts a probability equal to it as positive; the default takes the more
probable class, a tie going to the first (negative) class."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from tiny_exports import tiny_export

from ssl_studio.core.export.predict_job import _run
from ssl_studio.core.export.self_description import (
    AT_LEAST_THRESHOLD,
    MORE_PROBABLE,
    decision,
)

CLASSES = ["normal", "pneumonia"]


class _Session:
    """Stands in for ONNX Runtime: gives the probabilities it was made with."""

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = np.array(rows, dtype=np.float32)

    def run(self, _names, feeds):
        return [self.rows[: len(feeds["x"])]]


def _predicted(card, rows):
    """What predict answers for probability rows ``rows`` under ``card`` (predict_job's
    reading of the card: the threshold only when it is not the default)."""
    threshold = None if card.get("threshold_is_default") else card.get("threshold")
    items = [
        SimpleNamespace(x=np.zeros((1, 2, 2), np.float32), path="f", file=0, index=0, note="")
        for _ in rows
    ]
    # (_run's rows end with predicted, a status, the error and the note)
    return [row[-4] for row in _run(_Session(rows), items, "image", CLASSES, threshold)]


def _by_card(card, p):
    """The class model_card.json's structured fields give for probabilities ``p``."""
    if card["positive_when"] == AT_LEAST_THRESHOLD:
        return CLASSES[int(p[1] >= np.float32(card["threshold"]))]
    assert card["positive_when"] == MORE_PROBABLE
    return CLASSES[int(p[1] > p[0])]


@pytest.mark.parametrize(
    ("chosen", "rows"),
    [
        (0.25, [[0.75, 0.25], [0.75000006, 0.24999999], [0.7, 0.3]]),  # chosen: p == t
        (None, [[0.5, 0.5], [0.49999997, 0.5], [0.5, 0.49999997]]),  # default: p == 0.5
    ],
)
def test_the_structured_comparison_is_predict_s_at_the_threshold(chosen, rows):
    card = {"classes": CLASSES, **decision(CLASSES, chosen)}
    want = [_by_card(card, np.array(r, np.float32)) for r in rows]
    assert _predicted(card, rows) == want
    if chosen is None:  # a tie to the first class; 0.5 is positive beside 0.49999997
        assert want == ["normal", "pneumonia", "normal"]
    else:  # equal to the threshold: positive
        assert want[0] == "pneumonia" and want[1] == "normal"


def test_more_than_two_classes_have_no_comparison():
    assert decision(["a", "b", "c"], None)["positive_when"] is None


@pytest.mark.parametrize(("chosen", "field"), [(0.25, AT_LEAST_THRESHOLD), (None, MORE_PROBABLE)])
def test_the_exported_card_says_the_comparison_in_both_forms(chosen, field, tmp_path):
    tiny_export("image", tmp_path / "m", threshold=chosen)
    card = json.loads((tmp_path / "m" / "model_card.json").read_text(encoding="utf-8"))
    assert card["positive_when"] == field
    assert list(card).index("positive_when") == list(card).index("threshold") + 2
    text = (tmp_path / "m" / "MODEL_CARD.md").read_text(encoding="utf-8")
    if chosen is None:
        assert "its probability is greater than that of normal" in text
        assert "p(pneumonia) > p(normal)" in card["decision_rule"]
    else:
        assert "at least 0.250 (equal to the threshold included)" in text
