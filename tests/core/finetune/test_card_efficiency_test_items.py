"""The model card says whether a label-efficiency curve was measured on the exported
model's own test items (the same share and seed split the same items) or on others; it
said "not this model's test items" for every curve, which the default seeds made false
(audit: multi-class journey)."""

from __future__ import annotations

import json
from dataclasses import replace

from finetune_projects import folder_labels_config, written_card

from ssl_studio.core.jobs import export, finetune, label_efficiency
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def test_the_card_says_whose_test_items_each_curve_was_measured_on(image_project, tmp_path):
    project, pretraining = image_project
    labels_from_folders(project, "shapes", name="whose-test")  # (this test's curves alone)
    cfg = folder_labels_config(project, pretraining, labels="whose-test")
    run_id = finetune(cfg)["run_id"]
    same = label_efficiency(cfg, ks=(2,), seeds=(0,))
    other = label_efficiency(replace(cfg, seed=7), ks=(2,), seeds=(0,))
    export(project, run_id, tmp_path / "card", formats=("safetensors",))
    card, markdown = written_card(tmp_path / "card")
    whose = {c["run_id"]: c.get("on_model_test") for c in card["label_efficiency"]}
    assert whose == {same["run_id"]: True, other["run_id"]: False}
    assert f"Run {same['run_id']}: ROC AUC, 1 seed, " in markdown
    assert ", this model's own test items." in markdown
    assert ", not this model's test items." in markdown
    assert "not this model's test items);" not in markdown  # (the old blanket claim)

    with Store.open(project) as store:  # a curve from before the test items were kept
        path = store.paths.root / store.run(same["run_id"])["folder"] / "label_efficiency.json"
    saved = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in saved.items() if k != "test_ids"}))
    export(project, run_id, tmp_path / "older", formats=("safetensors",))
    _, markdown = written_card(tmp_path / "older")
    assert "(whether they are this model's test items was not recorded)." in markdown
