"""``runs/<id>/evaluation.json``: a fine-tuned run's test report (figures with their
intervals, and the paired comparison with its baseline once that was scored). For a
cross-validated run it is the only copy of the pooled out-of-fold figures, which cannot
be scored again: it is written atomically, and a damaged one is said, not a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ssl_studio.core.atomic_files import write_json_atomically
from ssl_studio.core.errors import ConfigError

EVALUATION_FILE = "evaluation.json"


class DamagedEvaluationError(ConfigError):
    """A run's evaluation.json that cannot be read (cut short, emptied, edited)."""


def write_evaluation(run_dir: Path, report: dict[str, Any]) -> None:
    """Write (or replace) the run's report: the old file stays whole until the new one is."""
    write_json_atomically(run_dir / EVALUATION_FILE, report)


def read_evaluation(run_dir: Path, *, what: str, otherwise: str) -> dict[str, Any] | None:
    """The run's stored report; None when it has none. A damaged file raises
    DamagedEvaluationError saying ``what`` cannot be read (e.g. "the comparison with the
    baseline stored there") and what to do besides restoring it (``otherwise``)."""
    path = run_dir / EVALUATION_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        stored = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # (JSONDecodeError, UnicodeDecodeError)
        detail = "it is empty" if not data.strip() else f"it is not valid JSON: {exc}"
        raise _damaged(path, detail, what, otherwise) from exc
    if not isinstance(stored, dict):
        raise _damaged(path, "it holds no report", what, otherwise)
    return stored


def _damaged(path: Path, detail: str, what: str, otherwise: str) -> DamagedEvaluationError:
    """The message for an evaluation.json at ``path`` that cannot be read."""
    return DamagedEvaluationError(
        f"{path} is damaged ({detail}), so {what} cannot be read. Restore the file from a "
        f"backup of the project folder, or {otherwise}."
    )
