"""The reliability (calibration) table of a binary model: its held-out items grouped by
the predicted probability of the positive class (class 1) in equal-width bins, each bin's
mean predicted probability beside the share of its items that are positive, with that
share's 95 % Wilson interval. A calibrated model's two columns agree; the interval says
how little a bin of few items can show. Part of every binary classification report
(``reliability``), so the model card can print it without the predictions."""

from __future__ import annotations

from typing import Any

import numpy as np

from ssl_studio.core.evaluation.bootstrap import distinct, patient_ids, wilson

RELIABILITY_BINS = 5  # few test items: 10 bins (as the ECE's) would leave most nearly empty


def reliability_table(
    y: np.ndarray,
    p_positive: np.ndarray,
    bins: int = RELIABILITY_BINS,
    units: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """One row per non-empty bin of ``p_positive`` [N] (bins of width 1 / ``bins``, the
    last one closed: 1.0 falls in it): {"low", "high" (the bin's edges), "n",
    "mean_predicted", "observed": {"value", "low", "high"}} where observed is the share of
    its items with ``y`` [N] == 1 (0/1 labels) and its Wilson interval, of as many tests as
    the bin's items come from patients (``units`` [N]: the patient of each item,
    bootstrap.patient_ids; None: one patient per item), as every other Wilson interval
    of a report counts patients."""
    y = np.asarray(y, np.int64)
    p = np.asarray(p_positive, np.float64)
    units = patient_ids(len(y), None) if units is None else np.asarray(units)
    which = np.clip((p * bins).astype(np.int64), 0, bins - 1)
    rows = []
    for b in range(bins):
        chosen = which == b
        n = int(chosen.sum())
        if not n:
            continue
        share = float((y[chosen] == 1).mean())
        low, high = wilson(share, distinct(units, chosen))
        rows.append(
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "n": n,
                "mean_predicted": float(p[chosen].mean()),
                "observed": {"value": share, "low": min(low, share), "high": max(high, share)},
            }
        )
    return rows
