"""The table and JSON line of the benchmarks that time an old way against a new one."""

from __future__ import annotations

import json
from typing import Any


def print_old_new(seconds: dict[str, dict[str, float]], **figures: Any) -> None:
    """Print a row per case of ``seconds`` ({case: {"old": s, "new": s}}) with its ratio
    old/new, then one JSON line: ``figures`` (the bench's settings), the seconds and the
    ratios."""
    ratios = {case: t["old"] / max(t["new"], 1e-6) for case, t in seconds.items()}
    width = max(len(case) for case in seconds) + 2
    print(f"{'case':<{width}} {'old s':>9} {'new s':>9} {'old/new':>9}")
    for case, t in seconds.items():
        print(f"{case:<{width}} {t['old']:>9.4f} {t['new']:>9.4f} {ratios[case]:>9.1f}")
    rounded = {c: {k: round(v, 5) for k, v in t.items()} for c, t in seconds.items()}
    summary = {"seconds": rounded, "ratios": {c: round(r, 1) for c, r in ratios.items()}}
    print(json.dumps({**figures, **summary}))
