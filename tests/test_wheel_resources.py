"""A wheel carries the demo data and the guide, and an install from it finds them.

The wheel is built once, from a copy of the git-tracked files (setuptools builds in the
source folder and would leave build/ and *.egg-info behind), with the setuptools of this
environment (no download). An install is stood in for by the unpacked wheel on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = "ssl_studio/_bundled/"

pytest.importorskip("setuptools", minversion="68")
if shutil.which("git") is None or not (ROOT / ".git").exists():
    pytest.skip("needs the git checkout (its list of tracked files)", allow_module_level=True)


def _tracked(*paths: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *paths],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    ).stdout
    return [name for name in out.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of the tracked sources, resources and metadata files."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    for name in _tracked("pyproject.toml", "README.md", "ssl_studio", "resources"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    stray = source / "resources" / "demo" / "__pycache__" / "build_demo.cpython-311.pyc"
    stray.parent.mkdir()
    stray.write_bytes(b"left by running build_demo.py")  # must stay out of the wheel
    out = base / "dist"
    build = (
        "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    )
    return out / _python(build, str(out), cwd=source).strip().splitlines()[-1]


def test_the_wheel_carries_the_demo_data_and_the_guide_not_the_screenshots(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    demo = {name.removeprefix("resources/") for name in _tracked("resources/demo")}
    assert len(demo) > 400  # 400 X-rays, 80 recordings, the labels, README, build_demo.py
    bundled = {name.removeprefix(BUNDLED) for name in names if name.startswith(BUNDLED)}
    assert bundled == demo | {"guide.md"}  # nothing else: no __pycache__, no screenshots
    assert not [name for name in names if "screenshots" in name or "__pycache__" in name]


def test_every_package_of_ssl_studio_is_in_the_wheel(wheel: Path):
    """pyproject.toml lists the packages (to map resources/ into one): none forgotten."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = [name for name in _tracked("ssl_studio") if name.endswith(".py")]
    assert [name for name in missing if name not in names] == []


def _run_installed(installed: Path, script: str, *args: str, cwd: Path) -> str:
    """Run ``script`` with ``installed`` (an unpacked wheel) as the only extra import path;
    its output."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    return _python(script, *args, cwd=cwd, env=env)


def _python(script: str, *args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    """The output of ``python -c script args`` run in ``cwd``; fails the test on an error."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


FIND = """
import json, sys
import ssl_studio
from ssl_studio.resources import demo_sources, guide_text, resources_dir
from ssl_studio.core.jobs import create_demo
print(json.dumps({
    "package": ssl_studio.__file__,
    "resources": str(resources_dir()),
    "guide": guide_text()[:200],
    "demo": {k: str(v) for k, v in demo_sources(("chest-xray", "basic-motions")).items()},
    "items": {k: v["items"] for k, v in create_demo(sys.argv[1]).items()},
}))
"""


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
    }


def test_an_install_from_the_wheel_finds_the_guide_and_makes_the_demo(wheel: Path, tmp_path: Path):
    """Its resources are in the package; the demo reads them and writes nothing there."""
    installed = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed)
    bundled = installed / "ssl_studio" / "_bundled"
    before = _snapshot(bundled)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = _run_installed(installed, FIND, str(tmp_path / "demo"), cwd=elsewhere)
    found = json.loads(out.strip().splitlines()[-1])
    assert Path(found["package"]).is_relative_to(installed)  # not this checkout's copy
    assert Path(found["resources"]) == bundled
    assert found["guide"] == (bundled / "guide.md").read_text(encoding="utf-8")[:200]
    assert found["demo"] == {
        "chest-xray": str(bundled / "demo" / "chest-xray"),
        "basic-motions": str(bundled / "demo" / "basic-motions"),
    }
    assert found["items"] == {"chest-xray": 400, "basic-motions": 80}
    assert _snapshot(bundled) == before  # site-packages may be read-only


MISSING = """
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.resources import guide_text
try:
    guide_text()
except SSLStudioError as exc:
    print(exc)
"""


def test_an_install_without_its_resources_says_where_they_should_be(wheel: Path, tmp_path: Path):
    installed = tmp_path / "site-packages"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(installed, [n for n in archive.namelist() if BUNDLED not in n])
    out = _run_installed(installed, MISSING, cwd=tmp_path)
    assert str(installed / "ssl_studio" / "_bundled" / "guide.md") in out
    assert "SSL Studio is incomplete" in out and "Reinstall" in out
