"""``info`` gives the steps of a run cut off or failed (no summary) from its checkpoints."""

from __future__ import annotations

from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def test_a_run_without_a_summary_has_its_newest_checkpoints_steps(project):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("d", "image", 32)
        failed = store.create_run(dataset, "pretrain", {})
        store.add_checkpoint(failed, 20, 0, "periodic", f"runs/{failed}/checkpoints/a.pt")
        store.add_checkpoint(failed, 40, 1, "periodic", f"runs/{failed}/checkpoints/b.pt")
        store.fail_run(failed, RuntimeError("boom"))
        early = store.create_run(dataset, "pretrain", {})
        store.finish_run(early, "interrupted")  # before its first checkpoint
    steps = {r["id"]: r["steps"] for r in project_info(project)["runs"]}
    assert steps == {failed: 40, early: None}  # (it said None for both)


def test_a_resumed_run_cut_off_has_its_newest_checkpoints_steps_not_its_old_summary(project):
    """A run stopped at 100 (summary: 100 steps), resumed and cut off at 250: 250, and its
    last session ends there; a resume retried before any step is one session, not two."""
    from ssl_studio.core.project.run_record import run_record

    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("d", "image", 32)
        run = store.create_run(dataset, "pretrain", {})
        store.add_checkpoint(run, 100, 0, "stop", f"runs/{run}/checkpoints/a.pt")
        store.finish_run(run, "stopped", {"steps": 100})
        store.resume_run(run, "CPU", 1, step=100)
        store.finish_run(run, "interrupted")  # ended before its first step
        store.resume_run(run, "CPU", 2, step=100)  # tried again
        store.add_checkpoint(run, 250, 1, "periodic", f"runs/{run}/checkpoints/b.pt")
        store.finish_run(run, "interrupted")
    [row] = [r for r in project_info(project)["runs"] if r["id"] == run]
    assert row["steps"] == 250
    sessions = run_record(project, run)["sessions"]
    assert [(s["from_step"], s["to_step"]) for s in sessions] == [(0, 100), (100, 250)]
    assert sessions[1]["processes"] == 2  # (the retried resume's, not the first try's)
