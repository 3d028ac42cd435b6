"""core must never import Qt, pyqtgraph or the GUI (design.md, section 2)."""

import json
import subprocess
import sys

SCRIPT = """
import importlib, json, pkgutil, sys
import ssl_studio.core as core
names = [m.name for m in pkgutil.walk_packages(core.__path__, "ssl_studio.core.")]
for name in names:
    importlib.import_module(name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")
             or m.startswith("ssl_studio.gui"))
print(json.dumps({"modules": names, "bad": bad}))
"""


def test_every_core_module_imports_without_qt():
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert "ssl_studio.core.data.importer" in result["modules"]
    assert "ssl_studio.core.project.store" in result["modules"]
    assert result["bad"] == []


CLI_SCRIPT = """
import importlib, json, pkgutil, sys
import ssl_studio
names = [m.name for m in pkgutil.iter_modules(ssl_studio.__path__, "ssl_studio.")
         if m.name not in ("ssl_studio.gui", "ssl_studio.core", "ssl_studio.__main__")]
for name in names:
    importlib.import_module(name)
from ssl_studio.cli import build_parser
build_parser()  # (every command module registers its options)
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")
             or m.startswith("ssl_studio.gui"))
print(json.dumps({"modules": names, "bad": bad}))
"""


def test_the_command_line_imports_without_qt():
    """Headless commands (a cluster node, a CI job) never load Qt: only `gui` and `demo`
    import the GUI, inside the command (design.md, section 2)."""
    out = subprocess.run(
        [sys.executable, "-c", CLI_SCRIPT], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert {"ssl_studio.cli", "ssl_studio.cli_models", "ssl_studio.cli_pretrain"} <= set(
        result["modules"]
    )
    assert result["bad"] == []
