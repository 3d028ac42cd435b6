"""Each project has a random id (run numbers repeat across projects): made at creation,
kept when reopened, different in another project, drawn from nothing of the project's,
and given to a project made before ids the first time it is opened for writing."""

from __future__ import annotations

import uuid

from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store


def _id(project) -> str | None:
    with Store.open(project) as store:
        return store.project_id


def test_a_project_gets_a_random_id_that_survives_reopening(tmp_path):
    first = create_project(tmp_path / "first")
    second = create_project(tmp_path / "second")
    made = _id(first)
    assert made is not None and uuid.UUID(made).version == 4
    assert _id(first) == made  # read again
    with Store.open(first, write=True) as store:  # written again
        assert store.project_id == made
    assert _id(first) == made
    assert _id(second) != made
    assert "first" not in made and str(tmp_path) not in made


def test_a_project_made_before_ids_gets_one_when_first_written(tmp_path):
    project = create_project(tmp_path / "old")
    with Store.open(project, write=True) as store, store.transaction():
        store.conn.execute("DELETE FROM meta WHERE key = 'project_id'")  # (as before ids)
    assert _id(project) is None  # a reader writes nothing
    with Store.open(project, write=True) as store:
        given = store.project_id
    assert given is not None and uuid.UUID(given).version == 4
    assert _id(project) == given
