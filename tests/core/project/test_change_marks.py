"""The marks the window compares to tell which parts of a project another process changed:
each write moves its own part's mark, and leaves the others as they were."""

from __future__ import annotations

from ssl_studio.core.project.store import Store


def _marks(project) -> dict:
    with Store.open(project) as store:
        return store.change_marks()


def _changed(before: dict, after: dict) -> set[str]:
    return {part for part in before if before[part] != after[part]}


def test_each_write_moves_its_own_parts_mark(project):
    first = _marks(project)
    assert _marks(project) == first  # (read again, nothing changed)

    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("chest", "image", 32)
    second = _marks(project)
    assert _changed(first, second) == {"datasets"}

    with Store.open(project, write=True) as store:
        store.add_label_set(dataset, "diagnosis", "labels.csv", {})
    labelled = _marks(project)
    assert _changed(second, labelled) == {"labels"}

    with Store.open(project, write=True) as store:
        run = store.create_run(dataset, "pretrain", {"task": "simclr"})
    third = _marks(project)
    assert _changed(labelled, third) == {"runs"}

    with Store.open(project, write=True) as store:
        store.add_metrics(run, [(1, 0, "loss", 2.0)])
    fourth = _marks(project)
    assert _changed(third, fourth) == {"curves"}  # a running run's curve grew

    with Store.open(project, write=True) as store:
        store.add_checkpoint(run, 1, 0, "periodic", f"runs/{run}/checkpoints/a.pt")
    fifth = _marks(project)
    assert _changed(fourth, fifth) == {"curves"}

    with Store.open(project, write=True) as store:
        store.finish_run(run, "done", {"steps": 1, "seconds": 1.0})
    sixth = _marks(project)
    assert _changed(fifth, sixth) == {"runs"}

    with Store.open(project, write=True) as store:
        store.add_export(run, "exports/a", ["onnx"], {})
    seventh = _marks(project)
    assert _changed(sixth, seventh) == {"exports"}

    with Store.open(project, write=True) as store:
        store.delete_runs([run])
    assert "runs" in _changed(seventh, _marks(project))
