"""A run deleted by another process leaves its exports without a run: the exports' mark
moves too, so the window's Exports table stops naming the deleted run."""

from __future__ import annotations

from ssl_studio.core.project.store import Store


def _marks(project) -> dict:
    with Store.open(project) as store:
        return store.change_marks()


def test_deleting_an_exported_run_moves_the_exports_mark(project):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("chest", "image", 32)
        run = store.create_run(dataset, "pretrain", {"task": "simclr"})
        store.finish_run(run, "done", {"steps": 1, "seconds": 1.0})
        store.add_export(run, "exports/a", ["onnx"], {})
    before = _marks(project)
    with Store.open(project, write=True) as store:
        store.delete_runs([run])
    after = _marks(project)
    assert {part for part in before if before[part] != after[part]} == {"runs", "exports"}
