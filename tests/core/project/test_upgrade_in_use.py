"""Upgrading a project on Windows while an antivirus scans the fresh copy of its database
(simulated): renaming the copy into place fails for a moment (PermissionError), which
made the upgrade fail; it is tried again, as every other such rename is. A scan that
goes on is said as what it is (not "close it in Excel"), and the project is unchanged."""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
from old_schema import dump, schema_2_project

from ssl_studio.core import atomic_files
from ssl_studio.core.errors import ProjectError
from ssl_studio.core.project.schema import SCHEMA_VERSION
from ssl_studio.core.project.store import Store


def test_an_upgrade_waits_for_a_scan_of_its_copy_to_end(project: Path, monkeypatch):
    schema_2_project(project)
    monkeypatch.setattr(atomic_files, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.setattr(atomic_files.time, "sleep", lambda seconds: None)
    real_replace, refused = os.replace, []

    def replace(source, target, **kwargs):
        if str(source).endswith(".bak.partial") and len(refused) < 2:  # (scanned twice)
            refused.append(source)
            raise PermissionError(13, "The process cannot access the file", str(source))
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with Store.open(project, write=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.upgrade is not None and store.upgrade.backup.is_file()
    assert len(refused) == 2
    assert not list(project.glob("*.partial"))


def test_a_copy_held_for_good_is_said_as_a_scan_and_the_project_stays_as_it_was(
    project: Path, monkeypatch
):
    before = schema_2_project(project)
    monkeypatch.setattr(atomic_files, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.setattr(atomic_files.time, "sleep", lambda seconds: None)
    real_replace = os.replace

    def replace(source, target, **kwargs):
        if str(source).endswith(".bak.partial"):  # (a scan that does not let go)
            raise PermissionError(13, "The process cannot access the file", str(source))
        return real_replace(source, target, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(ProjectError) as info:
        Store.open(project, write=True).close()
    said = str(info.value)
    assert said.startswith("Cannot upgrade the project: the copy of its database made first")
    assert "most likely an antivirus" in said and "Excel" not in said
    assert "The project was not upgraded and is as it was (schema 2)" in said
    assert "Wait a moment and try again" in said and "real-time scanning" in said
    assert ".bak" not in said  # (no backup was made: none to name)
    assert dump(project / "project.db") == before
    assert not list(project.glob("*.bak*"))
