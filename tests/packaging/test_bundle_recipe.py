"""The desktop bundle's recipe: its build tools are pinned (ssl_studio.spec works around
gaps of particular PyInstaller hooks, yet the README installed whatever pyinstaller was
newest), and `--bundle-check` finds the guide as well as the demo data (a bundle without
resources/guide.md passed it, and Help -> Guide to the concepts failed)."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from types import ModuleType

import pytest

HERE = Path(__file__).resolve().parents[2] / "packaging"
PINS = {"pyinstaller": "6.22.3", "pyinstaller-hooks-contrib": "2026.9"}


@pytest.fixture(scope="module")
def launch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ssl_studio_launch_check", HERE / "launch.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_tools_are_pinned_where_the_build_is_described():
    lines = (HERE / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in (ln.split("#")[0].strip() for ln in lines) if line)
    assert pins == PINS
    readme = (HERE / "README.md").read_text()
    assert "pip install -e . -r packaging/requirements.txt" in readme
    assert not re.search(r"pip install[^\n`]* pyinstaller\b", readme)  # unpinned
    script = (HERE / "build.sh").read_text()
    assert "requirements.txt" in script and ' pyinstaller"' not in script


def test_the_bundle_check_wants_the_guide_too(launch, tmp_path, monkeypatch):
    found = launch._resources()
    assert found.endswith("guide.md") and "demo" in found
    resources = tmp_path / "resources"
    shutil.copytree(
        HERE.parent / "resources" / "demo" / "chest-xray", resources / "demo" / "chest-xray"
    )
    (resources / "demo" / "basic-motions").mkdir()
    monkeypatch.setattr("ssl_studio.resources.resources_dir", lambda: resources)
    with pytest.raises(RuntimeError, match="no guide at .*guide.md"):
        launch._resources()
    (resources / "guide.md").write_text("")  # an empty one is no guide either
    with pytest.raises(RuntimeError, match="no guide"):
        launch._resources()
    (resources / "guide.md").write_text("# Guide\n")
    assert launch._resources().endswith("guide.md")
    shutil.rmtree(resources / "demo" / "basic-motions")  # the demo data, as before
    with pytest.raises(RuntimeError, match="lacks basic-motions"):
        launch._resources()
