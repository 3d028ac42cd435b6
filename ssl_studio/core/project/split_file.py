"""A fine-tuning run's split.json, read in one place: the item ids of its train,
validation and test parts (or of its cross-validation folds), with what the job noted
beside them (written by finetune/job.py from ``Split.to_dict``; the content hashes of the
held-out items are split_changes.py's).

File layout: ``{"train": [id, ...], "val": [...], "test": [...], "folds": [[...], ...]
(cross-validation only), "note": str (optional), "patients_kept_apart": false (split by
item; absent otherwise), "content": {part: [hash or null, ...]} (optional)}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError

SPLIT_FILE = "split.json"
PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class SavedSplit:
    """The item ids (not positions) of a run's split, as its split.json records them."""

    train: list[int]
    val: list[int]
    test: list[int]
    folds: list[list[int]] | None = None  # cross-validated: each fold's test items
    note: str | None = None
    patients_kept_apart: bool | None = None  # False: split by item; None: not recorded
    content: dict[str, Any] = field(default_factory=dict)  # part -> hashes (or None)

    def ids(self, part: str) -> list[int] | None:
        """The item ids of ``part`` ("train", "val", "test"; "folds": every fold's, in
        order; None for a run that was not cross-validated)."""
        if part == "folds":
            return None if self.folds is None else [i for fold in self.folds for i in fold]
        return getattr(self, part)


def read_split(run_dir: Path) -> SavedSplit:
    """The split.json of the run folder ``run_dir``; ConfigError saying which file when it
    is missing or damaged (not JSON, or its parts are not lists of item ids)."""
    path = Path(run_dir) / SPLIT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path} is missing: the run's split (which items it trained, tuned and was "
            "tested on) cannot be read. Was the run folder moved or cleaned up?"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    try:
        return parsed_split(json.loads(text))
    except (ValueError, TypeError, RecursionError) as exc:  # (Recursion: nested too deeply)
        raise ConfigError(
            f"{path} is damaged ({exc}); the run's split cannot be read. Fine-tune again "
            "to get a new one."
        ) from None


def split_or_none(run_dir: Path) -> SavedSplit | None:
    """``read_split``, or None when the file is missing or damaged (for what only leaves
    the split's figures out: the model card, the run record)."""
    try:
        return read_split(run_dir)
    except ConfigError:
        return None


def parsed_split(saved: Any) -> SavedSplit:
    """A split.json's content (or ``Split.to_dict``'s: item ids per part) as a SavedSplit;
    ValueError or TypeError when it is not one."""
    if not isinstance(saved, dict):
        raise ValueError("not a JSON object")
    parts = {part: _ids(saved.get(part) or [], part) for part in PARTS}
    folds = saved.get("folds")
    if folds is not None:
        if not isinstance(folds, list):
            raise ValueError("'folds' is not a list")
        folds = [_ids(fold, "folds") for fold in folds]
    kept = saved.get("patients_kept_apart")
    content = saved.get("content") or {}
    if not isinstance(content, dict):
        raise ValueError("'content' is not an object")
    return SavedSplit(
        **parts,
        folds=folds,
        note=saved.get("note") or None,
        patients_kept_apart=None if kept is None else bool(kept),
        content=content,
    )


def _ids(values: Any, part: str) -> list[int]:
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise ValueError(f"'{part}' is not a list of item ids")
    return [int(v) for v in values]
