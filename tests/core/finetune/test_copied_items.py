"""Exact copies (one file imported under two names, or into two datasets) never test a
model that trained on them: a split keeps the copies of an image in one part, and
evaluating on another dataset leaves out copies of the run's training items, saying so."""

from __future__ import annotations

import json
import shutil

from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, evaluate, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def _items(project, dataset_id):
    """{item id: (content hash, path in the dataset's folder)}."""
    with Store.open(project) as store:
        return {int(i["id"]): (i["content_hash"], i["rel_path"]) for i in store.items(dataset_id)}


def test_copies_stay_on_one_side_and_copies_in_another_dataset_are_left_out(tmp_path):
    data = tmp_path / "shapes"
    write_shapes(data)
    originals = sorted(data.glob("*/*.png"))
    for path in originals[::3]:  # 14 images there twice, under another name
        shutil.copy(path, path.with_name(f"copy_{path.name}"))
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    source = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )["run_id"]
    labels_from_folders(project, "shapes")
    items = _items(project, 1)
    hashes = {i: digest for i, (digest, _) in items.items()}
    assert len(hashes) == 54 and len(set(hashes.values())) == 40

    for seed in range(2):  # (by item: nothing else keeps the copies together)
        result = finetune(
            FinetuneConfig(project=project, run=source, labels="folders", protocol="knn",
                           baseline=False, n_boot=10, seed=seed, folds=1,
                           group_by_patient=False, train=quick_train())
        )  # fmt: skip
        saved = json.loads((project / "runs" / str(result["run_id"]) / "split.json").read_text())
        trained = {hashes[i] for i in saved["train"]}
        assert trained.isdisjoint(hashes[i] for i in saved["test"])
        assert (
            "28 labeled items hold the same content as another labeled item"
            in (result["test"]["note"])
        )
    run_id = result["run_id"]

    # a split made before copies were kept together: a copy of a training item in its test
    copied = next(i for i in saved["train"] if list(hashes.values()).count(hashes[i]) > 1)
    twin = next(i for i in hashes if hashes[i] == hashes[copied] and i != copied)
    older = {**saved, "train": [i for i in saved["train"] if i != twin] + [copied]}
    older["train"] = sorted(set(older["train"]))
    older["test"] = [i for i in saved["test"] if i != twin] + [twin]
    older.pop("content", None)
    split_file = project / "runs" / str(run_id) / "split.json"
    split_file.write_text(json.dumps(older))
    reused = finetune(
        FinetuneConfig(project=project, run=source, labels="folders", protocol="knn",
                       baseline=False, n_boot=10, split_from=run_id, train=quick_train())
    )  # fmt: skip
    assert reused["test"]["n"] == len(older["test"]) - 1
    assert (
        f"1 held-out item of run {run_id}'s split is an exact copy of items it trains or "
        "tunes on (the same content): left out."
    ) in reused["test"]["note"]

    external = tmp_path / "external"
    write_shapes(external, n=8, seed=5)  # 8 new images and 3 copies of training images
    for item_id in saved["train"][:3]:
        path = data / items[item_id][1]
        shutil.copy(path, external / path.parent.name / f"again_{path.name}")
    import_data(ImportConfig(project=project, paths=[external], workers=1))
    labels_from_folders(project, "external")
    report = evaluate(project, run_id, dataset="external", n_boot=10)
    assert report["n"] == 8 and report["copies_left_out"] == 3
    assert report["note"].startswith(
        "3 labeled items of 'external' hold the same content as items run "
        f"{run_id} trained or tuned on"
    )
    assert report["evaluation"].startswith("dataset external (its 8 labeled items")
