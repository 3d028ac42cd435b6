"""Two models on the same test items: the paired bootstrap of their difference, and the
one plain verdict of "did pretraining help" that the wizard and the model card share.

Comparing two separate 95 % intervals is weak: both carry the noise of which items
happened to be tested, which is the same for both models. Resampling the items once and
scoring both models on each resample (the same weights) cancels that shared noise, so
the interval of the difference (a - b) is the honest one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.bootstrap import interval, too_few_to_resample
from ssl_studio.core.evaluation.metrics import SCALARS, Bootstrapped, predict

LOWER_IS_BETTER = frozenset({"ece"})
# how a verdict that favours a model begins (verdict_caution reads it back)
FINE_TUNED_WINS, SCRATCH_WINS = "Pretraining", "The from-scratch model"
TENDENCY = 0.05  # a gap this large inside the uncertainty is called a tendency


def paired_difference_of(a: Bootstrapped, b: Bootstrapped) -> dict[str, Any]:
    """Model a minus model b on every metric of ``SCALARS``, each with the 2.5-97.5
    percentile interval of the difference over the resamples both share: ``a`` and
    ``b`` scored by ``metrics.bootstrapped`` on the same items in the same order with
    the same seed, n_boot and groups (so the same resamples; each model reads its own
    threshold), as the fine-tune job's reports scored them: no resample is computed
    again. Returns {"n", "resampled": "patients" | "items", "n_boot", "seed", "method",
    "patients" (where the items name patients: how many), and per metric {"value": Δ,
    "low", "high"}} (None where a model's metric is undefined; resamples where either
    is undefined are left out; the interval is widened to hold Δ itself if needed, as
    the report's are; "not_estimable" where both models are at 0 or 1 on every
    resample); with more than two classes also "never_predicted": {"fine_tuned": [...],
    "baseline": [...]}, the classes (indices) of the test items that model a, and model
    b, predicts for none of them (``verdict_caution`` says so)."""
    if (
        a.proba.shape != b.proba.shape
        or not np.array_equal(a.y, b.y)
        or (a.n_boot, a.seed, a.by_patient) != (b.n_boot, b.seed, b.by_patient)
    ):
        raise ConfigError("A paired comparison needs both models' probabilities of the same items.")
    n_boot, seed = a.n_boot, a.seed
    resampled = a.unit
    out: dict[str, Any] = {
        "n": int(len(a.y)),
        "resampled": resampled,
        "n_boot": n_boot,
        "seed": seed,
        "method": f"paired percentile bootstrap, {n_boot} resamples of {resampled} "
        f"(seed {seed}), the same resamples for both models",
    }
    if a.named_patients:  # (too_few_patients reads it: no verdict on a handful)
        out["patients"] = int(a.patients)
    for name in SCALARS:  # (a difference is no proportion: never a Wilson interval)
        pa, pb = a.point[name], b.point[name]
        value = None if pa is None or pb is None else pa - pb
        out[name] = interval(value, a.samples[name] - b.samples[name] if n_boot else None)
        if out[name]["low"] is not None and out[name]["low"] == out[name]["high"]:
            if pa == pb and pa in (0.0, 1.0):  # both at the bound on every resample
                out[name]["not_estimable"] = _at_the_bound(name, pa)
    if a.proba.shape[1] > 2:  # (a and b: the fine-tuned model and its baseline)
        out["never_predicted"] = {
            "fine_tuned": _never_predicted(a),
            "baseline": _never_predicted(b),
        }
    return out


def _never_predicted(scored: Bootstrapped) -> list[int]:
    """The classes the test items hold that ``scored``'s model predicts for none of them."""
    k = scored.proba.shape[1]
    called = np.bincount(predict(scored.proba, scored.threshold), minlength=k)
    tested = np.bincount(scored.y, minlength=k)
    return [int(c) for c in np.flatnonzero((tested > 0) & (called == 0))]


def _at_the_bound(name: str, value: float) -> str:
    """Why a difference has no interval, as ``difference_text`` says it: both models
    score ``value`` (0 or 1) on every resample, so the resamples say nothing of how
    far apart they would be on other items."""
    if name == "roc_auc" and value == 1.0:
        return "both rank every test pair correctly"
    return f"both score {value:.3f} on every resample"


