"""The fine-tuning job end to end on small real projects: every protocol, the baseline,
the stored run, the test split that never influences training, label efficiency."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Progress, Step, StopToken
from ssl_studio.core.finetune.data import positive_class
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import evaluate, export, finetune, import_data, label_efficiency
from ssl_studio.core.labels import labels_from_folders, set_labels
from ssl_studio.core.pretrain import latest_checkpoint
from ssl_studio.core.project.store import Store


@pytest.fixture(scope="module")
def labeled(image_project):
    project, run = image_project
    labels_from_folders(project, "shapes")
    return project, run


@pytest.fixture
def own_labeled(labeled, tmp_path):
    """A copy of ``labeled`` for a test that changes its label sets or datasets: the
    module's project stays as it was (label set 'folders' at version 1), whatever order
    the tests run in."""
    project, run = labeled
    copy = shutil.copytree(project, tmp_path / "own-project")
    return copy, run


def cfg(project, run, **options):
    defaults = {"labels": "folders", "n_boot": 50, "train": quick_train(steps=3)}
    return FinetuneConfig(project=project, run=run, **{**defaults, **options})


@pytest.mark.parametrize("protocol", ["knn", "linear", "partial", "full", "scratch"])
def test_every_protocol_makes_an_evaluated_run(labeled, protocol):
    project, run = labeled
    result = finetune(cfg(project, run, protocol=protocol, baseline=False))
    assert result["status"] == "done" and result["protocol"] == protocol
    assert result["classes"] == ["circle", "square"]
    assert result["train_labels"] == 32 and result["test_items"] == 8
    report = result["test"]
    assert report["n"] == 8 and 0 <= report["accuracy"]["value"] <= 1
    assert np.array(report["confusion"]).sum() == 8
    with Store.open(project) as store:
        row = store.run(result["run_id"])
    assert row["kind"] == "finetune" and row["task"] == protocol and row["status"] == "done"
    assert row["parent_run_id"] == run and row["summary"]["test"]["accuracy"] is not None
    # what reproducing it needs: the label set's version, the step of the encoder's
    # checkpoint (the pretraining run may go on), the versions of numpy and scikit-learn
    with Store.open(project) as store:
        source = latest_checkpoint(project / store.run(run)["folder"])
    assert row["config"]["label_version"] == 1
    assert row["config"]["source_step"] == source["progress"]["step"] > 0
    assert {"numpy", "scikit-learn", "torch_cpu_threads"} <= set(row["versions"])
    folder = project / row["folder"]
    split = json.loads((folder / "split.json").read_text())
    assert len(split["train"]) == 32 and len(split["test"]) == 8
    assert not set(split["train"]) & set(split["test"])
    assert json.loads((folder / "evaluation.json").read_text()) == report
    if protocol == "knn":
        assert result["info"]["k"] in (1, 3, 5, 10, 20)
    if protocol in ("partial", "full", "scratch"):
        assert result["info"]["steps"] == 3


def test_auto_picks_linear_with_few_labels_and_trains_the_baseline(labeled, monkeypatch):
    import itertools

    ticks = itertools.count()  # a clock that always moves on: the order of the run times
    monkeypatch.setattr(
        "ssl_studio.core.project.store.runs.now", lambda: f"2026-01-01T00:{next(ticks):05d}"
    )
    project, run = labeled
    result = finetune(cfg(project, run, k_per_class=4))
    assert result["protocol"] == "linear" and result["train_labels"] == 8
    base = result["baseline"]
    assert base["status"] == "done" and base["test"]["n"] == result["test"]["n"]
    with Store.open(project) as store:
        row, base_row = store.run(result["run_id"]), store.run(base["run_id"])
        split = json.loads((project / row["folder"] / "split.json").read_text())
        base_split = json.loads((project / base_row["folder"] / "split.json").read_text())
    assert base_row["task"] == "scratch" and split == base_split
    assert row["summary"]["baseline"]["run_id"] == base["run_id"]
    assert row["finished"] < base_row["started"]  # its duration is its own, not the baseline's
    # the paired difference on the same test items, kept with the fine-tuned report
    paired = result["test"]["versus_baseline"]
    assert paired["baseline_run_id"] == base["run_id"] and paired["n"] == result["test"]["n"]
    for name in ("accuracy", "roc_auc"):
        if result["test"][name]["value"] is not None and base["test"][name]["value"] is not None:
            gain = result["test"][name]["value"] - base["test"][name]["value"]
            assert paired[name]["value"] == pytest.approx(gain)
            assert paired[name]["low"] <= paired[name]["value"] <= paired[name]["high"]
    stored = json.loads((project / row["folder"] / "evaluation.json").read_text())
    assert stored == result["test"]
    assert evaluate(project, result["run_id"], n_boot=50)["versus_baseline"] == paired


def test_partial_fine_tuning_changes_only_the_last_block_and_the_head(labeled):
    from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
    from ssl_studio.core.pretrain_setup import rebuild_task

    project, run = labeled
    result = finetune(cfg(project, run, protocol="partial", baseline=False))
    with Store.open(project) as store:
        source = latest_checkpoint(project / store.run(run)["folder"])
        folder = project / store.run(result["run_id"])["folder"]
    before = rebuild_task(source).encoder.state_dict()
    after = load_model(folder / MODEL_FILE)[0].encoder.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    # cnn-small: the last stage (after the last max-pool) is layers 16..21
    assert changed and all(int(k.split(".")[0]) >= 16 for k in changed)


def test_the_test_split_never_influences_training_or_the_threshold(own_labeled):
    from ssl_studio.core.finetune.saved import MODEL_FILE, load_model

    project, run = own_labeled
    first = finetune(
        cfg(project, run, protocol="full", baseline=False, val_fraction=0.25, threshold="youden")
    )
    with Store.open(project) as store:
        folder = project / store.run(first["run_id"])["folder"]
        by_id = {i["id"]: i for i in store.items(1)}
    split = json.loads((folder / "split.json").read_text())
    flipped = {i: "square" if "circle" in by_id[i]["rel_path"] else "circle" for i in split["test"]}
    set_labels(project, "shapes", {**flipped}, name="folders")  # poison every test label
    second = finetune(
        cfg(
            project,
            run,
            protocol="full",
            baseline=False,
            threshold="youden",
            split_from=first["run_id"],
        )
    )
    with Store.open(project) as store:
        folder2 = project / store.run(second["run_id"])["folder"]
    assert json.loads((folder2 / "split.json").read_text()) == split
    a, state_a = load_model(folder / MODEL_FILE)
    b, state_b = load_model(folder2 / MODEL_FILE)
    for key, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[key]), key
    assert state_a["threshold"] == state_b["threshold"] is not None
    # the poisoned labels did reach the evaluation: every test prediction flips its verdict
    acc_a, acc_b = first["test"]["accuracy"]["value"], second["test"]["accuracy"]["value"]
    assert acc_a + acc_b == pytest.approx(1.0)


def test_evaluate_reproduces_the_stored_report_and_scores_other_labels(own_labeled):
    project, run = own_labeled
    result = finetune(cfg(project, run, protocol="linear", baseline=False))
    again = evaluate(project, result["run_id"], n_boot=50)
    assert again == result["test"]
    unseen = evaluate(project, result["run_id"], dataset="shapes", labels="folders", n_boot=0)
    # its own dataset: only the items it never trained on (the 32 training labels would
    # flatter it), which here are its 8 test items
    assert unseen["n"] == 8 and unseen["accuracy"]["low"] is None
    assert unseen["accuracy"]["value"] == result["test"]["accuracy"]["value"]
    assert "8 labeled items the run never trained or tuned on" in unseen["evaluation"]
    with Store.open(project) as store:
        items = store.items(1)
        tested = {
            int(i)
            for i in json.loads(
                (project / store.run(result["run_id"])["folder"] / "split.json").read_text()
            )["test"]
        }
    flipped = {  # a new version of the label set, every test label changed
        i["id"]: ("circle" if "square" in i["rel_path"] else "square")
        if i["id"] in tested else i["rel_path"].split("/")[0]
        for i in items
    }  # fmt: skip
    set_labels(project, "shapes", flipped, name="folders")
    assert evaluate(project, result["run_id"], n_boot=50) == result["test"]  # as tested
    only_train = {i["id"]: i["rel_path"].split("/")[0] for i in items if i["id"] not in tested}
    set_labels(project, "shapes", only_train, name="train-only")
    with pytest.raises(ConfigError, match="none can test it"):
        evaluate(project, result["run_id"], labels="train-only")
    squares = {i["id"]: "square" for i in items if i["id"] in tested and "square" in i["rel_path"]}
    set_labels(project, "shapes", squares, name="all-square")  # a one-class test set
    one_class = evaluate(project, result["run_id"], labels="all-square", n_boot=20)
    assert one_class["n"] == len(squares) > 0 and one_class["roc_auc"]["value"] is None
    assert one_class["sensitivity"]["value"] is not None  # recall of the positive class


def test_clear_messages_for_impossible_requests(own_labeled):
    project, run = own_labeled
    with pytest.raises(ConfigError, match="no label set 'nothing' .* folders"):
        finetune(cfg(project, run, labels="nothing"))
    with pytest.raises(ConfigError, match="There is no run 999 in this project; to fine-tune"):
        finetune(cfg(project, 999))
    with pytest.raises(ConfigError, match="needs validation labels"):
        finetune(cfg(project, run, threshold="youden"))
    for typo in ("yoden", "sensitivity:1.5", "sensitivity:high"):  # named, before any run
        with pytest.raises(ConfigError, match=f"Unknown threshold '{typo}'"):
            finetune(cfg(project, run, threshold=typo, val_fraction=0.2))
    with Store.open(project) as store:
        items = store.items(1)
        ids = [i["id"] for i in items][:6]
    set_labels(project, "shapes", {i: "circle" for i in ids}, name="one-class")
    with pytest.raises(ConfigError, match="only the class 'circle'"):
        finetune(cfg(project, run, labels="one-class"))
    with pytest.raises(ConfigError, match="set aside for nothing. Choose a threshold"):
        finetune(cfg(project, run, val_fraction=0.2))  # no threshold to pick with them
    three = {i: ("a", "b", "c")[n % 3] for n, i in enumerate(i["id"] for i in items)}
    set_labels(project, "shapes", three, name="three")
    for options in ({"positive": "a"}, {"threshold": "youden", "val_fraction": 0.2}):
        with pytest.raises(ConfigError, match="3 classes \\(a, b, c\\)"):
            finetune(cfg(project, run, labels="three", **options))
    with pytest.raises(ConfigError, match="has 3 classes, which have no threshold") as refused:
        finetune(cfg(project, run, labels="three", val_fraction=0.2))
    assert "--threshold" not in str(refused.value)  # it would then be refused in turn
    with pytest.raises(ConfigError, match="'tumour' is not one of the classes circle, square"):
        finetune(cfg(project, run, positive="tumour"))


@pytest.mark.parametrize(
    ("classes", "positive"),
    [
        (["fracture", "no fracture"], "fracture"),
        (["malignant", "non-malignant"], "malignant"),
        (["disease", "no_disease"], "disease"),
        (["COVID", "non-COVID"], "COVID"),
        (["tumour", "tumour-free"], "tumour"),
        (["COVID negative", "COVID positive"], "COVID positive"),
        (["Normal", "pneumonia"], "pneumonia"),
        (["notch", "smooth"], "smooth"),  # no sign either way: the later name
    ],
)
def test_the_positive_class_is_the_one_whose_name_does_not_say_absent(classes, positive):
    assert positive_class(sorted(classes), None)[1] == positive
    other = next(c for c in classes if c != positive)
    assert positive_class(sorted(classes), other) == [positive, other]  # or as chosen


def test_a_dataset_s_only_label_set_is_used_unless_one_is_named(own_labeled, tmp_path):
    project, run = own_labeled
    with Store.open(project) as store:
        ids = [i["id"] for i in store.items(1)]
    set_labels(
        project,
        "shapes",
        {i: "circle" if n % 2 else "square" for n, i in enumerate(ids)},
        name="second",
    )
    with pytest.raises(ConfigError, match=r"label sets \(.*folders.*second.*--labels NAME"):
        finetune(cfg(project, run, labels=""))
    write_shapes(tmp_path / "more", n=4)
    import_data(
        ImportConfig(project=project, paths=[tmp_path / "more"], name="unlabeled", workers=1)
    )
    with pytest.raises(ConfigError, match="'unlabeled' has no labels yet.*ssl-studio labels"):
        finetune(cfg(project, run, labels="", dataset="unlabeled"))


def test_series_fine_tuning_uses_the_label_column(series_project):
    from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
    from ssl_studio.core.pretrain_setup import rebuild_task

    project, run = series_project
    result = finetune(  # no label set named: the series' only one, from the label column
        FinetuneConfig(
            project=project,
            run=run,
            protocol="full",
            n_boot=20,
            train=quick_train(steps=2),
        )
    )
    assert result["classes"] == ["sine", "square"] and result["status"] == "done"
    assert result["baseline"]["test"]["n"] == result["test"]["n"] == 8
    with Store.open(project) as store:  # the run records which label set it used
        assert store.run(result["run_id"])["config"]["labels"] == "imported"
        source = latest_checkpoint(project / store.run(run)["folder"])
        folder = project / store.run(result["run_id"])["folder"]
    # full fine-tuning trains the TS2Vec run's averaged encoder (which it keeps frozen)
    before = rebuild_task(source).trained_encoder.state_dict()
    after = load_model(folder / MODEL_FILE)[0].encoder.state_dict()
    assert rebuild_task(source).trained_encoder is not rebuild_task(source).encoder
    assert any(not torch.equal(before[k], after[k]) for k in before if "weight" in k)


def test_label_efficiency_stores_a_curve_with_both_protocols(labeled):
    project, run = labeled
    result = label_efficiency(
        cfg(project, run, protocol="linear"), ks=(1, 25, None), seeds=(0, 1)
    )  # 25 per class is more than the 16 there are: the same point as all, made once
    assert [p["labels_per_class"] for p in result["curve"]] == [1, 16]
    assert result["curve"][1]["per_class"] == {"circle": 16, "square": 16}
    # k = 25 stands for "all" here: the point says it used every training label
    assert [p["every_label"] for p in result["curve"]] == [False, True]
    for point in result["curve"]:
        for name in ("linear", "scratch"):
            entry = point[name]["accuracy"]
            assert len(entry["seeds"]) == 2 and 0 <= entry["mean"] <= 1 and entry["std"] >= 0
            assert all(s["low"] <= s["value"] <= s["high"] for s in entry["seeds"])
    with Store.open(project) as store:
        row = store.run(result["run_id"])
    assert row["kind"] == "label-efficiency" and row["status"] == "done"
    saved = json.loads((project / row["folder"] / "label_efficiency.json").read_text())
    assert saved["curve"] == result["curve"]


def test_a_stopped_curve_keeps_only_points_whose_every_fit_finished(labeled):
    project, run = labeled
    stop = StopToken()

    def report(event):  # Stop pressed once the first seed of the second point is done
        if isinstance(event, Progress) and event.done == 3:
            stop.stop()

    result = label_efficiency(
        cfg(project, run, protocol="linear"),
        ks=(1, 2, None),
        seeds=(0, 1),
        report=report,
        stop=stop,
    )
    assert result["status"] == "stopped"
    # the second point's second seed never trained: the point is left out, not half-made
    assert [p["labels_per_class"] for p in result["curve"]] == [1]
    assert all(
        len(p[n]["accuracy"]["seeds"]) == 2 for p in result["curve"] for n in ("linear", "scratch")
    )
    with Store.open(project) as store:
        assert store.run(result["run_id"])["status"] == "stopped"


@pytest.mark.parametrize("protocol", ["knn", "linear", "full"])
def test_stop_before_the_frozen_encoder_embeds_the_labels_ends_the_job_as_stopped(
    labeled, protocol
):
    project, run = labeled
    stop = StopToken()
    stop.stop()
    result = finetune(cfg(project, run, protocol=protocol), stop=stop)
    assert result["status"] == "stopped" and "baseline" not in result and "test" not in result
    with Store.open(project) as store:
        row = store.run(result["run_id"])
    assert row["status"] == "stopped" and not (project / row["folder"] / "model.pt").exists()


def test_few_labels_per_class_are_cross_validated(own_labeled, tmp_path):
    project, run = own_labeled
    with Store.open(project) as store:
        items = store.items(1)
    few = [i for i in items if "circle00" in i["rel_path"] or "square00" in i["rel_path"]]
    set_labels(project, "shapes", {i["id"]: i["rel_path"].split("/")[0] for i in few}, name="few")
    events = []
    result = finetune(cfg(project, run, labels="few", protocol="linear"), report=events.append)
    assert len(few) == 10 and result["evaluation"] == "5-fold cross-validation"
    # the trained baseline shows every fit live: five folds, then the model on all labels
    assert sum(isinstance(e, Step) and e.step == 1 for e in events) == 6
    assert result["train_labels"] == 10 and result["test"]["n"] == 10  # every label tested once
    assert result["baseline"]["test"]["evaluation"] == "5-fold cross-validation"
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
    folds = json.loads((folder / "split.json").read_text())["folds"]
    assert sorted(i for fold in folds for i in fold) == sorted(i["id"] for i in few)
    assert evaluate(project, result["run_id"]) == result["test"]  # the stored CV figures
    export(project, result["run_id"], tmp_path / "cv", formats=("safetensors",))
    card = (tmp_path / "cv" / "MODEL_CARD.md").read_text()
    assert "## Metrics (5-fold cross-validation: every labeled item scored" in card
    assert "held-out split" not in card  # there is none: the model trained on all labels
    # both models' pooled out-of-fold predictions of the same items, compared paired
    assert result["test"]["versus_baseline"]["n"] == 10
    assert "this model minus the baseline" in card and "(paired bootstrap over the" in card
    one_split = finetune(
        cfg(project, run, labels="few", protocol="linear", folds=1, baseline=False)
    )
    assert one_split["evaluation"] == "test split" and one_split["test"]["n"] == 2
    with pytest.raises(ConfigError, match="was cross-validated, so it has no test split"):
        finetune(cfg(project, run, labels="few", folds=1, split_from=result["run_id"]))


def test_curve_points_say_how_many_labels_they_trained_on():
    from ssl_studio.core.finetune.efficiency import _distinct, _per_class_figure

    have = np.array([184, 24])  # an imbalanced label set: k = 100 trains on 100 + 24
    assert [_per_class_figure(k, have) for k in (10, 24, 100, None)] == [10, 24, 62, 104]
    assert _distinct((1, 25, 50, None), np.array([16, 16])) == (1, 25)  # 25 = 50 = all


def test_a_threshold_chosen_on_few_validation_items_is_recorded_and_said(labeled):
    from ssl_studio.core.events import Message

    project, run = labeled
    said = []
    result = finetune(
        cfg(project, run, protocol="knn", baseline=False, val_fraction=0.25,
            threshold="sensitivity:0.9"),
        report=lambda event: said.append(event.text) if isinstance(event, Message) else None,
    )  # fmt: skip
    choice = result["test"]["threshold_choice"]
    assert choice["val_counted"] == "items"  # the shapes name no patients
    assert choice["val_positives"] + choice["val_negatives"] == choice["val_items"] < 20
    assert any(choice["note"] in text for text in said)
    assert choice["note"].startswith(f"The threshold was chosen on only {choice['val_positives']}")
