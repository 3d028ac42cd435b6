"""Parts of the model card as sentences and Markdown tables for people (MODEL_CARD.md, the
app's card view, the export command's summary), never raw Python dicts. Each part reads
cards written by earlier versions too (a missing field is left out, not guessed)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.calibration import ECE_BIAS
from ssl_studio.core.evaluation.comparison import (
    difference_text,
    paired_how,
    too_few_patients,
    verdict_and_basis,
)
from ssl_studio.core.evaluation.metrics import figure_text
from ssl_studio.core.evaluation.threshold import rounded_threshold
from ssl_studio.core.export.card_about import markdown_text

PROTOCOL_WORDS = {
    "knn": "k nearest neighbours on the frozen pretrained encoder",
    "linear": "a linear probe, a logistic regression on the frozen pretrained encoder",
    "partial": "partial fine-tuning of the encoder's last block and a head",
    "full": "full fine-tuning of the whole network",
    "scratch": "the same network trained from random weights, without pretraining",
}


def decision_sentence(card: dict[str, Any]) -> str:
    """How the predicted class follows from the probabilities; for a chosen threshold,
    what it reached on the validation items, what the test items show, and (few
    validation positives or negatives) that the two may differ."""
    positive = card.get("positive_class")
    if not positive:
        return "The predicted class is the most probable one."
    positive = markdown_text(str(positive))  # (a class name: literal Markdown)
    threshold = card.get("threshold")
    if threshold is None or card.get("threshold_is_default"):  # (null: cards before 0.5)
        other = [str(c) for c in card.get("classes") or [] if c != card.get("positive_class")]
        other = markdown_text(other[0]) if len(other) == 1 else "the other class"
        return (
            f"Positive class: {positive}; it is predicted when its probability is greater "
            f"than that of {other} (the default threshold: the more probable class, so a "
            f"probability above 0.5; a tie of exactly 0.5 goes to {other})."
        )
    choice = card.get("threshold_choice") or {}
    n = choice.get("val_items")
    said = (
        f"Positive class: {positive}; it is predicted when its probability is at least "
        f"{rounded_threshold(threshold)} (equal to the threshold included). The threshold "
        f"was chosen on {f'{n} ' if n else ''}validation items (never on the test items)"
        f"{_threshold_method(choice)}; its exact value is in model_card.json."
    )
    test = ((card.get("metrics") or {}).get("test") or {}).get("sensitivity")
    if (test or {}).get("value") is not None:
        said += f" On the test items its sensitivity is {figure_text(test)}."
    return said + (f" {choice['note']}" if choice.get("note") else "")


def _threshold_method(choice: dict[str, Any]) -> str:
    """How the rule picked the threshold, said of the validation items it saw: it
    reached its aim there, which promises nothing for other items."""
    method = choice.get("method")
    counted = choice.get("val_counted", "items")
    positives, negatives = choice.get("val_positives"), choice.get("val_negatives")
    if method == "youden":
        on = f"{positives} positive and {negatives} negative {counted}; " if positives else ""
        return f", where sensitivity + specificity was largest on them ({on}Youden's J)"
    if method and method.startswith("sensitivity:"):
        on = f"the {positives} validation positive {counted}" if positives else "them"
        return (
            f" as the highest one that reached a sensitivity of {method.partition(':')[2]} "
            f"or more on {on}"
        )
    return ""


def class_names(classes: list[str]) -> list[str]:
    """Class names for a list in a Markdown sentence, escaped (a class from a received
    card may hold a link or an image): quoted when one holds a comma or semicolon
    ("x, y" would read as two classes), as they are otherwise."""
    names = [markdown_text(str(c)) for c in classes]
    if any("," in str(c) or ";" in str(c) for c in classes):
        return [f"“{c}”" for c in names]
    return names


def choices_sentence(
    protocol: str | None, chosen: dict[str, Any], counts: dict[str, int] | None = None
) -> str:
    """What the protocol chose, in words; only what applies to ``protocol``. ``counts``:
    training labels per class (a class with one label leaves C at its default)."""
    k, c, steps = chosen.get("k"), chosen.get("C"), chosen.get("steps")
    if counts and min(counts.values()) < 2:
        cross_validated = "the default: a class had one training label, too few to cross-validate"
    elif counts:
        cross_validated = "chosen by cross-validation on the training labels"
    else:  # cards before the counts were kept
        cross_validated = (
            "chosen by cross-validation on the training labels when every class has at least two"
        )
    if protocol == "knn" and k is not None:
        return (
            f"Each input takes the class of its k = {k} nearest training labels in the "
            "embedding, each neighbour's vote weighted by exp(cosine similarity / 0.07) (k "
            "chosen by the leave-one-out accuracy of that vote on the training labels)."
        )
    if protocol == "linear" and c is not None:
        return (
            f"C = {c:g} is the inverse regularisation strength of the logistic regression "
            f"(smaller C keeps it simpler), {cross_validated}."
        )
    trained = f"trained for {steps} steps" if steps is not None else "trained"
    if protocol in ("partial", "full") and c is not None:
        return (
            f"The head started from a logistic regression on the embedding with C = {c:g} "
            f"({cross_validated}), then was {trained} with the encoder."
        )
    if protocol == "scratch" and steps is not None:
        return f"The network was {trained} from random weights."
    return ""


def fingerprint_sentence(fingerprint: dict[str, Any] | None, modality: str) -> str:
    """'Trained on 320 labeled PNG images (fingerprint ...)'."""
    if not fingerprint:
        return "Training data: not recorded."
    noun = "images" if modality == "image" else "recordings"
    kinds = fingerprint.get("modalities") or {}
    if len(kinds) == 1:
        what = f"{fingerprint.get('items')} labeled {next(iter(kinds))} {noun}"
    else:
        parts = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
        what = f"{fingerprint.get('items')} labeled {noun}" + (f" ({parts})" if parts else "")
    if fingerprint.get("content"):
        how = (
            "a hash of the decoded data of the items used, in no particular order: the same "
            "data gives the same fingerprint in any project, other data another; no "
            "identifiers"
        )
    else:  # recorded before items had content hashes (or by an older SSL Studio)
        how = (
            "a hash of which items of this project were used, not of their content: it "
            "tells training sets of this project apart, but not the same data imported "
            "elsewhere from other data; no identifiers"
        )
    digest = fingerprint.get("sha256_128") or fingerprint.get("sha256")  # (earlier cards)
    return (
        f"Trained on {what}; data fingerprint {digest} ({how}; the first 128 bits of a "
        "SHA-256 digest)."
    )


def parity_sentence(parity: dict[str, Any]) -> str:
    """How closely the exported programs reproduce PyTorch."""
    names = {"torchscript_max_difference": "TorchScript", "onnx_max_difference": "ONNX"}
    found = {names[k]: v for k, v in parity.items() if k in names}
    if not found:
        return "Parity: no program was exported (weights only), so none was checked."
    inputs = f"{parity['inputs']} inputs in " if parity.get("inputs") else ""
    largest = ", ".join(
        f"{name} {value:.1e}" if value else f"{name} 0" for name, value in found.items()
    )
    return (
        f"Parity: the {' and '.join(found)} program{'s' if len(found) > 1 else ''} gave the "
        f"PyTorch model's probabilities within {parity.get('tolerance', 1e-4):.0e} on "
        f"{inputs}{parity.get('batches')} batches (synthetic and real held-out inputs); "
        f"largest difference: {largest}."
    )


def versions_rows(versions: dict[str, Any] | None) -> list[str]:
    """The software the model was made with, as a Markdown table."""
    if not versions:
        return ["(not recorded)"]
    return ["| software | version |", "|---|---|"] + [
        f"| {name} | {version} |" for name, version in versions.items()
    ]


def table_cell(text: str) -> str:
    """A text for a cell of a Markdown table, escaped as markdown_text escapes (a ``|`` in
    a class named "benign|x" would end the cell; ``<img ...>`` or ``[x](url)`` would show
    an image or a link), on one line."""
    return markdown_text(" ".join(str(text).splitlines()))


def confusion_rows(confusion: list[list[int]] | None, classes: list[str]) -> list[str]:
    """The confusion matrix as a Markdown table (rows: truth, columns: predicted)."""
    if not confusion:
        return []
    return [
        "| truth \\ predicted | " + " | ".join(map(table_cell, classes)) + " |",
        "|---" * (len(classes) + 1) + "|",
        *[
            f"| {table_cell(name)} | " + " | ".join(str(v) for v in row) + " |"
            for name, row in zip(classes, confusion, strict=False)
        ],
    ]


ECE_DEFINITION = (
    "Calibration error (ECE): the most probable class's probability against how often it "
    "is right, in 10 equal-width bins, weighted by the share of items in each (Guo et al. "
    "2017); it reads the probabilities, not the threshold. " + ECE_BIAS
)


def class_counts(report: dict[str, Any]) -> str:
    """`` (normal 40, pneumonia 40; prevalence of pneumonia 50 %)`` from the confusion
    matrix's rows (the truth), or "" when the report has none. A report whose items name
    patients (``patients``, ``class_patients``) says how many, in all and per class:
    `` from 20 patients (normal: 100 items of 10 patients, ...; prevalence ...)``."""
    confusion, classes = report.get("confusion"), report.get("classes") or []
    if not confusion or len(confusion) != len(classes):
        return ""
    counts = [sum(row) for row in confusion]
    names = class_names(classes)
    per, patients = report.get("class_patients"), report.get("patients")
    if patients is not None and per is not None and len(per) == len(classes):
        rows = zip(names, counts, per, strict=True)
        parts = ", ".join(
            f"{name}: {_count(n, 'item')} of {_count(p, 'patient')}" for name, n, p in rows
        )
    else:
        patients = None
        parts = ", ".join(f"{name} {n}" for name, n in zip(names, counts, strict=True))
    if (share := prevalence(report)) is not None:
        parts += f"; prevalence of {names[1]} {share:.0f} %"
    return (f" from {_count(patients, 'patient')}" if patients is not None else "") + f" ({parts})"


def _count(n: int, noun: str) -> str:
    """'1 patient', '3 patients'."""
    return f"{n} {noun}{'s' * (n != 1)}"


def prevalence(report: dict[str, Any]) -> float | None:
    """The share (%) of the positive class (class 1) among a binary report's test items,
    from the confusion matrix's rows; None without one (or of other than two classes)."""
    confusion = report.get("confusion") or []
    total = sum(sum(row) for row in confusion)
    if len(confusion) != 2 or not total:
        return None
    return 100 * sum(confusion[1]) / total


