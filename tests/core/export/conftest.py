"""The export tests reuse the fine-tuning tests' small projects (tests/core/finetune)."""

from __future__ import annotations

import sys
from pathlib import Path

FINETUNE = Path(__file__).resolve().parents[1] / "finetune"
if str(FINETUNE) not in sys.path:
    sys.path.insert(0, str(FINETUNE))
