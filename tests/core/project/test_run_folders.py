"""Run ids and folders: a new run always gets a new, empty folder, never one that is
already there (a run the database no longer lists, after an older project.db came back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssl_studio.core.project.store import Store


def test_a_new_run_skips_the_ids_of_run_folders_already_on_disk(project: Path):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        first = store.create_run(dataset, "pretrain", {"task": "simclr"})
        assert first == 1 and (project / "runs" / "1").is_dir()
        # folders of runs 2 and 5 that this database does not know (and a stray name)
        for name in ("2", "5", "notes"):
            (project / "runs" / name).mkdir()
        (project / "runs" / "2" / "config.json").write_text('{"old": true}')
        second = store.create_run(dataset, "pretrain", {"task": "byol"})
        assert second == 6
        assert store.run(second)["folder"] == "runs/6"
        assert list((project / "runs" / "6").iterdir()) == []  # new and empty
    assert (project / "runs" / "2" / "config.json").read_text() == '{"old": true}'


def test_a_run_whose_folder_cannot_be_made_is_not_recorded(project: Path, monkeypatch):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)

        def refuse(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "mkdir", refuse)
        with pytest.raises(PermissionError):
            store.create_run(dataset, "pretrain", {"task": "simclr"})
        monkeypatch.undo()
        assert store.runs() == []
