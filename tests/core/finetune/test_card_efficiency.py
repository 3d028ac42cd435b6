"""The model card lists the label-efficiency curves the project recorded for the model's
pretraining run and label set (none: it says so), without measuring anything itself."""

from __future__ import annotations

import json

import pytest
from finetune_projects import folder_labels_config, written_card

from ssl_studio.core.jobs import export, finetune, label_efficiency


def test_the_card_lists_the_curves_of_its_pretraining_run_and_label_set(image_project, tmp_path):
    from ssl_studio.core.labels import labels_from_folders

    project, pretraining = image_project
    # a label set of its own: curves other tests of the module measure (on "folders",
    # from the same pretraining run) are not this card's, whatever order tests run in
    labels_from_folders(project, "shapes", name="first-card")
    cfg = folder_labels_config(project, pretraining, labels="first-card")
    run_id = finetune(cfg)["run_id"]
    export(project, run_id, tmp_path / "before", formats=("safetensors",))
    card, markdown = written_card(tmp_path / "before")
    assert card["label_efficiency"] == []
    assert "No label-efficiency curve was measured from this model's pretraining run" in markdown

    curve = label_efficiency(cfg, ks=(2, 4), seeds=(0,))
    export(project, run_id, tmp_path / "after", formats=("safetensors",))
    card, markdown = written_card(tmp_path / "after")
    [listed] = card["label_efficiency"]
    assert listed["run_id"] == curve["run_id"] and listed["seeds"] == 1
    assert [p["labels_per_class"] for p in listed["points"]] == [2, 4]
    first = curve["curve"][0]
    assert listed["points"][0]["scratch"] == first["scratch"]["roc_auc"]
    assert "## Label efficiency (pretrained against from scratch" in markdown
    mean = first["knn"]["roc_auc"]["mean"]
    assert f"| 2 | knn | {mean:.3f} ± n/a (1 seed) |" in markdown  # one seed: no spread
    assert f"Run {curve['run_id']}: ROC AUC, 1 seed, " in markdown


def test_a_curve_of_other_labels_or_an_unreadable_file_does_not_reach_the_card(
    image_project, tmp_path
):
    """A curve records its label version: one measured on another version of the label
    set is not the model's; one from before the version was recorded is listed and says
    so; a curve file lacking a key is left out with a note, not a crash of the export."""
    from ssl_studio.core.export.card_efficiency import efficiency_markdown
    from ssl_studio.core.finetune.efficiency import CURVE_FILE, recorded_curves
    from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
    from ssl_studio.core.project.store import Store

    project, pretraining = image_project
    cfg = folder_labels_config(project, pretraining)
    run_id = finetune(cfg)["run_id"]
    curve_run = label_efficiency(cfg, ks=(2,), seeds=(0,))["run_id"]
    with Store.open(project) as store:
        run = store.run(run_id)
        _, state = load_model(store.paths.root / run["folder"] / MODEL_FILE)
        path = store.paths.root / store.run(curve_run)["folder"] / CURVE_FILE
        saved = json.loads(path.read_text())
        assert saved["label_version"] == state["label_version"]

        def listed(result):
            path.write_text(json.dumps(result))
            return [c for c in recorded_curves(store, run, state) if c["run_id"] == curve_run]

        assert len(listed(saved)) == 1
        assert listed({**saved, "label_version": state["label_version"] + 1}) == []
        [older] = listed({k: v for k, v in saved.items() if k != "label_version"})
        assert "Label version not recorded" in older["note"]
        older_model = {k: v for k, v in state.items() if k != "label_version"}
        path.write_text(json.dumps(saved))  # a model saved before versions were recorded
        [curve] = [c for c in recorded_curves(store, run, older_model) if c["run_id"] == curve_run]
        assert "Label version not recorded" in curve["note"]  # (it hid every new curve)
        broken = {**saved, "curve": [{k: v for k, v in saved["curve"][0].items()
                                      if k != "protocol"}]}  # fmt: skip
        [unreadable] = listed(broken)
        assert unreadable["status"] == "unreadable"
        said = "\n".join(efficiency_markdown([unreadable]))
        assert f"Run {curve_run}: its {CURVE_FILE} lacks what this version" in said
        path.write_text(json.dumps(saved))

    # (the same run's card) AUC intervals stored before today's floor: the card widens
    # them from the stored confusion counts, as ssl-studio evaluate would show them
    from ssl_studio.core.evaluation.bootstrap import wilson
    from ssl_studio.core.export.card import build_card

    test, perfect = state["test"], {"value": 1.0, "low": 1.0, "high": 1.0}
    assert test["resampled"] == "items"
    old = {**test, "roc_auc": perfect, "per_class": [{**r, "roc_auc": perfect}
                                                     for r in test["per_class"]]}  # fmt: skip
    card = build_card({**state, "test": old}, baseline=None, formats={}, parity={}, source={})
    smaller = min(sum(row) for row in test["confusion"])
    low = wilson(1.0, smaller)[0]
    assert low < 1.0 and card["metrics"]["test"]["roc_auc"]["low"] == pytest.approx(low)
    assert all(
        r["roc_auc"]["low"] == pytest.approx(low) for r in card["metrics"]["test"]["per_class"]
    )


def test_the_card_says_a_seed_sets_more_than_the_label_draw():
    from ssl_studio.core.export.card_efficiency import efficiency_markdown

    entry = {"mean": 0.8, "std": 0.05}
    curve = {
        "run_id": 7,
        "status": "done",
        "measure": "ROC AUC",
        "seeds": 3,
        "test_items": 40,
        "points": [
            {"labels_per_class": 5, "protocol": "linear", "pretrained": entry, "scratch": entry}
        ],
    }
    text = " ".join(efficiency_markdown([curve]))
    assert "mean ± std over the seeds" in text and "over the label draws" not in text
    assert "weight initialisation" in text and "batch order" in text and "nested" in text
    # the spread is the std of the seeds' point estimates: the bootstrap, which the seed
    # also sets, changes none of them (it read "... and the bootstrap resamples: the
    # spread is that of all of these")
    assert "folds and the bootstrap resamples: the spread" not in text
    assert "the spread (the std of the seeds' point estimates)" in text
    assert "which do not change a point estimate or the spread" in text
    assert "3 seeds, 40 test items" in text and "label draws" not in text
