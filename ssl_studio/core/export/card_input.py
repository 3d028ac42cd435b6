"""The Input section of MODEL_CARD.md (card_markdown.py): the model's input fields, the
steps from a file to it, a series model's standardisation, the training recordings'
lengths and missing shares. Fields a card of an earlier version lacks are left out."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.export.card_about import markdown_text
from ssl_studio.core.export.input_checks import (
    SERIES_MISSING_NOTE,
    missing_limit,
    trained_missing,
)
from ssl_studio.core.export.recipe import STEPS
from ssl_studio.core.export.series_recipe import window_words
from ssl_studio.core.export.training_lengths import lengths_sentence

NAMED_FIELDS = ("channel_names", "channel_matching")  # (input fields naming CSV columns)


def input_lines(pre: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """The input section: the other fields and a series model's training lengths (from
    ``spec``), then the recipe's steps numbered, in order."""
    steps = [k for k in STEPS if pre.get(k) is not None]
    apart = ("kind", "examples", "channel_standardisation")
    rest = [k for k in pre if k not in steps and k not in apart and pre[k] is not None]
    lines = [f"- {k}: {_named(k, pre[k])}" for k in rest]
    lines += _length_lines(spec)
    lines += _standardisation_rows(pre.get("channel_standardisation"))
    if steps:
        lines += ["", "From a file to the model's input, in this order:", ""]
        lines += [f"{n}. **{k.replace('_', ' ')}**: {pre[k]}" for n, k in enumerate(steps, 1)]
    if pre.get("examples"):
        lines += ["", f"Worked examples: {pre['examples']}"]
    return lines


def _length_lines(spec: dict[str, Any]) -> list[str]:
    """A series model's training recordings' shortest, median and longest lengths (cards
    before they were recorded: nothing)."""
    said = lengths_sentence(spec)
    return [f"- {said}"] if said else []


def missing_lines(spec: dict[str, Any]) -> list[str]:
    """A series model's training recordings' largest share of missing values and the share
    above which predict gives no answer (cards before it was recorded: nothing)."""
    trained = trained_missing(spec)
    if trained is None:
        return []
    return [
        f"- Missing values: a training recording had at most {100 * trained:.0f} % of its "
        f"values missing; predict gives no answer for a recording (or window) missing more "
        f"than {100 * missing_limit(trained):.0f} %, and a note beyond "
        f"{100 * SERIES_MISSING_NOTE:.0f} % says how it compares with these."
    ]


def _named(key: str, value: Any) -> Any:
    """An input field as the card shows it: those holding the training files' column names
    (a series' channels, its header row) as literal Markdown, a sampling rate with its
    unit (``10 samples per second (Hz)``; the JSON field stays a number), the training
    windows' lengths in steps with what they are, the others as they are."""
    if key == "sampling_rate" and isinstance(value, int | float):
        return f"{value:g} samples per second (Hz)"
    if key in ("training_window_cap", "longest_training_window") and isinstance(value, int):
        return window_words(key, value)
    return markdown_text(str(value)) if key in NAMED_FIELDS else value


def _standardisation_rows(scaling: dict[str, Any] | None) -> list[str]:
    """A series model's built-in standardisation as a table (one row per channel)."""
    if not scaling:
        return []
    rows = zip(scaling["channels"], scaling["mean"], scaling["std"], strict=True)
    return [
        "",
        "The model standardises each channel itself with these values (do not normalise):",
        "",
        "| channel | mean | std |",
        "|---|---|---|",
        *[f"| {markdown_text(str(name))} | {m:.6g} | {s:.6g} |" for name, m, s in rows],
    ]
