"""The ssl-studio command line, run as a user would."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
from closed_pipe import ClosedPipe
from PIL import Image

from ssl_studio.cli import EXIT_BUSY, EXIT_CANCELLED, EXIT_FAILED, EXIT_OK, EXIT_USAGE, main


def make_images(folder, n=3):
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.full((12, 12), i * 40, np.uint8)).save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("not an image")


def test_new_import_info_report(tmp_path, capsys, dicom_file):
    project = tmp_path / "proj"
    assert main(["new", str(project)]) == EXIT_OK
    make_images(tmp_path / "xrays")
    shutil.copy(dicom_file("MR_truncated.dcm"), tmp_path / "xrays" / "broken.dcm")
    capsys.readouterr()
    code = main(["import", str(project), str(tmp_path / "xrays"), "--cache-size", "16"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "Dataset 'xrays' (image): 5 files seen, 3 imported (3 items)" in out
    assert "broken.dcm: The pixel data is shorter" in out and "[dicom-truncated]" in out

    assert main(["info", str(project), "--json"]) == EXIT_OK
    info = json.loads(capsys.readouterr().out)
    [dataset] = info["datasets"]
    assert info["format"] == 1 and info["schema_version"] >= 1
    assert (dataset["name"], dataset["items"], dataset["errors"], dataset["skipped"]) == (
        "xrays",
        3,
        1,
        1,
    )
    assert dataset["items_by_modality"] == {"PNG": 3} and dataset["cache_bytes"] > 0
    assert info["totals"]["items"] == 3

    assert main(["info", str(project)]) == EXIT_OK
    assert "xrays [image]: 3 items (PNG 3), cached at 16 px" in capsys.readouterr().out
    assert main(["report", str(project)]) == EXIT_OK
    report = capsys.readouterr().out
    assert "xrays: 2 files left out" in report and "notes.txt" in report


def test_jsonl_progress_is_one_json_object_per_line(tmp_path, capsys):
    project = tmp_path / "proj"
    main(["new", str(project)])
    make_images(tmp_path / "imgs")
    capsys.readouterr()
    assert main(["import", str(project), str(tmp_path / "imgs"), "--jsonl"]) == EXIT_OK
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["type"] == "started" and events[-1]["type"] == "finished"
    assert events[-1]["result"]["imported"] == 3
    assert any(e["type"] == "progress" for e in events)
    # --events jsonl, as every other job spells it, is the same
    assert main(["import", str(project), str(tmp_path / "imgs"), "--events", "jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[-1]["type"] == "finished" and events[-1]["result"]["imported"] == 0


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


def test_a_second_writer_is_refused_by_the_cli(tmp_path, capsys, other_writer):
    project = tmp_path / "proj"
    main(["new", str(project)])
    make_images(tmp_path / "imgs")
    other = other_writer(project, "the GUI's import")
    code = main(["import", str(project), str(tmp_path / "imgs")])
    other.communicate("\n", timeout=10)
    assert code == EXIT_BUSY == 75  # EX_TEMPFAIL: not a failure, to be tried again
    err = capsys.readouterr().err
    assert "being changed by another SSL Studio process" in err and "the GUI's import" in err
    assert "Or add --wait to wait for it." in err
    assert main(["import", str(project), str(tmp_path / "imgs")]) == EXIT_OK


def test_wait_queues_a_command_behind_the_other_writer(tmp_path, capsys, other_writer):
    """--wait-at-most gives up with 75 when the other process keeps the project; --wait
    imports once it lets go (a SLURM job queued behind another on one project)."""
    import threading

    project = tmp_path / "proj"
    main(["new", str(project)])
    make_images(tmp_path / "imgs")
    other = other_writer(project, "ssl-studio pretrain")
    command = ["import", str(project), str(tmp_path / "imgs")]
    assert main([*command, "--wait-at-most", "0.5"]) == EXIT_BUSY
    err = capsys.readouterr().err
    assert "waiting for it to finish (at most 0.5 s)" in err and "(waited 0.5 s)" in err
    assert "add --wait" not in err
    assert main([*command, "--wait-at-most", "-1"]) == EXIT_FAILED
    assert "--wait-at-most takes a number of seconds" in capsys.readouterr().err

    timer = threading.Timer(1.0, lambda: other.communicate("\n", timeout=10))
    timer.start()  # (a limit, so that a timer that fails cannot hang the suite)
    assert main([*command, "--wait-at-most", "120"]) == EXIT_OK
    timer.join()
    err = capsys.readouterr().err
    assert "waiting for it to finish (at most 120 s)..." in err
    # (the holder's line stays readable after a wait: no NUL bytes before it)
    assert "\x00" not in (project / ".write.lock").read_text(errors="replace")


def test_ctrl_c_while_waiting_says_it_stops_the_wait(tmp_path, capsys, other_writer):
    """It said "Stopping after the current files" while no file had been read."""
    import os
    import signal
    import threading

    project = tmp_path / "proj"
    main(["new", str(project)])
    make_images(tmp_path / "imgs")
    other_writer(project, "ssl-studio pretrain")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    code = main(["import", str(project), str(tmp_path / "imgs"), "--wait-at-most", "60"])
    timer.join()
    err = capsys.readouterr().err
    assert code == EXIT_BUSY and "(asked to stop while waiting)" in err
    assert "Stopping the wait (Ctrl+C again to abort)..." in err
    assert "Stopping after" not in err


def test_wait_means_as_long_as_it_takes_and_is_refused_under_torchrun(monkeypatch):
    from argparse import Namespace

    import pytest

    from ssl_studio.cli_output import lock_wait
    from ssl_studio.core.errors import ConfigError

    assert lock_wait(Namespace(wait=False, wait_at_most=None)) is None
    assert lock_wait(Namespace(wait=True, wait_at_most=None)).seconds is None
    assert lock_wait(Namespace(wait=False, wait_at_most=30.0)).seconds == 30.0
    assert lock_wait(Namespace(command="info")) is None  # (a reader: no such options)
    monkeypatch.setenv("WORLD_SIZE", "4")
    with pytest.raises(ConfigError, match="--wait works for one process"):
        lock_wait(Namespace(wait=True, wait_at_most=None))
    assert lock_wait(Namespace(wait=False, wait_at_most=None)) is None


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


def test_progress_lines_never_show_an_unknown_total():
    from ssl_studio.cli_output import _progress_text
    from ssl_studio.core.events import Progress

    lines = [
        _progress_text(Progress("import", done=3, phase="discover")),
        _progress_text(Progress("import", done=3, total=9, phase="scan")),
        _progress_text(Progress("import", done=3, total=9, counts={"items": 5})),
        _progress_text(Progress("label-efficiency", done=3, total=30, phase="k=5")),
        _progress_text(Progress("predict", done=64, phase="predict")),
    ]
    assert lines[0] == "Importing: looking for files, 3 found"
    assert lines[2].startswith("Importing: 3/9 files, 5 items")
    assert lines[-2] == "Label-efficiency: k=5, 3/30 done"
    assert lines[-1] == "Predicting: 64 items so far"
    assert not any("Importing" in line for line in lines[-2:])
    assert not any("None" in line for line in lines), lines
    assert _progress_text(Progress("predict", done=1, phase="predict")) == (
        "Predicting: 1 item so far"
    )
    files = Progress("predict", done=64, total=1000, eta_s=20.2, phase="predict")
    assert _progress_text(files) == "Predicting: 64 of 1000 files, about 20 s left"


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


def test_info_notes_an_import_cut_off_as_it_notes_a_stopped_one(tmp_path, capsys):
    from ssl_studio.core.project.store import Store

    project = tmp_path / "proj"
    main(["new", str(project)])
    make_images(tmp_path / "xrays")
    main(["import", str(project), str(tmp_path / "xrays"), "--cache-size", "16"])
    with Store.open(project, write=True) as store:  # killed during a re-import
        store.start_import(store.dataset("xrays")["id"], {})
    capsys.readouterr()
    assert main(["info", str(project)]) == EXIT_OK
    assert "    The last import did not finish (it was interrupted" in capsys.readouterr().out


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


def test_a_reader_that_stops_reading_neither_fails_the_command_nor_stops_the_job(
    tmp_path, monkeypatch
):
    """`ssl-studio import ... --jsonl | head -1` abandoned the import, and `info | head`
    blamed a path ("Broken pipe. Check that the path exists")."""
    import ssl_studio.cli_output as cli_output

    silenced = []
    monkeypatch.setattr(cli_output, "silence_stdout", lambda: silenced.append(True))
    monkeypatch.setattr("ssl_studio.cli.silence_stdout", lambda: silenced.append(True))
    project = tmp_path / "proj"
    assert main(["new", str(project)]) == EXIT_OK
    make_images(tmp_path / "xrays")
    monkeypatch.setattr(sys, "stdout", ClosedPipe(BrokenPipeError(32, "Broken pipe")))
    args = ["import", str(project), str(tmp_path / "xrays"), "--cache-size", "16", "--jsonl"]
    assert main(args) == EXIT_OK
    assert main(["info", str(project)]) == EXIT_OK and len(silenced) >= 2
    monkeypatch.undo()
    from ssl_studio.core.project.info import project_info

    assert [d["items"] for d in project_info(project)["datasets"]] == [3]  # all imported


def test_core_messages_name_the_options_as_the_command_line_spells_them(tmp_path, capsys):
    """A user who typed --test-fraction was told about test_fraction and val_fraction."""
    args = ["finetune", str(tmp_path), "--run", "1", "--test-fraction", "1.5"]
    assert main(args) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "--test-fraction must be in (0, 1) and --val-fraction in [0, 1)." in err
    assert main(["finetune", str(tmp_path), "--run", "1", "--threshold", "youden"]) == 1
    assert "set --val-fraction (e.g. 0.2)" in capsys.readouterr().err
    from ssl_studio.cli import in_flags

    flags = {"train.steps": "--steps", "val_fraction": "--val-fraction"}
    assert in_flags("train.steps must be at least 1.", flags) == "--steps must be at least 1."
    words = "the val_fractions, my.val_fraction and steps stay"
    assert in_flags(words, flags) == words
    listed = "Unknown option(s) x; valid options are: val_fraction, train.steps."
    assert in_flags(listed, flags) == listed  # names to type in a file or --set
    paths = "Not found: /study/val_fraction, 'val_fraction' and C:\\val_fraction\\x."
    assert in_flags(paths, flags) == paths  # a folder or a name that looks like an option


def test_ctrl_c_during_an_import_says_how_far_it_got_and_how_to_finish(tmp_path):
    """A real SIGINT to ``ssl-studio import``: the summary says how many files of how many
    were done and what to do, not just "Cancelled"."""
    import signal
    import sqlite3
    import time

    folder = tmp_path / "many"
    folder.mkdir()
    # enough files that the import is still running when its first commit (after 0.5 s)
    # shows: with 1 500 a fast machine imported them all before that
    n = 6000
    for i in range(n):
        Image.fromarray(np.full((16, 16), i % 256, np.uint8)).save(folder / f"{i:04d}.png")
    project = tmp_path / "p"
    assert main(["new", str(project)]) == EXIT_OK
    command = [sys.executable, "-m", "ssl_studio", "import", str(project), str(folder)]
    process = subprocess.Popen(
        [*command, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    db = sqlite3.connect(f"file:{project / 'project.db'}?mode=ro", uri=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if db.execute("SELECT COUNT(*) FROM files").fetchone()[0] > 0:
                break
        except sqlite3.OperationalError:  # the tables are being made
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    done = db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    db.close()
    assert process.returncode == 130, err
    assert 0 < done < n
    note = (
        f"Import stopped after {done} of {n} files — import the folder again to finish "
        "(files already imported are kept, not imported again)."
    )
    assert note in out
    info = subprocess.run([*command[:3], "info", str(project)], capture_output=True, text=True)
    assert f"    {note}" in info.stdout  # ssl-studio info says it too, later


def test_info_notes_a_folder_stopped_before_a_folder_inside_it_was_imported_to_the_end(
    tmp_path, capsys
):
    """info followed the last import only: ``import FOLDER`` stopped, then ``import
    FOLDER/sub --add`` finished, and the dataset showed as whole."""
    import time

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.data.decode import decode
    from ssl_studio.core.data.importer import Importer
    from ssl_studio.core.events import Progress, StopToken
    from ssl_studio.core.project.store import Store

    project, folder = tmp_path / "proj", tmp_path / "study"
    main(["new", str(project)])
    make_images(folder / "a", n=6)
    make_images(folder / "sub")
    stop = StopToken()

    def report(event):  # Ctrl+C once a file was decoded
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    def slow_decode(task):
        time.sleep(0.1)  # (progress is told every 0.2 s)
        return decode(task)

    cfg = ImportConfig(project=project, paths=[folder], name="ds", cache_size=16, workers=1)
    with Store.open(project, write=True) as store:
        stopped = Importer(store, cfg, report, stop, decoder=slow_decode).run()
    assert stopped["cancelled"] and stopped["files_done"] < stopped["files_seen"] == 11
    add = ["import", str(project), str(folder / "sub"), "--name", "ds", "--add"]
    assert main(add) == EXIT_OK
    capsys.readouterr()
    assert main(["info", str(project)]) == EXIT_OK
    said = capsys.readouterr().out
    assert "    An earlier import of another folder (started " in said
    done = stopped["files_done"]
    assert f"was stopped after {done} of 11 files — import that folder again to finish" in said

    assert main(["import", str(project), str(folder), "--name", "ds"]) == EXIT_OK
    capsys.readouterr()
    assert main(["info", str(project)]) == EXIT_OK
    assert "again to finish" not in capsys.readouterr().out


def test_progress_goes_to_stderr_as_it_is_when_the_job_runs(monkeypatch):
    """The default stream was the sys.stderr of the module's import: progress went to an
    earlier test's captured stream (and would to a replaced one in an embedding app)."""
    import io

    from ssl_studio.cli_output import TextReporter
    from ssl_studio.core.events import Progress

    now = io.StringIO()
    monkeypatch.setattr("sys.stderr", now)
    TextReporter()(Progress("label-efficiency", done=3, total=3, phase="k=5"))
    assert "Label-efficiency: k=5, 3/3 done" in now.getvalue()


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
