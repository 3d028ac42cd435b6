"""Removing runs and datasets: what was made from them goes only when asked, exports stay,
files and rows go together, a removed run's id is never given again, and nothing is
removed while another process changes the project."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.cli import EXIT_OK, EXIT_USAGE, main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError, ProjectLockedError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.removal import (
    plan_dataset_removal,
    plan_run_removal,
    remove,
)
from ssl_studio.core.project.store import Store


def pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (20, 20), dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def add_run(store: Store, dataset_id: int, kind: str, parent: int | None = None) -> int:
    """A run with a file in its folder, a loss point and a checkpoint, as a job leaves it."""
    run_id = store.create_run(dataset_id, kind, {"task": "simclr", "parent_run_id": parent})
    folder = store.paths.run_folder(run_id)
    (folder / "last.pt").write_bytes(b"\0" * 5000)
    store.add_metrics(run_id, [(1, 0, "loss", 1.5)])
    store.add_checkpoint(run_id, 1, 0, "last", str(folder / "last.pt"))
    store.finish_run(run_id, "done")
    return run_id


@pytest.fixture
def two_datasets(project: Path, tmp_path: Path) -> Path:
    for name in ("chest", "knee"):
        import_data(ImportConfig(project=project, paths=[pngs(tmp_path / name, 4)], cache_size=16))
    with Store.open(project, write=True) as store:
        for d in store.datasets():
            items = store.conn.execute(
                "SELECT id FROM items WHERE dataset_id = ?", (d["id"],)
            ).fetchall()
            store.add_label_set(d["id"], "finding", "test", {r[0]: "a" for r in items})
    return project


def test_a_pretraining_run_goes_with_its_fine_tuned_runs_only_when_asked(two_datasets, tmp_path):
    project = two_datasets
    export = tmp_path / "exported model"
    export.mkdir()
    with Store.open(project, write=True) as store:
        chest = store.dataset("chest")["id"]
        pre = add_run(store, chest, "pretrain")
        tuned = [add_run(store, chest, "finetune", parent=pre) for _ in range(2)]
        other = add_run(store, chest, "pretrain")
        store.add_export(tuned[0], str(export), ["torchscript"], {"run": tuned[0]})
        with pytest.raises(ConfigError, match=r"Runs 2 and 3 were fine-tuned from run 1\."):
            plan_run_removal(store, [pre])
        with pytest.raises(ConfigError, match=r"no run 9 \(its runs: 1, 2, 3, 4\)"):
            plan_run_removal(store, [9])
        plan = plan_run_removal(store, [pre], with_dependents=True)
    assert plan.run_ids == (1, 2, 3) and plan.bytes_on_disk >= 3 * 5000
    text = plan.describe()
    assert text.startswith("Removes run 1 and runs 2 and 3 made from it (2 fine-tuned models), ")
    assert f"Exported models are kept: {export}." in text

    result = remove(project, plan)
    assert result["runs"] == [1, 2, 3] and result["left"] == []
    assert result["exports_kept"] == [str(export)] and export.is_dir()
    with Store.open(project) as store:
        assert [r["id"] for r in store.runs()] == [other]
        for run_id in (pre, *tuned):
            assert store.metrics(run_id, "loss") == [] and store.checkpoints(run_id) == []
            assert store.exports(run_id) == []
            assert not store.paths.run_folder(run_id).exists()
        assert store.metrics(other, "loss") == [(1, 1.5)]
        [kept] = store.exports()  # (still listed, without its run)
        assert (kept["folder"], kept["run_id"]) == (str(export), None)
    with Store.open(project) as store:
        plan = plan_run_removal(store, [other])
    assert remove(project, plan)["runs"] == [other]
    with Store.open(project, write=True) as store:  # (4 was the highest: not given again)
        assert store.create_run(store.dataset("chest")["id"], "pretrain", {}) == 5


def test_the_question_says_what_the_runs_made_from_a_run_are(two_datasets):
    """A from-scratch baseline was called "made from" the pretraining run with no word of
    what it is; the question counts fine-tuned models and baselines."""
    with Store.open(two_datasets, write=True) as store:
        chest = store.dataset("chest")["id"]
        pre = add_run(store, chest, "pretrain")
        add_run(store, chest, "finetune", parent=pre)
        baseline = store.create_run(chest, "finetune", {"task": "scratch", "parent_run_id": pre})
        store.finish_run(baseline, "done")
        plan = plan_run_removal(store, [pre], with_dependents=True)
    assert plan.describe().startswith(
        "Removes run 1 and runs 2 and 3 made from it (1 fine-tuned model, 1 from-scratch "
        "baseline), "
    )


def test_a_fine_tuned_run_goes_alone(two_datasets):
    with Store.open(two_datasets, write=True) as store:
        chest = store.dataset("chest")["id"]
        pre = add_run(store, chest, "pretrain")
        tuned = add_run(store, chest, "finetune", parent=pre)
        plan = plan_run_removal(store, [tuned])
    assert plan.describe().startswith("Removes run 2, ")
    remove(two_datasets, plan)
    with Store.open(two_datasets) as store:
        assert [r["id"] for r in store.runs()] == [pre] and store.checkpoints(pre)


def test_a_dataset_goes_with_its_labels_cache_and_runs_and_the_other_stays(two_datasets):
    project = two_datasets
    with Store.open(project, write=True) as store:
        chest = store.dataset("chest")
        knee = store.dataset("knee")
        run = add_run(store, chest["id"], "pretrain")
        cache = store.paths.dataset_cache(chest["id"])
        assert cache.is_dir()
        with pytest.raises(ConfigError, match=r"Run 1 was trained on dataset 'chest'\. Remove it"):
            plan_dataset_removal(store, "chest")
        with pytest.raises(ConfigError, match=r"No dataset 'lung' in this project: its"):
            plan_dataset_removal(store, "lung")
        plan = plan_dataset_removal(store, "chest", with_dependents=True)
    assert plan.describe().startswith(
        "Removes dataset 'chest' (its labels, import history and cache) and its run 1 (1 "
        "pretraining run), "
    )
    result = remove(project, plan)
    assert result["dataset"] == "chest" and result["runs"] == [run]
    assert not cache.exists()
    info = project_info(project)
    assert [d["name"] for d in info["datasets"]] == ["knee"] and info["runs"] == []
    with Store.open(project) as store:
        assert store.dataset_summary(knee["id"])["items"] == 4
        assert len(store.latest_labels(knee["id"], "finding")) == 4
        for table in ("items", "files", "roots", "imports", "label_sets"):
            left = store.conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE dataset_id = ?", (chest["id"],)
            ).fetchone()[0]
            assert left == 0, table
        assert store.conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 4


def test_nothing_is_removed_while_another_process_changes_the_project(two_datasets, other_writer):
    with Store.open(two_datasets, write=True) as store:
        run = add_run(store, store.dataset("chest")["id"], "pretrain")
        plan = plan_run_removal(store, [run])
    holder = other_writer(two_datasets, "pretrain")
    with pytest.raises(ProjectLockedError):
        remove(two_datasets, plan)
    holder.stdin.write("\n")
    holder.stdin.flush()
    holder.wait(timeout=20)
    with Store.open(two_datasets) as store:
        assert [r["id"] for r in store.runs()] == [run]
        assert store.paths.run_folder(run).is_dir()


def test_a_folder_that_cannot_be_deleted_is_named_and_the_project_stays_whole(
    two_datasets, monkeypatch
):
    with Store.open(two_datasets, write=True) as store:
        run = add_run(store, store.dataset("chest")["id"], "pretrain")
        plan = plan_run_removal(store, [run])

    def refuse(path, onerror=None, onexc=None):
        (onexc or onerror)(None, str(path), PermissionError(13, "Permission denied"))

    monkeypatch.setattr("ssl_studio.core.project.deleting.shutil.rmtree", refuse)
    result = remove(two_datasets, plan)
    assert result["left"] == [
        "runs/1 could not be deleted (Permission denied); delete it by hand when no program "
        "uses it (the project no longer needs it)."
    ]
    with Store.open(two_datasets, write=True) as store:
        assert store.runs() == []  # (and its id is not given again: its folder is there)
        assert store.create_run(store.dataset("chest")["id"], "pretrain", {}) == 2


def test_the_command_line_asks_first_and_scripts_must_say_yes(two_datasets, capsys):
    with Store.open(two_datasets, write=True) as store:
        run = add_run(store, store.dataset("chest")["id"], "pretrain")
    assert main(["remove", str(two_datasets), "--run", str(run)]) == EXIT_USAGE  # (no tty)
    err = capsys.readouterr().err
    assert err.startswith("Removes run 1, ") and "add --yes to remove" in err
    with Store.open(two_datasets) as store:
        assert store.run(run) is not None
    assert main(["remove", str(two_datasets), "--dataset", "chest", "--yes"]) == 1
    assert "Run 1 was trained on dataset 'chest'. Remove it too (--with-dependents)" in (
        capsys.readouterr().err
    )
    args = ["remove", str(two_datasets), "--dataset", "chest", "--with-dependents", "--yes"]
    assert main(args) == EXIT_OK
    assert capsys.readouterr().out.startswith("Removed dataset 'chest' and run 1: ")
    assert [d["name"] for d in project_info(two_datasets)["datasets"]] == ["knee"]


def test_a_dataset_goes_with_the_runs_fine_tuned_on_other_labels_from_its_runs(two_datasets):
    """A pretraining run on one dataset fine-tuned on another dataset's labels: removing
    the first dataset takes that fine-tuned run too (it was refused as "added meanwhile")."""
    with Store.open(two_datasets, write=True) as store:
        pre = add_run(store, store.dataset("chest")["id"], "pretrain")
        tuned = add_run(store, store.dataset("knee")["id"], "finetune", parent=pre)
        with pytest.raises(ConfigError) as refused:
            plan_dataset_removal(store, "chest")
        plan = plan_dataset_removal(store, "chest", with_dependents=True)
    assert str(refused.value) == (
        "Run 1 was trained on dataset 'chest', and run 2 was fine-tuned from it. Remove them "
        "too (--with-dependents), or keep the dataset."
    )
    assert plan.run_ids == (pre, tuned)
    assert remove(two_datasets, plan)["runs"] == [pre, tuned]
    assert project_info(two_datasets)["runs"] == []


def test_an_export_inside_a_run_s_folder_is_never_deleted_as_if_kept(two_datasets, tmp_path):
    """An export written into runs/<id>/ was deleted with its run while the message said
    it was kept; such an export is now refused, and one made before stops the removal."""
    with Store.open(two_datasets, write=True) as store:
        run = add_run(store, store.dataset("chest")["id"], "finetune")
        inside = store.paths.run_folder(run) / "export"
        inside.mkdir()
        store.add_export(run, str(inside), ["onnx"], {})
        with pytest.raises(ConfigError, match=r"lies inside runs/1, which would be deleted"):
            plan_run_removal(store, [run])
    assert inside.is_dir()


def test_export_refuses_a_folder_inside_runs_or_cache(two_datasets):
    from ssl_studio.core.jobs import export

    for place in ("runs/9/model", "cache/model"):
        with pytest.raises(ConfigError, match=r"is inside the project's (runs|cache)/ folder"):
            export(two_datasets, 1, two_datasets / place)


def test_a_removed_dataset_s_id_and_cache_folder_are_never_taken_over(two_datasets, tmp_path):
    """Dataset ids were reused: a cache folder left behind (Windows: a file still open)
    was written into by the next dataset, and deleting it "by hand", as advised, took
    that dataset's cache with it. Now the next import deletes what was left (it holds
    the removed dataset's images), and the new dataset gets an id of its own."""
    with Store.open(two_datasets) as store:
        knee = store.dataset("knee")["id"]
        plan = plan_dataset_removal(store, "knee")
    remove(two_datasets, plan)
    left = two_datasets / "cache" / f"dataset-{knee}"
    left.mkdir()  # (as a removal that could not delete it leaves it)
    (left / "shard-0.bin").write_bytes(b"old")
    import_data(
        ImportConfig(project=two_datasets, paths=[pngs(tmp_path / "hip", 3)], cache_size=16)
    )
    with Store.open(two_datasets) as store:
        assert store.dataset("hip")["id"] == knee + 1
    assert not left.exists()
    with Store.open(two_datasets, write=True) as store:  # (nor after it was deleted)
        assert store.create_dataset("next", "image", 16) == knee + 2


def test_another_run_s_export_inside_a_folder_to_delete_stops_the_removal(two_datasets):
    with Store.open(two_datasets, write=True) as store:
        chest = store.dataset("chest")["id"]
        gone, other = add_run(store, chest, "finetune"), add_run(store, chest, "finetune")
        inside = store.paths.run_folder(gone) / "export-of-another-run"
        inside.mkdir()
        store.add_export(other, str(inside), ["onnx"], {})
        with pytest.raises(ConfigError, match=r"lies inside runs/1, which would be deleted"):
            plan_run_removal(store, [gone])
