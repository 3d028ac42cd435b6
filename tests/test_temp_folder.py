"""No writable temporary folder (/tmp and /var/tmp read-only, TMPDIR unset or unusable):
the user's own cache folder stands in before torch is imported, or a clear message says
what to do (hospital IT audit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ssl_studio.temp_folder import ensure_temp_folder, user_temp_folder

ROOT = Path(__file__).resolve().parents[1]

# A fresh interpreter where only TMPDIR, TEMP and TMP are candidates (the system's /tmp,
# /var/tmp and the working folder are taken away: a test cannot make /tmp read-only, and
# a root user may write a read-only folder, so TMPDIR names a plain file instead).
NO_SYSTEM_TEMP = (
    "import os, tempfile\n"
    "tempfile._candidate_tempdir_list = lambda: [os.environ[n] for n in "
    "('TMPDIR', 'TEMP', 'TMP') if os.environ.get(n)]\n"
)


@pytest.fixture
def no_system_temp(tmp_path, monkeypatch):
    """tempfile's candidates all unusable: TMPDIR a file, no system folders."""
    unusable = tmp_path / "not-a-folder"
    unusable.write_text("")
    for name in ("TMPDIR", "TEMP", "TMP", "TORCHINDUCTOR_CACHE_DIR"):
        # (set first, so that monkeypatch records each, absent ones included, and takes
        # away afterwards what ensure_temp_folder sets: a leaked TMPDIR made later tests'
        # socket paths too long)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("TMPDIR", str(unusable))
    monkeypatch.setattr(
        tempfile,
        "_candidate_tempdir_list",
        lambda: [os.environ[n] for n in ("TMPDIR", "TEMP", "TMP") if os.environ.get(n)],
    )
    monkeypatch.setattr(tempfile, "tempdir", None)
    yield unusable
    tempfile.tempdir = None


def test_a_usable_system_folder_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert ensure_temp_folder(tmp_path / "fallback") == (None, None)
    assert os.environ["TMPDIR"] == str(tmp_path)
    assert not (tmp_path / "fallback").exists()


def test_the_users_folder_stands_in(no_system_temp, tmp_path):
    fallback = tmp_path / "cache" / "ssl-studio" / "tmp"
    notice, problem = ensure_temp_folder(fallback)
    assert problem is None
    assert notice is not None and str(fallback) in notice and "TMPDIR" in notice
    assert fallback.is_dir()
    assert tempfile.gettempdir() == str(fallback)
    assert all(os.environ[n] == str(fallback) for n in ("TMPDIR", "TEMP", "TMP"))
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(fallback / "torchinductor")


def test_nothing_writable_says_what_to_do(no_system_temp, tmp_path):
    blocked = tmp_path / "file-in-the-way"
    blocked.write_text("")  # (a folder cannot be made under a file, even by root)
    notice, problem = ensure_temp_folder(blocked / "tmp")
    assert notice is None
    assert problem is not None and "TMPDIR" in problem and "export TMPDIR" in problem
    assert os.environ["TMPDIR"] == str(no_system_temp)  # left as it was


def test_user_folder_per_platform(monkeypatch, tmp_path):
    if sys.platform.startswith("linux"):
        assert user_temp_folder({"XDG_CACHE_HOME": str(tmp_path)}) == (
            tmp_path / "ssl-studio" / "tmp"
        )
        assert user_temp_folder({"XDG_CACHE_HOME": "relative"}) == (
            Path.home() / ".cache" / "ssl-studio" / "tmp"
        )
    monkeypatch.setattr(sys, "platform", "win32")
    assert user_temp_folder({"LOCALAPPDATA": str(tmp_path)}) == tmp_path / "SSL Studio" / "tmp"


def _fresh(code: str, tmp_path: Path, cache: Path) -> subprocess.CompletedProcess:
    unusable = tmp_path / "read-only-tmp"
    unusable.write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TEMP", "TMP", "TORCHINDUCTOR_CACHE_DIR", "XDG_CACHE_HOME")
    }
    env.update(TMPDIR=str(unusable), XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", NO_SYSTEM_TEMP + code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG cache folder")
def test_startup_falls_back_before_torch_is_imported(tmp_path):
    """torchvision's import failed "No usable temporary directory found" (torch's compile
    cache); the import's forkserver needs its socket there too."""
    code = (
        "import ssl_studio.cli, torchvision, multiprocessing\n"
        "from torch._inductor.runtime.cache_dir_utils import cache_dir\n"
        "ctx = multiprocessing.get_context('forkserver')\n"
        "p = ctx.Process(target=print, args=('worker ran',)); p.start(); p.join()\n"
        "print('TMPDIR', os.environ['TMPDIR']); print('CACHE', cache_dir())\n"
    )
    # (short: the forkserver's socket path must fit in 107 bytes)
    cache = Path(tempfile.mkdtemp(prefix="c", dir="/tmp"))
    try:
        done = _fresh(code, tmp_path, cache)
    finally:
        shutil.rmtree(cache)
    assert done.returncode == 0, done.stderr
    fallback = cache / "ssl-studio" / "tmp"
    assert f"TMPDIR {fallback}\n" in done.stdout
    assert f"CACHE {fallback / 'torchinductor'}\n" in done.stdout
    assert "worker ran" in done.stdout
    assert done.stderr.count("temporary files go to") == 1  # one line, said once
    assert "ssl-studio: the system's temporary folder cannot be written" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG cache folder")
