"""A fine-tuning run records the content hashes of its held-out items (split.json); when
they change or go (files changed on disk and imported again, files removed), evaluating
the run again says so, and so does the model card of an export. Older runs without the
hashes behave as before."""

from __future__ import annotations

import json

from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import FinetuneConfig, ImportConfig, PretrainConfig
from ssl_studio.core.jobs import create_project, evaluate, export, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def test_evaluate_and_the_card_say_when_the_test_items_changed(tmp_path):
    data = tmp_path / "shapes"
    write_shapes(data)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    source = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )
    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(project=project, run=source["run_id"], labels="folders",
                       protocol="linear", baseline=False, n_boot=20, train=quick_train())
    )  # fmt: skip
    run_id = result["run_id"]
    split_file = project / "runs" / str(run_id) / "split.json"
    saved = json.loads(split_file.read_text())
    assert len(saved["content"]["test"]) == len(saved["test"]) == 8
    assert all(len(h) == 32 for h in saved["content"]["test"] + saved["content"]["val"])
    unchanged = evaluate(project, run_id, n_boot=20)
    assert unchanged == result["test"] and "data_changed" not in unchanged

    with Store.open(project) as store:
        paths = {i["id"]: i["rel_path"] for i in store.items(1)}
    tested = [paths[i] for i in saved["test"]]
    circle = next(p for p in tested if p.startswith("circle/"))
    square = next(p for p in tested if p.startswith("square/"))
    a, b = (data / circle).read_bytes(), (data / square).read_bytes()
    (data / circle).write_bytes(b)  # two test images swapped on disk
    (data / square).write_bytes(a)
    (data / next(p for p in tested if p not in (circle, square))).unlink()  # one gone
    import_data(ImportConfig(project=project, paths=[data], name="shapes", workers=1))

    again = evaluate(project, run_id, n_boot=20)
    assert again["n"] == 7
    assert again["data_changed"]["test"] == {"items": 8, "changed": 2, "gone": 1}
    said = (
        f"2 of 8 test items changed and 1 is gone since run {run_id} was tested: these "
        "figures are not the stored ones."
    )
    assert again["note"].startswith(said)

    card = export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert card["data"]["test_items_changed"]["test"]["changed"] == 2
    text = (tmp_path / "model" / "MODEL_CARD.md").read_text()
    assert f"2 of 8 test items changed and 1 is gone since run {run_id} was tested" in text

    # a run from before the hashes were recorded: as it was (n drops, nothing said)
    split_file.write_text(json.dumps({k: v for k, v in saved.items() if k != "content"}))
    older = evaluate(project, run_id, n_boot=20)
    assert older["n"] == 7 and "data_changed" not in older
    assert "since run" not in (older.get("note") or "")
