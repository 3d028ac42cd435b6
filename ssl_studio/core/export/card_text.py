"""Parts of the model card as sentences and Markdown tables for people (MODEL_CARD.md, the
app's card view, the export command's summary), never raw Python dicts. Each part reads
cards written by earlier versions too (a missing field is left out, not guessed)."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.evaluation.metrics import rounded_threshold

PROTOCOL_WORDS = {
    "knn": "k nearest neighbours on the frozen pretrained encoder",
    "linear": "a linear probe, a logistic regression on the frozen pretrained encoder",
    "partial": "partial fine-tuning of the encoder's last block and a head",
    "full": "full fine-tuning of the whole network",
    "scratch": "the same network trained from random weights, without pretraining",
}


def decision_sentence(card: dict[str, Any]) -> str:
    """How the predicted class follows from the probabilities."""
    positive = card.get("positive_class")
    if not positive:
        return "The predicted class is the most probable one."
    threshold = card.get("threshold")
    if threshold is None:
        return (
            f"Positive class: {positive}; it is predicted when its probability is at least "
            "0.5 (the default threshold)."
        )
    choice = card.get("threshold_choice") or {}
    n = choice.get("val_items")
    return (
        f"Positive class: {positive}; it is predicted when its probability is at least "
        f"{rounded_threshold(threshold)}. The threshold was chosen on "
        f"{f'{n} ' if n else ''}validation items (never on the test items)"
        f"{_threshold_method(choice.get('method'))}; its exact value is in model_card.json."
    )


def _threshold_method(method: str | None) -> str:
    if method == "youden":
        return ", where sensitivity + specificity is largest (Youden's J)"
    if method and method.startswith("sensitivity:"):
        return (
            f" as the highest one that keeps the sensitivity at {method.partition(':')[2]} or more"
        )
    return ""


def choices_sentence(protocol: str | None, chosen: dict[str, Any]) -> str:
    """What the protocol chose, in words; only what applies to ``protocol``."""
    k, c, steps = chosen.get("k"), chosen.get("C"), chosen.get("steps")
    cross_validated = "chosen by cross-validation on the training labels"
    if protocol == "knn" and k is not None:
        return (
            f"Each input takes the majority class of its k = {k} nearest training labels in "
            "the embedding (k chosen by leave-one-out accuracy on the training labels)."
        )
    if protocol == "linear" and c is not None:
        return (
            f"C = {c:g} is the inverse regularisation strength of the logistic regression "
            f"(smaller C keeps it simpler), {cross_validated} when every class has at least two."
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
    return (
        f"Trained on {what}; data fingerprint {fingerprint.get('sha256')} (a hash of which "
        "items were used, to tell two training sets apart; no identifiers)."
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


def confusion_rows(confusion: list[list[int]] | None, classes: list[str]) -> list[str]:
    """The confusion matrix as a Markdown table (rows: truth, columns: predicted)."""
    if not confusion:
        return []
    return [
        "| truth \\ predicted | " + " | ".join(classes) + " |",
        "|---" * (len(classes) + 1) + "|",
        *[
            f"| {name} | " + " | ".join(str(v) for v in row) + " |"
            for name, row in zip(classes, confusion, strict=False)
        ],
    ]
