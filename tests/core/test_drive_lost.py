"""A project's drive that stops answering mid-job (a network share, VPN or server that
dropped; a disk unplugged): SQLite's "disk I/O error" and the system's EIO, ESTALE,
ENOTCONN, EHOSTDOWN, ETIMEDOUT were "unexpected error ... a bug in SSL Studio". They say
what happened and what to do (reconnect, then resume the run or try again),
naming no file outside the project (a file's name may name its patient)."""

from __future__ import annotations

import errno
import sqlite3

import pytest
from pretrain_shapes import config, shapes

from ssl_studio.cli import main
from ssl_studio.cli_output import EXIT_FAILED
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.project.store import Store
from ssl_studio.core.storage_errors import DriveLostError, is_drive_lost, user_error

LOST = [
    sqlite3.OperationalError("disk I/O error"),
    *(OSError(code, "lost") for code in (errno.EIO, errno.ESTALE, errno.ENOTCONN)),
    *(OSError(code, "lost") for code in (errno.EHOSTDOWN, errno.ETIMEDOUT)),
]


@pytest.mark.parametrize("exc", LOST, ids=lambda e: str(getattr(e, "errno", None) or e))
def test_a_drive_that_stopped_answering_is_said_so(exc, tmp_path):
    told = user_error(exc, tmp_path / "p")
    assert isinstance(told, DriveLostError)
    text = str(told)
    assert text.startswith("The project's drive stopped answering")
    assert "network share, VPN or server" in text and "what was saved is kept" in text
    assert "Reconnect it, then try again" in text


def test_other_errors_are_not_taken_for_a_lost_drive():
    assert not is_drive_lost(OSError(errno.ENOENT, "No such file"))
    assert not is_drive_lost(sqlite3.OperationalError("no such table: runs"))
    assert not is_drive_lost(ValueError("disk I/O error"))
    # (a socket's own: a torchrun peer gone is said as such, not as a drive)
    assert not is_drive_lost(ConnectionResetError(errno.ECONNRESET, "Connection reset"))


def test_a_lost_drive_of_the_folders_being_read_names_no_file(tmp_path):
    exc = OSError(errno.EIO, "Input/output error", "/scans/Doe_John/0001.dcm")
    text = str(user_error(exc, tmp_path / "p"))
    assert text.startswith("The drive of the folders being read stopped answering")
    assert "Doe_John" not in text
    inside = OSError(errno.EIO, "Input/output error", str(tmp_path / "p" / "cache" / "x"))
    assert str(user_error(inside, tmp_path / "p")).startswith("The project's drive")


@pytest.mark.parametrize("exc", [LOST[0], LOST[1]], ids=["sqlite", "oserror"])
def test_the_command_line_says_it_instead_of_a_bug(exc, tmp_path, capsys, monkeypatch):
    def lost(*args, **kwargs):
        raise exc

    monkeypatch.setattr("ssl_studio.core.jobs.create_project", lost)
    assert main(["new", str(tmp_path / "p")]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "stopped answering" in err and "Reconnect it" in err
    assert "bug" not in err and "Check that the path exists" not in err


def test_a_run_cut_off_by_a_lost_drive_says_how_to_resume_it(tmp_path, monkeypatch):
    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    real = Store.add_metrics
    calls = []

    def dropped(self, run_id, rows):
        calls.append(run_id)
        if len(calls) > 1:  # (the share dropped after the first steps)
            raise sqlite3.OperationalError("disk I/O error")
        real(self, run_id, rows)

    monkeypatch.setattr(Store, "add_metrics", dropped)
    with pytest.raises(DriveLostError) as caught:
        pretrain(config(project, steps=6))
    text = str(caught.value)
    assert "The project's drive stopped answering (disk I/O error)" in text
    assert f"then resume run 1: ssl-studio pretrain {project} --resume 1;" in text
    with Store.open(project) as store:
        (run,) = store.runs()
    assert run["status"] == "interrupted" and run["error"] == text  # (resumable)
