"""A new dataset whose import did not finish (stopped with Ctrl+C, or killed) is called
'(importing)' until an import finishes it: asked for by the name it was to get, or seen
in ``info``, it is told as an unfinished import with how to finish it."""

from __future__ import annotations

import pytest
from stopped_imports import killed_import, pngs, stopped_import

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store import Store
from ssl_studio.core.wording import command_line


def _unknown(project, name: str) -> str:
    with Store.open(project) as store, pytest.raises(ConfigError) as raised:
        store.dataset_named(name)
    return str(raised.value)


def test_a_stopped_new_import_asked_for_by_its_folder_s_name_says_how_to_finish(
    project, tmp_path, monkeypatch, capsys
):
    """``pretrain P --dataset big2`` after Ctrl+C said: "No dataset 'big2' in this
    project: its datasets are '(importing)'"."""
    monkeypatch.chdir(tmp_path)
    pngs(tmp_path / "big2", 30)
    stopped_import(project, tmp_path / "big2")
    command = command_line("ssl-studio", "import", project, "big2")
    said = _unknown(project, "big2")
    assert said.startswith("The import of 'big2' was stopped before it finished: run ")
    assert f"`{command}` again to finish it" in said and "import the folder again" in said
    assert main(["pretrain", str(project), "--dataset", "big2", "--epochs", "1"]) != 0
    assert "The import of 'big2' was stopped before it finished" in capsys.readouterr().err


def test_an_unfinished_import_is_known_by_the_name_given_from_any_folder(
    project, tmp_path, monkeypatch
):
    pngs(tmp_path / "scans", 30)
    stopped_import(project, tmp_path / "scans", name="knees")
    monkeypatch.chdir(project)  # (elsewhere: its folder cannot be named)
    said = _unknown(project, "knees")
    command = command_line("ssl-studio", "import", project, "FOLDER", "--name", "knees")
    assert said.startswith("The import of 'knees' was stopped before it finished")
    assert f"`{command}` (FOLDER: the folder you imported)" in said
    said = _unknown(project, "scans")  # another name: not that import, but it may be
    assert said.startswith("No dataset 'scans' in this project: it has no datasets yet.")
    assert "An import of a new dataset did not finish (shown as '(importing)')" in said


def test_info_shows_a_killed_new_import_as_unfinished_not_as_a_dataset(
    project, tmp_path, monkeypatch, capsys
):
    pngs(tmp_path / "big2", 4)
    killed_import(project, tmp_path / "big2", monkeypatch)
    monkeypatch.chdir(tmp_path)
    said = _unknown(project, "big2")
    assert said.startswith("The import of 'big2' did not finish (it was interrupted")
    assert main(["info", str(project)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not [line for line in lines if line.startswith("  (importing) [")]
    assert any(
        line.startswith("  An unfinished import of a new dataset (2 items so far") for line in lines
    )
    assert any("The last import did not finish" in line for line in lines)
    assert any(line.startswith("    To finish it, run `ssl-studio import ") for line in lines)
