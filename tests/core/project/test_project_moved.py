"""A project folder moved or renamed, or on a drive disconnected, while SSL Studio works on
it: a job said "the cached data ... is missing: the project's cache folder was changed
outside SSL Studio. Import the dataset's folders again", wrong (the cache is intact), and
kept it for good as the run's error. It says the folder is no longer there, and to move it
back or reconnect, then resume. A folder that is not there at all is told from one that is
no project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.data.cache import CacheReader, CacheWriter
from ssl_studio.core.errors import ConfigError, NotAProjectError, ProjectMovedError
from ssl_studio.core.project.store import Store


def _cached(project: Path) -> tuple[CacheReader, dict]:
    folder = project / "cache" / "dataset-1"
    writer = CacheWriter(folder)
    name, slot = writer.add_image(np.zeros((1, 4, 4), np.uint8))
    writer.close()
    return CacheReader(folder), {"cache_file": name, "cache_index": slot}


def test_a_cache_read_after_the_project_moved_says_so(project: Path, tmp_path: Path):
    reader, item = _cached(project)
    assert reader.stored_image(item).shape == (1, 4, 4)
    project.rename(tmp_path / "elsewhere")
    with pytest.raises(ProjectMovedError) as caught:
        reader.stored_image(item)
    text = str(caught.value)
    assert f"The project folder {project} is no longer there" in text
    assert "Move it back (or reconnect the drive), then try again" in text
    assert "Import the dataset's folders again" not in text


def test_another_folder_put_at_its_path_is_not_the_project(project: Path, tmp_path: Path):
    reader, item = _cached(project)
    project.rename(tmp_path / "elsewhere")
    (project / "cache" / "dataset-1").mkdir(parents=True)  # (a new, empty one there)
    with pytest.raises(ProjectMovedError):
        reader.stored_image(item)


def test_a_cache_file_deleted_in_a_project_still_there_is_said_as_before(project: Path):
    reader, item = _cached(project)
    for file in (project / "cache" / "dataset-1").iterdir():
        file.unlink()
    with pytest.raises(ConfigError, match="Import the dataset's folders again"):
        reader.stored_image(item)


def test_a_folder_that_is_not_there_is_told_from_one_that_is_no_project(tmp_path: Path):
    with pytest.raises(NotAProjectError) as caught:
        Store.open(tmp_path / "gone")
    assert caught.value.missing
    assert "does not exist: it may have been moved, renamed or deleted" in str(caught.value)
    assert "drive or share that is not connected" in caught.value.command_line
    with pytest.raises(NotAProjectError) as caught:
        Store.open(tmp_path)
    assert not caught.value.missing and "is not an SSL Studio project" in str(caught.value)
