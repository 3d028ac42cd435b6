"""Before a window opens: the system libraries Qt itself loads (offscreen too: without
libEGL.so.1 `gui --smoke-test` said "unexpected error (ImportError ...). This is a bug"),
and an X display that refuses the connection (an expired ssh -X, sudo without the user's
XAUTHORITY: Qt aborted with exit 134 and "xcb-cursor0 is needed ... Reinstalling may fix
this"). See ssl_studio/display_check.py."""

from __future__ import annotations

import ctypes
import importlib.abc
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ssl_studio.cli import EXIT_FAILED, main
from ssl_studio.display_check import (
    APT_COMMAND,
    QT_APT_COMMAND,
    QT_LIBRARIES,
    display_problem,
    x_display_refuses,
)

ROOT = Path(__file__).resolve().parents[1]
NOBODY_THERE = ":987"


def lacking(*names: str):
    """A loader (for ctypes.CDLL's place) that finds every library but ``names``."""

    def load(name: str) -> object:
        if name.rsplit("/", 1)[-1] in names:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return object()  # (no xcb_connect: the display is not tried)

    return load


@pytest.fixture
def linux(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XAUTHORITY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_missing_qt_libraries_are_named_for_every_platform_offscreen_too(linux):
    load = lacking("libEGL.so.1", "libdbus-1.so.3")
    linux.setenv("QT_QPA_PLATFORM", "offscreen")
    problem = display_problem(load)
    assert "(libEGL.so.1, libdbus-1.so.3)" in problem and QT_APT_COMMAND in problem
    assert display_problem(lacking()) is None
    linux.setenv("QT_QPA_PLATFORM", "xcb")
    linux.setenv("DISPLAY", ":0")
    problem = display_problem(load)
    assert "Qt needs system libraries" in problem and "libEGL.so.1, libdbus-1.so.3 are" in problem
    assert "libxcb-cursor0" not in problem  # only what is missing is installed
    both = display_problem(lacking("libGL.so.1", "libxcb-cursor.so.0"))
    assert "libGL.so.1, libxcb-cursor.so.0 are missing" in both and "libgl1" in both
    assert APT_COMMAND.removeprefix("sudo apt-get install ") in both
    linux.delenv("DISPLAY")
    problem = display_problem(load)
    assert "No display" in problem and "libEGL.so.1" in problem and QT_APT_COMMAND in problem
    assert list(QT_LIBRARIES) == [
        "libEGL.so.1", "libGL.so.1", "libfontconfig.so.1", "libxkbcommon.so.0",
        "libglib-2.0.so.0", "libdbus-1.so.3",
    ]  # fmt: skip
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index("sudo apt-get install libegl1") :].split("```")[0].split()
    for package in [*QT_LIBRARIES.values(), *APT_COMMAND.split()[3:]]:
        assert package in block, f"the README's apt-get line lacks {package}"


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "ssl_studio", *args],
        env={k: v for k, v in env.items() if v is not None},
        cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_without_libegl_the_window_commands_say_what_to_install_not_a_bug(tmp_path):
    """An unloadable libEGL.so.1 found first (LD_LIBRARY_PATH) stands in for a missing one."""
    fake = tmp_path / "lib"
    fake.mkdir()
    (fake / "libEGL.so.1").write_bytes(b"")
    env = {"LD_LIBRARY_PATH": str(fake), "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = _cli(["gui", "--smoke-test"], env, tmp_path)
    assert done.returncode == EXIT_FAILED, done.stderr
    assert "libEGL.so.1" in done.stderr and QT_APT_COMMAND in done.stderr
    assert "bug" not in done.stderr and "Traceback" not in done.stderr
    done = _cli(["demo", str(tmp_path / "demo")], env, tmp_path)  # said before the import
    assert done.returncode == EXIT_FAILED and "libEGL.so.1" in done.stderr
    assert not (tmp_path / "demo").exists()


class _NoLibrary(importlib.abc.MetaPathFinder):
    """Importing the app fails as when Qt's libraries do not load."""

    def __init__(self, message: str):
        self.message = message

    def find_spec(self, name, path=None, target=None):
        if name == "ssl_studio.gui.app":
            raise ImportError(self.message)
        return None


def test_an_import_error_naming_a_shared_library_is_said_as_such(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("ssl_studio.cli.display_problem", lambda: None)
    monkeypatch.delitem(sys.modules, "ssl_studio.gui.app", raising=False)
    message = "libxkbcommon.so.0: cannot open shared object file: No such file or directory"
    monkeypatch.setattr(sys, "meta_path", [_NoLibrary(message), *sys.meta_path])
    assert main(["gui", "--smoke-test"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Qt cannot load the system library libxkbcommon.so.0" in err
    assert QT_APT_COMMAND in err and "bug" not in err
    sys.meta_path[0] = _NoLibrary("cannot import name 'run_app'")  # any other: still a bug
    assert main(["gui", "--smoke-test"]) == EXIT_FAILED
    assert "This is a bug in SSL Studio" in capsys.readouterr().err


def _without_libxcb() -> bool:
    try:
        ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    return False


@pytest.mark.skipif(_without_libxcb(), reason="needs libxcb.so.1 (Qt's xcb plugin does too)")
def test_a_display_with_no_x_server_is_said_before_qt_aborts(linux, tmp_path):
    if Path(f"/tmp/.X11-unix/X{NOBODY_THERE[1:]}").exists():
        pytest.skip(f"an X server runs on {NOBODY_THERE}")
    linux.setenv("DISPLAY", NOBODY_THERE)
    problem = display_problem()
    assert problem.startswith(f"Cannot connect to display {NOBODY_THERE}.")
    assert "XAUTHORITY" in problem and "ssh -X" in problem
    for platform in ("offscreen", "wayland"):  # neither connects to X
        linux.setenv("QT_QPA_PLATFORM", platform)
        assert display_problem() is None
    # the command says so and fails, where Qt aborted the process (exit 134)
    env = {"DISPLAY": NOBODY_THERE, "QT_QPA_PLATFORM": None, "HOME": str(tmp_path)}
    done = _cli(["gui", "--smoke-test"], env, tmp_path)
    assert done.returncode == EXIT_FAILED, done.stderr
    assert f"Cannot connect to display {NOBODY_THERE}" in done.stderr


@pytest.fixture
def xvfb(tmp_path):
    """An Xvfb that lets in only clients with its cookie: (display, authority file)."""
    if not (shutil.which("Xvfb") and shutil.which("xauth")):
        pytest.skip("needs Xvfb and xauth")
    cookie = secrets.token_hex(16)
    server_auth, client_auth = tmp_path / "server.auth", tmp_path / "client.auth"
    xauth = ["xauth", "-f"]
    subprocess.run([*xauth, server_auth, "add", ":0", ".", cookie], check=True, capture_output=True)
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-auth", server_auth, "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    number = b""
    while not number.endswith(b"\n"):
        chunk = os.read(read, 16)
        assert chunk, "Xvfb did not start"
        number += chunk
    os.close(read)
    display = f":{number.decode().strip()}"
    subprocess.run(
        [*xauth, client_auth, "add", display, ".", cookie], check=True, capture_output=True
    )
    yield display, client_auth
    server.terminate()
    server.wait(timeout=30)


def test_a_display_that_refuses_this_user_is_said(linux, xvfb, tmp_path):
    """sudo without the user's XAUTHORITY: the server is there, the cookie is not."""
    display, authority = xvfb
    linux.setenv("DISPLAY", display)
    linux.setenv("XAUTHORITY", str(authority))
    assert not x_display_refuses()
    assert display_problem() is None
    linux.setenv("XAUTHORITY", str(tmp_path / "elsewhere"))  # no cookie there
    assert x_display_refuses()
    assert display_problem().startswith(f"Cannot connect to display {display}.")


def test_the_smoke_test_without_a_display_says_how_to_check_headless(linux, capsys):
    """Over plain ssh the README's check for IT said only "No display"."""
    command = "QT_QPA_PLATFORM=offscreen ssl-studio gui --smoke-test"
    assert main(["gui", "--smoke-test"]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "No display" in err and command in err
    assert main(["gui"]) == EXIT_FAILED  # (not a check: no hint)
    assert command not in capsys.readouterr().err
    readme = (ROOT / "README.md").read_text()
    it = readme[readme.index("### For IT") :]
    assert "QT_QPA_PLATFORM=offscreen /opt/ssl-studio/bin/ssl-studio gui --smoke-test" in it
