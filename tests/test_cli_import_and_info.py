"""The ssl-studio command line, run as a user would: new, import, info and report,
progress output, Ctrl+C during an import, and a second writer refused or waited for."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
from closed_pipe import ClosedPipe
from PIL import Image

from ssl_studio.cli import EXIT_BUSY, EXIT_FAILED, EXIT_OK, main


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

    (tmp_path / "scans").mkdir()  # one file left out: the singular
    Image.fromarray(np.full((12, 12), 200, np.uint8)).save(tmp_path / "scans" / "a.png")
    (tmp_path / "scans" / "notes.txt").write_text("not an image")
    assert main(["import", str(project), str(tmp_path / "scans"), "--cache-size", "16"]) == 0
    capsys.readouterr()
    assert main(["report", str(project), "--dataset", "scans"]) == EXIT_OK
    assert capsys.readouterr().out.startswith("scans: 1 file left out\n")


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
    from ssl_studio.cli import build_parser, in_flags

    # (said once the labels are read, finetune/setup.prepare: as finetune's flags spell it)
    finetune = build_parser().parse_args(["finetune", str(tmp_path), "--run", "1"])
    said = "Picking a threshold needs validation labels: set val_fraction (e.g. 0.2)."
    assert "set --val-fraction (e.g. 0.2)" in in_flags(said, finetune.flags())

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
