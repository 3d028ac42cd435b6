"""A pretraining run whose project's .write.lock is deleted while it trains (after a crash
the file still names the dead holder, which looks stale): a second writer then gets in and
marks the run interrupted, so the first must stop at its next commit with what happened,
never go on and record the run "done" beside the other."""

from __future__ import annotations

import sys

import pytest
from pretrain_shapes import config, shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.events import Step
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.project.lock import WriteLockLostError
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows cannot delete a file that is open"
)


def test_a_run_whose_lock_file_is_deleted_stops_and_is_never_recorded_done(tmp_path):
    project = create_project(tmp_path / "project")
    shapes(tmp_path / "shapes")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], workers=1))
    second: list[int] = []

    def report(event: object) -> None:
        if isinstance(event, Step) and not second:  # while the first job trains
            (project / ".write.lock").unlink()
            with Store.open(project, write=True, purpose="ssl-studio pretrain") as store:
                second.append(store.mark_interrupted_runs())

    with pytest.raises(WriteLockLostError, match="was deleted or replaced while this job"):
        pretrain(config(project, steps=6), report=report)
    assert second == [1]
    with Store.open(project) as store:
        (run,) = store.runs()
    assert run["status"] == "interrupted" and run["finished"] is None
