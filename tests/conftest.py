"""Shared fixtures. Qt runs offscreen; real DICOM comes from pydicom's bundled corpus."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from dicom_corpora import PYDICOM_FILES  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from ssl_studio.core.jobs import create_project  # noqa: E402


@pytest.fixture(autouse=True)
def user_config(tmp_path_factory, monkeypatch) -> Path:
    """Every test has its own config folder: a window made without a settings object (the
    `gui --smoke-test` command) writes its geometry and recent projects there, never into
    the user's ~/.config/SSL Studio. Qt reads XDG_CONFIG_HOME once per process, so the
    folder is also given to QSettings directly; subprocesses get it from the environment.
    Returns the folder."""
    folder = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    for form in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(form, QSettings.Scope.UserScope, str(folder))
    return folder


@pytest.fixture(autouse=True)
def signal_handlers():
    """Ctrl+C and SIGTERM handlers as they were before the test, after it: a command run
    in-process that left its handler would make pytest ignore SIGTERM (a CI timeout)."""
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in before.items():
        if handler is not None and signal.getsignal(signum) is not handler:
            signal.signal(signum, handler)


@pytest.fixture
def dicom_file():
    """A file of pydicom's corpus by its path relative to test_files."""

    def get(name: str) -> Path:
        path = PYDICOM_FILES / name
        assert path.is_file(), f"pydicom test file {name} is missing"
        return path

    return get


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A new, empty project folder."""
    return create_project(tmp_path / "project")


@pytest.fixture
def other_writer():
    """Start another process that holds ``project``'s write lock (as a second SSL Studio
    would) and return it; it lets go when a line is written to its stdin, and is ended at
    the end of the test."""
    started: list[subprocess.Popen] = []

    def start(project: Path, purpose: str) -> subprocess.Popen:
        holder = textwrap.dedent(f"""
            import sys
            from ssl_studio.core.project.store import Store
            with Store.open({str(project)!r}, write=True, purpose={purpose!r}):
                print("locked", flush=True)
                sys.stdin.readline()
        """)
        proc = subprocess.Popen(
            [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        started.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
