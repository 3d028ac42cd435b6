"""The command line under conditions only Windows has, simulated on any system."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def test_a_name_outside_the_code_page_of_a_redirected_stdout_is_escaped_not_an_error(
    tmp_path: Path,
):
    """Windows writes a redirected stdout in the ANSI code page (cp1252 here) with strict
    errors: a dataset named 胸部 imported, then the summary failed (exit 1)."""
    folder = tmp_path / "data" / "胸部X線"
    folder.mkdir(parents=True)
    for i in range(2):
        Image.fromarray(np.full((12, 12), i * 40, np.uint8)).save(folder / f"{i}.png")
    project = tmp_path / "proj"
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    out = tmp_path / "out.txt"
    p = str(project)
    for command in (["new", p], ["import", p, str(folder), "--name", "胸部"], ["info", p]):
        with open(out, "wb") as stdout:
            done = subprocess.run(
                [sys.executable, "-m", "ssl_studio", *command],
                stdout=stdout,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                timeout=120,
            )
        assert done.returncode == 0, done.stderr
        assert "UnicodeEncodeError" not in done.stderr
        if command[0] != "new":
            text = out.read_text(encoding="cp1252")
            assert "\\u80f8\\u90e8" in text  # 胸部, escaped
            assert command[0] != "import" or "2 imported" in text
