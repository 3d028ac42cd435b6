"""The command line under conditions only Windows has, simulated on any system."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch  # noqa: F401  (before a test says win32: torch's import would load DLLs)
from closed_pipe import ClosedPipe
from PIL import Image

from ssl_studio.cli import EXIT_FAILED, EXIT_OK, main
from ssl_studio.core import atomic_files


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


def test_a_table_open_in_excel_is_named_with_what_to_do(tmp_path, monkeypatch, capsys):
    """Windows refuses to replace a file Excel has open (simulated): the message named
    the temporary file os.replace was given first (".predictions-k3j2.csv"), not the
    table, and never said to close it."""
    from ssl_studio.core import jobs

    out = tmp_path / "predictions.csv"
    out.write_text("open in Excel", encoding="utf-8")

    def predict(export_dir, paths, out, **options):  # writes its table as predict does
        tmp = out.with_name(f".{out.stem}-k3j2.csv")
        tmp.write_text("new", encoding="utf-8")
        try:
            atomic_files.replace_durably(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return {"items": 1, "errors": 0, "out": str(out), "cancelled": False}

    def replace(src, dst, *args, **kwargs):
        raise PermissionError(13, "Access is denied", os.fspath(src), None, os.fspath(dst))

    monkeypatch.setattr(jobs, "predict", predict)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(atomic_files.time, "sleep", lambda s: None)
    monkeypatch.setattr(os, "replace", replace)
    command = ["predict", str(tmp_path), "x.png", "--out", str(out), "--overwrite"]
    assert main(command) == EXIT_FAILED
    err = capsys.readouterr().err
    assert str(out) in err and "k3j2" not in err
    assert "Close it in Excel or any other program that has it open" in err
    assert out.read_text(encoding="utf-8") == "open in Excel"


def test_a_reader_gone_on_windows_is_a_closed_pipe_not_a_path_error(tmp_path, monkeypatch):
    """Windows says a pipe whose reader went away (`| more` quit) with OSError EINVAL, not
    BrokenPipeError: `info` then blamed a path ("Invalid argument. Check that the path
    exists"), and an import with --jsonl ended as soon as its reader stopped."""
    import ssl_studio.cli_output as cli_output

    silenced = []
    monkeypatch.setattr(cli_output, "silence_stdout", lambda: silenced.append(True))
    monkeypatch.setattr("ssl_studio.cli.silence_stdout", lambda: silenced.append(True))
    project = tmp_path / "proj"
    assert main(["new", str(project)]) == EXIT_OK
    folder = tmp_path / "xrays"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((12, 12), i * 40, np.uint8)).save(folder / f"{i}.png")
    monkeypatch.setattr(sys, "stdout", ClosedPipe(OSError(22, "Invalid argument")))
    assert main(["import", str(project), str(folder), "--jsonl"]) == EXIT_OK
    monkeypatch.setattr(sys, "platform", "win32")  # (not for the import's workers)
    assert main(["info", str(project)]) == EXIT_OK and len(silenced) >= 2
    monkeypatch.undo()
    from ssl_studio.core.project.info import project_info

    assert [d["items"] for d in project_info(project)["datasets"]] == [3]  # all imported


def test_an_invalid_path_is_still_a_path_error_on_windows(monkeypatch):
    from ssl_studio.cli_output import reader_gone

    monkeypatch.setattr(sys, "platform", "win32")
    # (stdout works: an EINVAL without a file is a real failure, a share gone mid-write)
    assert not reader_gone(OSError(22, "Invalid argument"))

    monkeypatch.setattr(sys, "stdout", ClosedPipe(OSError(22, "Invalid argument")))
    assert reader_gone(OSError(22, "Invalid argument"))
    assert not reader_gone(OSError(22, "Invalid argument", "C:\\scans\\a:b.png"))
    assert not reader_gone(OSError(13, "Permission denied"))
    monkeypatch.setattr(sys, "platform", "linux")
    assert not reader_gone(OSError(22, "Invalid argument"))


def test_ctrl_break_stops_a_command_as_ctrl_c_does(monkeypatch):
    """Windows' Ctrl+Break (SIGBREAK; SIGUSR2 stands in for it here) ended a command at
    once, a training run without its checkpoint."""
    import signal

    from ssl_studio.cli_output import signals_kept, stop_on_ctrl_c

    def ignored(signum, frame):  # (not SIGUSR2's default: that would end the tests)
        pass

    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR2, raising=False)
    before = signal.signal(signal.SIGUSR2, ignored)
    try:
        with signals_kept():
            stop = stop_on_ctrl_c(say=False)
            signal.raise_signal(signal.SIGUSR2)
            assert stop.stopped  # the job stops at its next step
            with pytest.raises(KeyboardInterrupt):  # a second one interrupts, as Ctrl+C
                signal.raise_signal(signal.SIGUSR2)
        assert signal.getsignal(signal.SIGUSR2) is ignored  # put back when it ends
    finally:
        signal.signal(signal.SIGUSR2, before)


def test_ctrl_break_closes_the_window_as_ctrl_c_does(qtbot, monkeypatch):
    import signal

    from PySide6.QtWidgets import QWidget

    from ssl_studio.gui.app import close_on_signals

    class Window(QWidget):
        closed = False

        def quit_unattended(self) -> None:
            self.closed = True

    monkeypatch.setattr(signal, "SIGBREAK", signal.SIGUSR2, raising=False)
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR2)}
    window = Window()
    qtbot.addWidget(window)
    signal.signal(signal.SIGUSR2, lambda signum, frame: None)  # (its default ends the tests)
    try:
        watch = close_on_signals(window)
        signal.raise_signal(signal.SIGUSR2)
        qtbot.waitUntil(lambda: window.closed, timeout=5_000)
        watch.stop()
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
