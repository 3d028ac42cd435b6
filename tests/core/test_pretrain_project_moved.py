"""A pretraining run whose project folder is renamed (or its share disconnected) while it
trains stops saying so, with how to resume it once the folder is back, and is left
interrupted (resumable), not failed with "import the dataset's folders again"."""

from __future__ import annotations

import pytest
from pretrain_shapes import config, shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ProjectMovedError
from ssl_studio.core.events import Step
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.project.store import Store


def test_a_run_whose_project_is_moved_away_says_so_and_can_be_resumed(tmp_path):
    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    moved = tmp_path / "project-renamed"

    def report(event: object) -> None:
        if isinstance(event, Step) and not moved.exists():
            project.rename(moved)

    with pytest.raises(ProjectMovedError) as caught:
        pretrain(config(project, steps=6), report=report)
    text = str(caught.value)
    assert f"The project folder {project} is no longer there" in text
    assert f"then resume run 1: ssl-studio pretrain {project} --resume 1." in text
    moved.rename(project)
    with Store.open(project) as store:
        (run,) = store.runs()
    assert run["status"] == "interrupted" and run["error"] == text
    assert "Import the dataset" not in text