def difference_text(entry: dict[str, Any] | None, few_patients: int | None = None) -> str | None:
    """A paired difference (``paired_difference_of``'s {"value", "low", "high"}) as the
    command line, the wizard and the card all write it: signed, so its direction reads
    at a glance, "+0.013 [-0.020, +0.046]" ("+0.013" without an interval); None when
    undefined. A difference with no spread over the resamples (both models perfect on
    every one) has no interval to give: "not estimable (both rank every test pair
    correctly)", not "+0.000 [+0.000, +0.000]". ``few_patients`` (``too_few_patients``):
    the interval resampled the items of a handful of patients and is too narrow, so the
    difference stands alone ("-0.162"; ``paired_how`` with the same count says why).
    Plain ASCII signs: a terminal's code page may lack the true minus."""
    if not entry or entry.get("value") is None:
        return None
    if entry.get("not_estimable"):
        return f"not estimable ({entry['not_estimable']})"
    if few_patients is not None:
        return f"{entry['value']:+.3f}"
    ci = "" if entry.get("low") is None else f" [{entry['low']:+.3f}, {entry['high']:+.3f}]"
    return f"{entry['value']:+.3f}{ci}"


def paired_how(paired: dict[str, Any] | None, few_patients: int | None = None) -> str:
    """How a paired difference was measured, in words every place shares: "paired
    bootstrap over the same test patients" (or items); with ``few_patients``
    (``too_few_patients``), why its interval is left out."""
    how = f"paired bootstrap over the same test {(paired or {}).get('resampled', 'items')}"
    if few_patients is None:
        return how
    return (
        f"{how}; interval withheld: {few_patients} test patients are too few to resample, "
        "and resampling their items makes it too narrow to trust"
    )


def too_few_patients(report: dict[str, Any] | None) -> int | None:
    """The test patients of a report (or of a paired comparison) when they are too few
    to tell two models apart: the items name patients, several items to a patient, and
    fewer than MIN_BOOT_PATIENTS of them. Resampling items then treats ten images of one
    patient as ten tests: two equal models on 8 patients x 10 images got "Pretraining
    helped" 31 % of the time, not 2.5 %. None otherwise, and for reports made before
    the patients were recorded ("patients" missing)."""
    patients, n = (report or {}).get("patients"), (report or {}).get("n")
    if patients is None or n is None or not too_few_to_resample(patients, n):
        return None
    return int(patients)


def single_run_sentence(resampled: str | None) -> str:
    """What a verdict rests on, a sentence of its own after it: the test sampling alone,
    not the training (one run of each model)."""
    return (
        f"This rests on one run of each model on these test {resampled or 'items'}; "
        "training again with other seeds or label draws may differ (the label-efficiency "
        "curve measures that)."
    )


def verdict(
    tuned: dict[str, Any],
    scratch: dict[str, Any],
    paired: dict[str, Any] | None = None,
    metric: str = "roc_auc",
    few_patients: int | None = None,
    evaluation: str | None = None,
) -> str:
    """A plain reading of the fine-tuned model against the from-scratch one on ``metric``.

    ``few_patients`` (``too_few_patients`` of the test report): no winner at all, only
    that this many test patients cannot tell the two apart and what to do about it
    (``evaluation``, the report's: under cross-validation every labeled patient is
    already scored, so only labeling more patients helps).

    With ``paired`` (this metric's {"value": Δ, "low", "high"} from ``paired_difference_of``,
    fine-tuned minus scratch): pretraining helped when the interval of Δ lies above 0,
    the from-scratch model did better when below, a gap of 0.05 or more otherwise is a
    tendency. Without it (runs made before paired figures), the two separate intervals
    ({"value", "low", "high"}): one is better only when each interval leaves out the
    other's value (a perfect 1.000 has a zero-width interval, so its own alone proves
    nothing). For a metric where lower is better (ECE) the directions are turned round.
    """
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    if few_patients is not None:
        remedy = (
            "label items of more patients (every labeled patient is already scored out-of-fold)"
            if "cross-validation" in (evaluation or "")
            else "put more patients in the test split, or use cross-validation"
        )
        return f"Too few test patients ({few_patients}) to tell the two models apart: {remedy}"
    if paired and paired.get("not_estimable"):  # (no interval to read a verdict from)
        return f"These test items cannot tell the two apart ({paired['not_estimable']})"
    if paired and paired.get("value") is not None and paired.get("low") is not None:
        gain = sign * paired["value"]
        low, high = sorted((sign * paired["low"], sign * paired["high"]))
        if low > 0:
            return f"{FINE_TUNED_WINS} helped"
        if high < 0:
            return f"{SCRATCH_WINS} did better"
        return _tendency(gain, "the interval of the difference includes 0")
    a, b = _oriented(tuned, sign), _oriented(scratch, sign)

    def above(x: dict[str, Any], y: dict[str, Any]) -> bool:
        if x.get("low") is None or y.get("high") is None:
            return False
        return x["low"] > y["value"] and y["high"] < x["value"]

    if above(a, b):
        return f"{FINE_TUNED_WINS} helped"
    if above(b, a):
        return f"{SCRATCH_WINS} did better"
    return _tendency(a["value"] - b["value"], "the intervals overlap")


