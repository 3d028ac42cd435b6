"""pyproject.toml declares what the app imports, at versions that have the APIs it calls:
tifffile was imported (TIFF images) but came only through scikit-image, and the floor
torch>=2.4 let pip keep a torch without torch.compiler.is_exporting (2.7), which
every time-series model calls."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# imported, yet rightly not a dependency: {module: why}
NOT_DECLARED = {
    "umap": "umap-learn is optional: the embedding map uses it only when it is installed",
    "shiboken6": "comes with PySide6-Essentials, at its own version",
}
# (text in the source, the file, the package, the first version that has it)
API_FLOORS = [
    ("torch.compiler.is_exporting()", "ssl_studio/core/models/series.py", "torch", (2, 7)),
    ("dynamo=True", "ssl_studio/core/export/writer.py", "torch", (2, 5)),
    ("torch.export.Dim(", "ssl_studio/core/export/writer.py", "torch", (2, 2)),
]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> dict[str, str]:
    """{distribution name: requirement} of pyproject.toml's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_name(r): r for r in project["dependencies"]}


def _floor(requirement: str) -> tuple[int, ...]:
    found = re.search(r">=\s*([\d.]+)", requirement)
    assert found, f"{requirement} has no floor (>=)"
    return tuple(int(part) for part in found[1].split("."))


def _imported_modules() -> dict[str, str]:
    """{top-level module: a file that imports it} for every third-party import."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "ssl_studio").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in sys.stdlib_module_names and top != "ssl_studio":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def test_every_package_the_app_imports_is_declared():
    declared = _declared()
    distributions = packages_distributions()
    undeclared = []
    for module, where in _imported_modules().items():
        if module in NOT_DECLARED:
            continue
        names = [_name(d) for d in distributions.get(module, [module])]
        if not any(name in declared for name in names):
            undeclared.append(f"{module} ({', '.join(names)}; imported in {where})")
    assert not undeclared, f"imported but not in pyproject.toml: {undeclared}"
    assert "tifffile" in declared and "scikit-image" in declared


def test_the_floors_have_the_apis_the_code_calls():
    declared = _declared()
    for text, path, package, first in API_FLOORS:
        assert text in (ROOT / path).read_text(), f"{path} no longer uses {text}: update"
        floor = _floor(declared[package])
        assert floor >= first, f"{text} needs {package}>={'.'.join(map(str, first))}"
    torch, vision = _floor(declared["torch"]), _floor(declared["torchvision"])
    # torchvision 0.N is made with torch 2.(N - 15): 0.22 with 2.7, 0.29 with 2.14
    assert (vision[0], vision[1] - 15) == (0, torch[1]) and torch[0] == 2, (torch, vision)
    readme = (ROOT / "README.md").read_text()
    said = re.search(r"`pyproject.toml` needs torch\s+([\d.]+) or newer", readme)
    assert said and tuple(map(int, said[1].split("."))) == torch[:2]
