"""How the ssl-studio command line starts and fails, run as a user would: errors as
messages, Ctrl+C while the commands load, the module and entry point, window commands
without a display or X11 libraries, the smoke test, and signal handlers put back."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.cli import EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def test_ctrl_c_while_the_commands_load_is_interrupted_not_a_traceback(monkeypatch, capsys):
    """Ctrl+C in the first moments of a command (its modules loading) printed a traceback."""

    def loading():
        raise KeyboardInterrupt

    monkeypatch.setattr("ssl_studio.cli.build_parser", loading)
    assert main(["info", "anywhere"]) == EXIT_CANCELLED
    assert capsys.readouterr().err == "\nInterrupted.\n"


def test_errors_are_messages_not_tracebacks(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "is not an SSL Studio project" in err and "Traceback" not in err
    assert "'ssl-studio new FOLDER'" in err and "File →" not in err  # commands, not menus
    main(["new", str(tmp_path / "p")])
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "missing")]) == EXIT_FAILED
    assert "Not found" in capsys.readouterr().err
    assert main([]) == EXIT_USAGE
    (tmp_path / "afile").write_text("x")
    assert main(["new", str(tmp_path / "afile")]) == EXIT_FAILED
    assert "is a file, not a folder" in capsys.readouterr().err


def test_unexpected_errors_are_one_line_unless_debugging(tmp_path, capsys, monkeypatch):
    import pytest

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    def unreadable(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "x.png"))

    monkeypatch.setattr("ssl_studio.core.jobs.create_project", broken)
    assert main(["new", str(tmp_path / "p")]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "unexpected error (ZeroDivisionError: division by zero)" in err
    assert "SSL_STUDIO_DEBUG=1" in err and "Traceback" not in err
    monkeypatch.setenv("SSL_STUDIO_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["new", str(tmp_path / "p")])
    monkeypatch.setattr("ssl_studio.core.jobs.create_project", unreadable)
    assert main(["new", str(tmp_path / "p")]) == EXIT_FAILED
    assert f"Permission denied: {tmp_path / 'x.png'}. Check that" in capsys.readouterr().err


def test_module_and_entry_point_start(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "ssl_studio", "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith("ssl-studio ")
    exe = shutil.which("ssl-studio", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the ssl-studio console script is installed with the package"
    out = subprocess.run([exe, "new", str(tmp_path / "p")], capture_output=True, text=True)
    assert out.returncode == 0 and (tmp_path / "p" / "project.db").is_file()


def test_the_smoke_test_on_a_folder_that_is_no_project_fails_instead_of_waiting(tmp_path, capsys):
    # a modal error dialog would wait for a click no one gives (packaging runs this)
    assert main(["gui", str(tmp_path), "--smoke-test"]) == 1
    assert "is not an SSL Studio project" in capsys.readouterr().err


def test_a_project_whose_cache_was_deleted_opens_with_the_message(tmp_path, capsys):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), i * 50, np.uint8)).save(folder / f"{i}.png")
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["import", str(tmp_path / "p"), str(folder), "--cache-size", "16"]) == 0
    shutil.rmtree(tmp_path / "p" / "cache")
    capsys.readouterr()
    # the window opens (it raised out of show()), and the dataset says what to do
    assert main(["gui", str(tmp_path / "p"), "--smoke-test"]) == 1
    err = capsys.readouterr().err
    assert "Cannot read the dataset" in err and "Import the dataset's folders again" in err
    assert "Traceback" not in err


def test_without_a_display_the_window_commands_say_so_instead_of_aborting(
    tmp_path, capsys, monkeypatch
):
    """Qt aborts the process (exit 134, "Reinstalling the application may fix this
    problem") on a Linux server without a display; the demo said so only after its
    import."""
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["demo", str(tmp_path / "demo")]) == EXIT_FAILED
    assert "No display" in capsys.readouterr().err and not (tmp_path / "demo").exists()
    assert main(["gui", str(tmp_path)]) == EXIT_FAILED
    assert "xvfb-run" in capsys.readouterr().err
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no display server needed
    from ssl_studio.cli import display_problem

    assert display_problem() is None


def test_missing_x11_libraries_are_named_with_the_command_that_installs_them(
    tmp_path, capsys, monkeypatch
):
    """Qt's xcb plugin aborts the process (exit 134) when libxcb-cursor0 and the like are
    missing; only a missing DISPLAY was said. A loader that lacks two of them stands in."""
    import ctypes
    import types

    from ssl_studio.display_check import APT_COMMAND, XCB_LIBRARIES, display_problem

    lacking = {"libxcb-cursor.so.0", "libxcb-icccm.so.4"}

    def loader(name):
        if name.rsplit("/", 1)[-1] in lacking:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
        return object()

    monkeypatch.setattr(ctypes, "CDLL", loader)
    opened: list[object] = []  # Qt is never started: the app would abort there
    app = types.ModuleType("ssl_studio.gui.app")
    app.run_app = lambda *args, **kwargs: opened.append(args) or EXIT_OK
    monkeypatch.setitem(sys.modules, "ssl_studio.gui.app", app)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    for name in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main(["gui", str(tmp_path)]) == EXIT_FAILED  # before Qt is started
    said = capsys.readouterr().err
    assert "libxcb-cursor.so.0, libxcb-icccm.so.4 are missing" in said
    assert APT_COMMAND in said and "libxcb-keysyms" not in said.split("(Debian")[0]
    assert opened == []
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert "are missing" in display_problem()
    monkeypatch.delenv("DISPLAY")  # and no display either: both are said
    problem = display_problem()
    assert "No display" in problem and "libxcb-cursor.so.0" in problem and APT_COMMAND in problem
    monkeypatch.setenv("DISPLAY", ":0")
    for platform in ("offscreen", "wayland"):  # they need none of these libraries
        monkeypatch.setenv("QT_QPA_PLATFORM", platform)
        assert display_problem() is None
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")  # Qt may use Wayland: no refusal
    assert display_problem() is None
    lacking.clear()
    monkeypatch.delenv("WAYLAND_DISPLAY")
    assert display_problem() is None
    assert len(XCB_LIBRARIES) == 9


def test_the_smoke_test_writes_its_settings_into_the_tests_own_config_folder(
    tmp_path, capsys, user_config
):
    # where a window made without settings writes outside the tests (XDG_CONFIG_HOME unset)
    real = Path.home() / ".config" / "SSL Studio" / "SSL Studio.conf"
    before = (real.read_bytes(), real.stat().st_mtime_ns) if real.exists() else None
    project = tmp_path / "p"
    assert main(["new", str(project)]) == 0
    assert main(["gui", str(project), "--smoke-test"]) == 0
    written = user_config / "SSL Studio" / "SSL Studio.conf"
    assert written.is_file(), sorted(user_config.rglob("*"))
    text = written.read_text()
    assert "geometry=" in text and str(project) in text
    after = (real.read_bytes(), real.stat().st_mtime_ns) if real.exists() else None
    assert after == before, f"the smoke test changed {real}"


def test_a_command_puts_back_the_signal_handlers_it_found(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(np.full((16, 16), i * 80, np.uint8)).save(folder / f"{i}.png")
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert main(["new", str(tmp_path / "p")]) == 0
    assert main(["import", str(tmp_path / "p"), str(folder), "--cache-size", "16"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
    # a command that fails puts them back too
    assert main(["import", str(tmp_path / "p"), str(tmp_path / "missing")]) == EXIT_FAILED
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
