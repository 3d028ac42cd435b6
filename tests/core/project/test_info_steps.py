"""``info`` gives the steps of a run cut off or failed (no summary) from its checkpoints."""

from __future__ import annotations

from ssl_studio.cli import main
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def test_a_run_without_a_summary_has_its_newest_checkpoints_steps(tmp_path):
    project = tmp_path / "p"
    main(["new", str(project)])
    with Store.open(project, write=True) as store:
        dataset = store.conn.execute(
            "INSERT INTO datasets(name, modality, created) VALUES ('d', 'image', 'now')"
        ).lastrowid
        failed = store.create_run(dataset, "pretrain", {})
        store.add_checkpoint(failed, 20, 0, "periodic", f"runs/{failed}/checkpoints/a.pt")
        store.add_checkpoint(failed, 40, 1, "periodic", f"runs/{failed}/checkpoints/b.pt")
        store.fail_run(failed, RuntimeError("boom"))
        early = store.create_run(dataset, "pretrain", {})
        store.finish_run(early, "interrupted")  # before its first checkpoint
    steps = {r["id"]: r["steps"] for r in project_info(project)["runs"]}
    assert steps == {failed: 40, early: None}  # (it said None for both)
