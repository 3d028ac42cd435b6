"""``ssl-studio info`` names a fine-tuning run's quality figure as reports title it: a
run of more than two classes has a macro mean of one-vs-rest AUCs, "test AUC (macro)";
two classes keep "test AUC"; pretraining its kNN accuracy."""

from __future__ import annotations

from ssl_studio.cli import main
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.info import runs_overview
from ssl_studio.core.project.store import Store


def test_info_says_macro_for_a_run_of_more_than_two_classes(tmp_path, capsys):
    project = create_project(tmp_path / "project")
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("shapes", "image", 32)
        pre = store.create_run(dataset, "pretrain", {"task": "simclr", "config": {}})
        store.finish_run(pre, "done", {"steps": 5})
        store.add_metrics(pre, [(5, 0, "knn_accuracy", 0.5)])
        for classes in (["a", "b", "c", "d"], ["normal", "pneumonia"]):
            run = store.create_run(dataset, "finetune", {"task": "linear", "config": {}})
            store.finish_run(run, "done", {"classes": classes, "protocol": "linear"})
            store.add_metrics(run, [(0, 0, "test_roc_auc", 1.0)])
        titles = {r["id"]: r["quality_title"] for r in runs_overview(store)}
    assert titles == {pre: "kNN accuracy", run - 1: "test AUC (macro)", run: "test AUC"}
    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    assert f"  {run - 1}: finetune linear" in out and "test AUC (macro) 1.000" in out
    line = next(x for x in out.splitlines() if x.startswith(f"  {run}: "))
    assert line.endswith("test AUC 1.000")
    assert "kNN accuracy 0.500" in out