def test_command_line_stops_clearly_when_nothing_is_writable(tmp_path):
    blocked = tmp_path / "file-in-the-way"
    blocked.write_text("")
    code = "import sys\nfrom ssl_studio.cli import main\nsys.exit(main(['info', '.']))\n"
    done = _fresh(code, tmp_path, blocked)
    assert done.returncode == 1
    assert "No folder for temporary files can be written" in done.stderr
    assert "TMPDIR" in done.stderr
    assert "Traceback" not in done.stderr


def test_not_among_the_users_files_in_the_working_folder(no_system_temp, tmp_path, monkeypatch):
    """tempfile's last resort is the working folder (a folder of scans, wherever the app
    was started): the user's cache folder is used before it, the working folder only
    where that cannot be written."""
    work = tmp_path / "scans"
    work.mkdir()
    monkeypatch.chdir(work)
    candidates = tempfile._candidate_tempdir_list
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [*candidates(), str(work)])
    fallback = tmp_path / "cache" / "tmp"
    notice, problem = ensure_temp_folder(fallback)
    assert notice is not None and problem is None
    assert tempfile.gettempdir() == str(fallback)
    blocked = tmp_path / "file-in-the-way"
    blocked.write_text("")
    monkeypatch.setenv("TMPDIR", str(no_system_temp))
    for name in ("TEMP", "TMP"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert ensure_temp_folder(blocked / "tmp") == (None, None)
    assert tempfile.gettempdir() == str(work)


def test_the_working_folder_that_is_also_a_system_folder_is_kept(tmp_path, monkeypatch):
    """``cd /tmp`` with TMPDIR unset: /tmp is found as a system folder, not as the last
    resort (a false notice, and TMPDIR moved to the user's cache folder)."""
    system = tmp_path / "tmp"
    system.mkdir()
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(system)
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [str(system), os.getcwd()])
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert ensure_temp_folder(tmp_path / "fallback") == (None, None)
    assert not (tmp_path / "fallback").exists() and "TMPDIR" not in os.environ


def test_no_home_folder_makes_nothing_in_the_working_folder(no_system_temp, tmp_path, monkeypatch):
    """Path.home() failing (no HOME, no passwd entry) made a folder literally named "~"
    in the working folder."""
    import ssl_studio.temp_folder as temp_folder

    def no_home(environ=None):
        raise RuntimeError("Could not determine home directory.")

    work = tmp_path / "scans"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(temp_folder, "user_temp_folder", no_home)
    notice, problem = ensure_temp_folder()
    assert notice is None and problem is not None and "export TMPDIR" in problem
    candidates = tempfile._candidate_tempdir_list
    monkeypatch.setattr(tempfile, "_candidate_tempdir_list", lambda: [*candidates(), str(work)])
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert ensure_temp_folder() == (None, None)  # (the working folder: better than nothing)
    assert tempfile.gettempdir() == str(work)
    assert list(work.iterdir()) == []


def test_a_scripts_own_temporary_folder_is_kept(no_system_temp, tmp_path, monkeypatch):
    """A script that sets tempfile.tempdir, then imports ssl_studio, keeps its choice."""
    mine = tmp_path / "mine"
    mine.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(mine))
    assert ensure_temp_folder(tmp_path / "fallback") == (None, None)
    assert tempfile.gettempdir() == str(mine)
    assert not (tmp_path / "fallback").exists()


def test_the_windowed_app_says_a_missing_temporary_folder_in_a_window(monkeypatch):
    """Started by a double click, the packaged app has no console (sys.stderr is None):
    the message was printed to nowhere and the app ended without a word."""
    import sys

    from PySide6.QtWidgets import QMessageBox

    from ssl_studio import cli

    shown = []
    monkeypatch.setattr(cli, "TEMP_PROBLEM", "No folder for temporary files can be written.")
    monkeypatch.setattr(sys, "stderr", None)
    monkeypatch.setattr(QMessageBox, "critical", lambda *args: shown.append(args[1:]))
    assert cli.main(["gui"]) == cli.EXIT_FAILED
    assert shown == [("SSL Studio cannot start", "No folder for temporary files can be written.")]
