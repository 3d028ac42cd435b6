"""The fine-tuning protocols in words a clinician reads (the combo boxes keep the core's
names, knn ... scratch, as their data)."""

from __future__ import annotations

PROTOCOL_NAMES = {
    "knn": "k-nearest neighbours (frozen encoder)",
    "linear": "Linear probe (frozen encoder)",
    "partial": "Partial fine-tune (last block)",
    "full": "Full fine-tune (whole encoder)",
    "scratch": "From scratch (no pretraining)",
}
# the same, short, inside a sentence: "Fold 2 of 3 (from scratch)."
MODEL_WORDS = {
    "knn": "k-nearest neighbours",
    "linear": "linear probe",
    "partial": "partial fine-tune",
    "full": "full fine-tune",
    "scratch": "from scratch",
}


def fine_tuned_header(protocol: str | None) -> str:
    """The results table's column of the fine-tuned model: "Fine-tuned (linear probe)"."""
    return f"Fine-tuned ({MODEL_WORDS.get(protocol, protocol)})" if protocol else "Fine-tuned"
