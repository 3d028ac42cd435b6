"""core must never import Qt, pyqtgraph or the GUI (design.md, section 2)."""

import json
import subprocess
import sys

# a script that imports the modules ``names`` lists (after ``setup``), then says which
# Qt or GUI modules got loaded
SCRIPT = """
import importlib, json, pkgutil, sys
import ssl_studio, ssl_studio.core as core
{setup}
for name in names:
    importlib.import_module(name)
{after}
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")
             or m.startswith("ssl_studio.gui"))
print(json.dumps({{"modules": names, "bad": bad}}))
"""


def _imported(setup: str, after: str = "") -> dict:
    """{"modules": what the script imported, "bad": Qt or GUI modules that came with them}."""
    script = SCRIPT.format(setup=setup, after=after)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_every_core_module_imports_without_qt():
    result = _imported(
        'names = [m.name for m in pkgutil.walk_packages(core.__path__, "ssl_studio.core.")]'
    )
    assert "ssl_studio.core.data.importer" in result["modules"]
    assert "ssl_studio.core.project.store" in result["modules"]
    assert result["bad"] == []


def test_the_command_line_imports_without_qt():
    """Headless commands (a cluster node, a CI job) never load Qt: only `gui` and `demo`
    import the GUI, inside the command (design.md, section 2)."""
    result = _imported(
        'names = [m.name for m in pkgutil.iter_modules(ssl_studio.__path__, "ssl_studio.")\n'
        '         if m.name not in ("ssl_studio.gui", "ssl_studio.core", "ssl_studio.__main__")]',
        # (every command module registers its options)
        "from ssl_studio.cli import build_parser\nbuild_parser()",
    )
    assert {"ssl_studio.cli", "ssl_studio.cli_models", "ssl_studio.cli_pretrain"} <= set(
        result["modules"]
    )
    assert result["bad"] == []
