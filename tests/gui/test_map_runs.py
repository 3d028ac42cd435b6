"""The Map's Run list: each run says how it ended, the newest finished one is chosen (a
run stopped after a few steps maps poorly), and with no run the page says where to make
one."""

from __future__ import annotations

from ssl_studio.core.project.store import Store

from gui_helpers import import_shapes


def _run(store: Store, status: str, steps: int | None = None, saved: tuple[int, ...] = ()) -> int:
    run_id = store.create_run(store.dataset("shapes")["id"], "pretrain", {"task": "simclr"})
    if status != "interrupted":
        store.finish_run(run_id, status, {"steps": steps} if steps is not None else None)
    else:
        store.mark_interrupted_runs()
    for step in saved:
        store.add_checkpoint(run_id, step, 0, "periodic", f"runs/{run_id}/step-{step}.pt")
    return run_id


def _listed(window) -> list[str]:
    box = window.map.run_box
    return [box.itemText(i) for i in range(box.count())]


def test_the_newest_finished_run_is_chosen_and_each_says_how_it_ended(
    qtbot, make_window, project, tmp_path
):
    import_shapes(project, tmp_path)
    with Store.open(project, write=True) as store:
        done = _run(store, "done", 200, (100, 200))
        stopped = _run(store, "stopped", 2, (2,))
        lost = _run(store, "interrupted")
    window = make_window(project)
    window.show_step(4)
    assert _listed(window) == [
        f"Run {lost}: simclr on shapes — interrupted before its first checkpoint",
        f"Run {stopped}: simclr on shapes — stopped at step 2",
        f"Run {done}: simclr on shapes — done, 200 steps",
    ]
    assert window.map.run_box.currentData() == (done, "shapes")
    assert "Compute map" in window.map.note.text()


def test_without_a_finished_run_the_newest_with_a_checkpoint_is_chosen(
    qtbot, make_window, project, tmp_path
):
    import_shapes(project, tmp_path)
    with Store.open(project, write=True) as store:
        stopped = _run(store, "stopped", 30, (30,))
        _run(store, "interrupted")
    window = make_window(project)
    assert window.map.run_box.currentData() == (stopped, "shapes")
    with Store.open(project, write=True) as store:
        resumed = _run(store, "interrupted", saved=(40,))
    window.context.notify("runs")
    assert window.map.run_box.currentData() == (resumed, "shapes")
    assert _listed(window)[0].endswith("— interrupted, checkpoint at step 40")


def test_with_no_run_the_map_says_to_pretrain_first(qtbot, make_window, project, tmp_path):
    window = make_window(import_shapes(project, tmp_path))
    window.show_step(4)
    note = window.map.note.text()
    assert "no pretraining run" in note and "Pretrain" in note and "Pick a" not in note
    assert not window.map.compute_button.isEnabled() and not window.map.run_box.isEnabled()
    assert window.map.run_box.count() == 0
    with Store.open(project, write=True) as store:
        _run(store, "done", 10, (10,))
    window.context.notify("runs")  # a run finished in this session
    assert "Compute map" in window.map.note.text() and window.map.compute_button.isEnabled()
