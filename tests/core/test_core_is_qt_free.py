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