def pretraining_sentence(data: dict[str, Any] | None) -> str:
    """Whether the encoder saw the test items (without their labels) when it was
    pretrained, or "" when the card does not know. Under cross-validation the items are
    those scored out-of-fold (every labeled item)."""
    seen = (data or {}).get("test_items_in_pretraining")
    if not seen:
        return ""
    folds = ((data or {}).get("split") or {}).get("folds", 0)
    what = "items scored out-of-fold" if folds > 1 else "test items"
    n, k = seen["test_items"], seen["in_pretraining"]
    where = (
        f"the {seen['pretraining_items']} unlabeled items the encoder was pretrained on"
        if seen.get("pretraining_items") is not None
        else "the items the encoder was pretrained on"
    )
    if not seen.get("exact"):
        return (
            f"The encoder was pretrained on this dataset, which has changed since: {k} of the "
            f"{n} {what} are in it now, and how many of them it held then is not known "
            "(the encoder saw its items without their labels)."
        )
    if k == 0:
        return f"None of the {n} {what} was among {where}."
    held_out = (
        "each is held out from every step that saw labels in the fold that scored it"
        if folds > 1
        else "the test is held out from every step that saw labels"
    )
    return (
        f"{'All' if k == n else k} of the {n} {what} {'were' if k != 1 else 'was'} among "
        f"{where} (without their labels): {held_out}, not from self-supervised pretraining."
    )