def _tendency(gain: float, because: str) -> str:
    if gain >= TENDENCY:
        return f"{FINE_TUNED_WINS} looks better, but {because}"
    if gain <= -TENDENCY:
        return f"{SCRATCH_WINS} looks better, but {because}"
    return "The difference is within the uncertainty"


def _oriented(entry: dict[str, Any], sign: float) -> dict[str, Any]:
    """An entry with its figures times ``sign`` (-1: lower is better becomes higher)."""
    if sign > 0:
        return entry
    low, high = entry.get("low"), entry.get("high")
    return {
        "value": -entry["value"],
        "low": None if high is None else -high,
        "high": None if low is None else -low,
    }


def verdict_and_basis(
    a: dict[str, Any],
    b: dict[str, Any],
    paired: dict[str, Any] | None,
    key: str,
    report: dict[str, Any] | None,
    baseline: dict[str, Any] | None = None,
) -> tuple[str, str | None]:
    """The verdict on ``key`` (``a`` fine-tuned, ``b`` from scratch, ``paired`` their
    difference) for the test ``report`` (its patients, evaluation and resampling), and
    what it rests on as a sentence of its own: None on too few test patients, where no
    winner is named. With more than two classes a verdict on the macro AUC is followed
    by ``verdict_caution``'s sentence where it applies (``report``: its "classes" and
    "versus_baseline"; ``baseline``: the baseline's report, where the caller has it).
    The card, the wizard and the CLI say both."""
    report = report or {}
    few = too_few_patients(report)
    said = verdict(a, b, paired, key, few, report.get("evaluation"))
    if few is not None:
        return said, None
    if (caution := verdict_caution(said, key, report, baseline)) is not None:
        said = f"{said}. {caution}"
    return said, single_run_sentence(report.get("resampled"))


MACRO_AUC_BLIND = (
    "the macro AUC ranks each class against the rest and ignores which class is predicted"
)


def verdict_caution(
    said: str, key: str, report: dict[str, Any], baseline: dict[str, Any] | None = None
) -> str | None:
    """With more than two classes, a verdict ``said`` on the macro one-vs-rest AUC
    (``key`` "roc_auc") can favour a model whose predicted classes are worse: the AUC
    ranks each class against the rest, whichever class the argmax picks. A sentence
    saying so in plain words when the paired difference in balanced accuracy (the
    ``report``'s ``versus_baseline``, fine-tuned minus from scratch) points the other way
    from the model the verdict favours, or when either model never predicts a class of
    the test items (``never_predicted``; for a comparison stored before it was kept,
    read from the confusion matrices of ``report`` and of the ``baseline`` report where
    given); None otherwise, for two classes and for a verdict on another measure."""
    classes = report.get("classes") or []
    versus = report.get("versus_baseline") or {}
    if key != "roc_auc" or len(classes) <= 2 or not versus:
        return None
    favoured = (
        "fine-tuned"
        if said.startswith(FINE_TUNED_WINS)
        else "from-scratch"
        if said.startswith(SCRATCH_WINS)
        else None
    )
    gap = (versus.get("balanced_accuracy") or {}).get("value")
    parts, last = [], None  # (last: whom the sentence spoke of, said "it" again)
    if favoured and gap is not None and (gap < 0 if favoured == "fine-tuned" else gap > 0):
        parts.append(
            f"the {favoured} model's balanced accuracy is lower ({gap:+.3f}, fine-tuned "
            "minus from scratch)"
        )
        last = favoured
    never = versus.get("never_predicted") or {
        "fine_tuned": _uncalled(report),
        "baseline": _uncalled(baseline),
    }
    for who, held in (("fine-tuned", "fine_tuned"), ("from-scratch", "baseline")):
        if names := [classes[c] for c in never.get(held) or [] if c < len(classes)]:
            subject = "it" if who == last else f"the {who} model"
            parts.append(f"{subject} never predicts {', '.join(names)}")
            last = who
    if not parts:
        return None
    return f"However, {', and '.join(parts)}: {MACRO_AUC_BLIND}"


def _uncalled(report: dict[str, Any] | None) -> list[int]:
    """The classes a report's items hold that its model predicts for none of them, from
    its confusion matrix (rows: the truth); [] without one."""
    confusion = np.asarray((report or {}).get("confusion") or [], np.int64)
    if confusion.ndim != 2 or not confusion.size:
        return []
    return [int(c) for c in np.flatnonzero((confusion.sum(1) > 0) & (confusion.sum(0) == 0))]
