"""How many independent tests a report's figure counts: the size of the Wilson score
interval a figure gets when every bootstrap resample gives it the same 0 or 1
(bootstrap.interval), so that no report, card or window shows [1.000, 1.000].

Counted in patients where items share patients (one patient per item otherwise), as
``class_patients`` [K] (the patients among each class's items) and ``rest_patients``
[K] (among the items of the other classes) count them (bootstrap.class_patients).
"""

from __future__ import annotations

import numpy as np

# the figures that are proportions at 0 or 1 (or, for the macro means, 0 or 1 exactly
# when every item is right or every item wrong) and so get a Wilson floor
FLOORED = ("accuracy", "balanced_accuracy", "sensitivity", "specificity", "f1")


def proportion_size(
    name: str, class_patients: np.ndarray, rest_patients: np.ndarray, patients: int
) -> int:
    """The tests behind figure ``name`` (``patients`` in all); 0: no Wilson interval
    (the ECE; the ROC AUC has its own floor, bootstrap.auc_interval).

    * accuracy: every patient.
    * balanced accuracy: the smallest class's patients (the mean of the class recalls
      weighs the rarest class as much as the others).
    * two classes: sensitivity the positive class's patients, specificity the negative
      class's (each is that class's recall); the F1 (of the positive class) is 1 exactly
      when every item is right: the smaller class's, as the balanced accuracy.
    * more than two classes (defined only when every class is present):
      - macro sensitivity is the mean of the class recalls, the balanced accuracy under
        another name: the same size, so the one figure gets the one interval;
      - macro specificity is the mean over classes of the share of the *other* classes'
        items not called that class: each of those is a proportion of that class's rest,
        so the smallest rest (``rest_patients``), as the binary specificity counts the
        negatives;
      - macro F1 weighs every class the same however few its items, and it is 1 exactly
        when every item is right and 0 exactly when none is, the very events at which the
        balanced accuracy (and macro sensitivity) is 1 or 0: the smallest class's patients,
        so the same certainty gets the same interval (not all patients, as accuracy, which
        would let the common classes hide how few items the rarest class has).
    """
    present = class_patients[class_patients > 0]
    smallest = int(present.min()) if len(present) else 0
    size = {"accuracy": int(patients), "balanced_accuracy": smallest}
    if len(class_patients) == 2:  # (F1, the positive class's: 1 exactly when every item
        # is right, which needs every positive found and every negative left: the smaller)
        size |= {
            "sensitivity": int(class_patients[1]),
            "specificity": int(class_patients[0]),
            "f1": smallest,
        }
    else:
        rest = int(rest_patients.min()) if len(rest_patients) else 0
        size |= {"sensitivity": smallest, "specificity": rest, "f1": smallest}
    return size.get(name, 0)