def baseline_comparison(test: dict[str, Any] | None, baseline: dict[str, Any] | None) -> str:
    """The card's comparison of the model and its baseline on ROC AUC (or balanced
    accuracy) with the verdict the wizard gives (evaluation/comparison.py): from the
    paired difference when the report has it (``versus_baseline``), else, for cards of
    runs made before, from the two separate intervals; "" without both figures. A verdict
    is followed by a sentence on what it rests on (one training run of each:
    ``single_run_sentence``); too few test patients (``too_few_patients``) give none, and
    the paired difference then stands without its too narrow interval."""
    few = too_few_patients(test)
    versus = (test or {}).get("versus_baseline") or {}
    for key, title in (("roc_auc", "ROC AUC"), ("balanced_accuracy", "balanced accuracy")):
        a, b = (test or {}).get(key) or {}, (baseline or {}).get(key) or {}
        if a.get("value") is None or b.get("value") is None:
            continue
        paired = versus.get(key) or {}
        if paired.get("low") is not None:
            return (
                f"{title}: this model minus the baseline {difference_text(paired, few)} "
                f"({paired_how(versus, few)}): {_reading(a, b, paired, key, test, baseline)}"
            )
        if a["value"] == b["value"]:
            said = f"This model and the baseline have the same {title} ({a['value']:.3f})"
        else:
            (high, higher), (low, _) = sorted(
                [(a["value"], "this model"), (b["value"], "the baseline")], reverse=True
            )
            said = f"On {title}, {higher} scores higher ({high:.3f} against {low:.3f})"
        if any(m.get("low") is None or m["low"] == m["high"] for m in (a, b)):
            return said + (
                "; an interval of no width (every resample scored the same) cannot say "
                "whether the difference is chance."
            )
        return (
            said
            + f"; from their separate 95 % intervals: {_reading(a, b, None, key, test, baseline)}"
        )
    return ""


def _reading(
    a: dict[str, Any],
    b: dict[str, Any],
    paired: dict[str, Any] | None,
    key: str,
    test: dict[str, Any] | None,
    baseline: dict[str, Any] | None = None,
) -> str:
    """The verdict, ending its sentence, and what it rests on as a sentence of its own:
    none on too few test patients."""
    said, basis = verdict_and_basis(a, b, paired, key, test, baseline)
    said = _lower_first(said) + "."
    return said if basis is None else f"{said} {basis}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
