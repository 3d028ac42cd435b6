"""Runs a check in a child Python without privileges, so file permissions apply to it as
to any user, even as root (imported as ``from privilege_drop import run_child``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

# Run first in every child: as root (CI containers run as root) it gives up every
# capability, which needs no privilege, so file permissions apply to it as to any user.
# It does not exec anything afterwards (an exec as root would regain them).
DROP_PRIVILEGES = """
import ctypes, os
if os.geteuid() == 0:
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    empty = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: none
    if ctypes.CDLL(None, use_errno=True).capset(header, empty) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")
"""


def run_child(script: str, cwd: Path) -> dict:
    """Run ``script`` in a Python without privileges; it prints one JSON line last."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd)}
    done = subprocess.run(
        [sys.executable, "-c", DROP_PRIVILEGES + textwrap.dedent(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
