"""Idle OpenMP threads spin less (GOMP_SPINCOUNT), set by the command line before torch
loads libgomp: on a busy 2-core CPU the default spinning made pretraining steps 1.5-7x
slower at 2 threads than at 1. A user's own setting is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import contextlib, io, json, os, sys
from ssl_studio.cli import SPIN_COUNT, main
with contextlib.redirect_stdout(io.StringIO()):
    main(["tasks"])
print(json.dumps({"spin": os.environ.get("GOMP_SPINCOUNT"), "torch": "torch" in sys.modules,
                  "ours": SPIN_COUNT}))
"""


def _run(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True,
        timeout=300, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_makes_idle_threads_spin_less():
    seen = _run()
    assert seen["spin"] == seen["ours"] == "10000" and seen["torch"]  # (torch loaded after)


def test_a_users_own_setting_is_kept():
    assert _run(GOMP_SPINCOUNT="123")["spin"] == "123"
    assert _run(OMP_WAIT_POLICY="PASSIVE")["spin"] is None
