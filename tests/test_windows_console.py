"""The bundle's executable is a console program on Windows (it is the command line too):
double-clicked, it opens a console window beside the app, and closing that window would
end the app within about 5 s, mid-training. Started so, packaging/launch.py lets go of a
console that is its alone; a console it shares (a cmd window the user typed in) stays.
Simulated: sys.platform is win32, kernel32 and _winapi are stand-ins."""

from __future__ import annotations

import importlib.util
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

LAUNCH = Path(__file__).resolve().parents[1] / "packaging" / "launch.py"


@pytest.fixture(scope="module")
def launch() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ssl_studio_bundle_launch", LAUNCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Kernel32:
    """kernel32's stand-in: ``processes`` attached to the console; FreeConsole says
    ``frees``; ``fails``: the first call raises it."""

    def __init__(self, processes: int, frees: int = 1, fails: Exception | None = None) -> None:
        self.processes, self.frees, self.fails = processes, frees, fails
        self.calls: list[str] = []

    def GetConsoleProcessList(self, ids: Any, count: int) -> int:
        self.calls.append("GetConsoleProcessList")
        if self.fails is not None:
            raise self.fails
        assert count == len(ids) >= 1
        return self.processes

    def FreeConsole(self) -> int:
        self.calls.append("FreeConsole")
        return self.frees


@pytest.fixture
def windows(monkeypatch) -> Iterator[list[tuple[Any, ...]]]:
    """sys.platform is win32; the standard streams are restored after the test (the
    null-device files opened meanwhile closed); returns the calls of a stand-in
    CreateProcess."""
    monkeypatch.setattr(sys, "platform", "win32")
    for name in ("stdin", "stdout", "stderr"):
        monkeypatch.setattr(sys, name, getattr(sys, name))
    created: list[tuple[Any, ...]] = []
    yield created
    for name in ("stdin", "stdout", "stderr"):
        stream = getattr(sys, name)
        if getattr(stream, "name", None) == os.devnull:
            stream.close()


def winapi(created: list[tuple[Any, ...]]) -> SimpleNamespace:
    return SimpleNamespace(CreateProcess=lambda *args: created.append(args) or "handles")


def test_a_double_click_lets_go_of_the_console_windows_made_for_it(launch, windows):
    kernel32, before = Kernel32(processes=1), sys.stderr
    api = winapi(windows)
    assert launch.leave_own_console([], kernel32=kernel32, winapi=api)
    assert kernel32.calls == ["GetConsoleProcessList", "FreeConsole"]
    # its standard streams pointed at that console: they write to nothing now
    assert sys.stderr is not before and sys.stderr.name == os.devnull
    print("no console to write to", file=sys.stderr)
    # a child (an import's decoding worker: a console program too) gets no window
    assert api.CreateProcess(
        "exe", "exe --multiprocessing-fork", None, None, False, 0, {}, None, None
    )
    assert windows[-1][5] == launch.CREATE_NO_WINDOW
    api.CreateProcess("cmd", "cmd", None, None, False, launch.CREATE_NEW_CONSOLE, None, None, None)
    assert windows[-1][5] == launch.CREATE_NEW_CONSOLE  # one asked for: as asked


def test_a_console_shared_with_cmd_stays(launch, windows):
    kernel32, before = Kernel32(processes=2), sys.stderr
    assert not launch.leave_own_console([], kernel32=kernel32, winapi=winapi(windows))
    assert kernel32.calls == ["GetConsoleProcessList"] and sys.stderr is before


def test_the_command_line_keeps_its_console(launch, windows):
    kernel32 = Kernel32(processes=1)
    assert not launch.leave_own_console(["gui"], kernel32=kernel32, winapi=winapi(windows))
    assert not launch.leave_own_console(["info", "p"], kernel32=kernel32, winapi=winapi(windows))
    assert kernel32.calls == []


@pytest.mark.parametrize(
    "kernel32", [Kernel32(processes=1, frees=0), Kernel32(processes=1, fails=OSError("no"))]
)
def test_a_console_that_cannot_be_let_go_of_never_stops_the_app(launch, windows, kernel32):
    before = sys.stderr
    assert not launch.leave_own_console([], kernel32=kernel32, winapi=winapi(windows))
    assert sys.stderr is before


def test_nothing_happens_elsewhere_than_windows(launch, monkeypatch):
    kernel32 = Kernel32(processes=1)
    monkeypatch.setattr(sys, "platform", "linux")
    assert not launch.leave_own_console([], kernel32=kernel32)
    assert kernel32.calls == []


def test_the_app_started_without_arguments_leaves_its_console_first(launch, monkeypatch):
    import ssl_studio.cli

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(sys, "argv", ["ssl-studio.exe"])
    monkeypatch.setattr(launch, "leave_own_console", lambda args: calls.append(("leave", args)))
    monkeypatch.setattr(ssl_studio.cli, "main", lambda args: calls.append(("cli", args)) or 0)
    assert launch.main() == 0
    assert calls == [("leave", []), ("cli", ["gui"])]


def test_a_stream_on_the_null_device_takes_any_write(launch, windows):
    launch._streams_to_nothing()
    for stream in (sys.stdout, sys.stderr):
        assert stream.write("x") == 1
    assert isinstance(sys.stdin, io.TextIOBase) and sys.stdin.read() == ""
