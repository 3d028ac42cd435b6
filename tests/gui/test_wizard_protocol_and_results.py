"""The fine-tune wizard's protocol and results pages: the recommended protocol, the
operating point and its validation share, the split planned once, a threshold picked
and reported, and the headline and per-class figures of the results."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.evaluation.metrics import classification_report
from ssl_studio.core.jobs import import_data
from ssl_studio.gui.wizard.results_page import ResultsPage


def test_the_recommended_protocol_is_what_auto_picks_after_the_test_split(make_window, project):
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.run_id, wizard.class_names = 1, ["benign", "malignant"]
    wizard.smallest_patients, wizard.folds = 30, 0
    wizard.labeled = [(name, None, None) for name in ("benign", "malignant") for _ in range(30)]
    page = wizard.pages["protocol"]
    page.initializePage()
    # 30 labels per class, 6 of them held out: 24 train, so auto picks linear (not full)
    assert wizard.per_class == 24 and page.recommended == "linear"
    assert page.protocol.currentData() == "linear"
    assert "Recommended</b> for 24 training labels" in page.explanation.text()
    page.test_fraction.setValue(0.3)
    assert wizard.per_class == 21


def _protocol_page(window, classes, smallest_patients, folds):
    """The protocol page as the labels page leaves it (classes, patients, folds)."""
    wizard = window.open_wizard()
    wizard.run_id, wizard.per_class, wizard.class_names = 1, 6, classes
    wizard.smallest_patients, wizard.folds = smallest_patients, folds
    wizard.labeled = [(c, None, f"{c}{i}") for c in classes for i in range(smallest_patients)]
    page = wizard.pages["protocol"]
    page.initializePage()
    return wizard, page


def test_the_operating_point_is_a_choice_with_a_validation_share(make_window, project):
    window = make_window(project)
    wizard, page = _protocol_page(window, ["normal", "pneumonia"], 4, 4)
    point = page.operating
    assert point.method.currentData() == "default" and not point.val_fraction.isEnabled()
    assert "0.5" in point.note.text() and "4-fold cross-validation" in page.testing.text()
    page.validatePage()
    cfg = wizard.finetune_config()
    assert (cfg.threshold, cfg.val_fraction) == ("default", 0.0)
    # 4 patients a class: too few to pick a threshold on (test_wizard_first_use.py)
    assert not point.method.model().item(2).isEnabled()

    wizard, page = _protocol_page(window, ["normal", "pneumonia"], 30, 0)
    point = page.operating
    point.method.setCurrentIndex(point.method.findData("sensitivity"))
    point.target.setValue(0.85)
    assert point.target.isVisibleTo(page) and point.val_fraction.isEnabled()
    assert "target sensitivity" in point.note.text()
    assert wizard.folds == 0 and "Another 20% is held out to pick the threshold" in (
        page.testing.text()
    )
    page.validatePage()
    cfg = wizard.finetune_config()
    assert (cfg.threshold, cfg.val_fraction) == ("sensitivity:0.85", 0.2)
    cfg.validate()  # a fine-tuning the core accepts

    point.method.setCurrentIndex(point.method.findData("youden"))
    point.val_fraction.setValue(0.3)
    page.validatePage()
    assert (wizard.finetune_config().threshold, wizard.finetune_config().val_fraction) == (
        "youden",
        0.3,
    )
    _, three = _protocol_page(window, ["a", "b", "c"], 12, 0)  # no threshold to choose
    assert not three.operating.method.isEnabled() and three.operating.threshold() == "default"


def test_the_protocol_page_plans_the_split_once_when_it_opens(make_window, project, monkeypatch):
    """Opening the page planned the split twice (through the operating point's signal, and
    once more directly); it still follows the labels each time it opens."""
    from ssl_studio.gui.wizard import protocol_page

    plans = []
    plan = protocol_page.training_labels_per_class
    monkeypatch.setattr(
        protocol_page,
        "training_labels_per_class",
        lambda keys, cfg: plans.append(len(keys)) or plan(keys, cfg),
    )
    window = make_window(project)
    wizard = window.open_wizard()
    page = wizard.pages["protocol"]
    for labels, classes in (
        (["normal"] * 40 + ["pneumonia"] * 40, ["normal", "pneumonia"]),
        (["a"] * 6 + ["b"] * 6 + ["c"] * 6, ["a", "b", "c"]),  # (the threshold goes)
    ):
        wizard.labeled = [(label, None, f"{i}") for i, label in enumerate(labels)]
        wizard.run_id, wizard.class_names = 1, classes
        wizard.smallest_patients, wizard.folds = labels.count(labels[-1]), 0
        page.operating.method.setCurrentIndex(page.operating.method.findData("youden"))
        plans.clear()
        page.initializePage()
        assert plans == [len(labels)]
        assert wizard.per_class == plan(wizard.labeled, page._choices())
        assert f"for {wizard.per_class} training labels" in page.explanation.text()


def test_the_results_say_which_threshold_the_figures_are_read_at():
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.2, 20), 0.01, 0.99)
    proba = np.stack([1 - p1, p1], axis=1)
    classes = ["normal", "pneumonia"]
    run = {"run_id": 4, "protocol": "linear"}

    plain = classification_report(y, proba, classes, n_boot=50)
    text = ResultsPage._headline(run, plain, {})
    assert "read at the threshold 0.5 (the default" in text

    picked = classification_report(y, proba, classes, threshold=0.431, n_boot=50)
    picked["threshold_choice"] = {"method": "sensitivity:0.85", "val_items": 12}
    base = classification_report(y, proba, classes, threshold=0.6, n_boot=50)
    text = ResultsPage._headline(run, picked, base)
    assert (
        "read at the threshold 0.431, chosen by the target sensitivity 0.85 on 12 "
        "validation items; the from-scratch model's own: 0.600."
    ) in text
    picked["threshold_choice"] = {"method": "youden", "val_items": 12}
    assert "chosen by Youden's J" in ResultsPage._headline(run, picked, {})


def test_without_an_auc_the_headline_reads_the_balanced_accuracy():
    """A test of three classes lacking one has no macro AUC: the headline fell back to
    plain accuracy, which flatters a model that calls every item the common class."""
    y = np.array([0] * 9 + [1])  # class c absent from the test items
    proba = np.tile([0.8, 0.1, 0.1], (10, 1))  # every item called "a"
    report = classification_report(y, proba, ["a", "b", "c"], n_boot=20)
    text = ResultsPage._headline({"run_id": 5, "protocol": "knn"}, report, report)
    assert "balanced accuracy 0.500" in text and "accuracy 0.900" not in text
    both = classification_report(
        np.array([0, 1, 2] * 3), np.tile([0.5, 0.3, 0.2], (9, 1)), ["a", "b", "c"], n_boot=20
    )
    assert "macro AUC" in ResultsPage._headline({"run_id": 6, "protocol": "knn"}, both, {})


def test_a_threshold_picked_in_the_wizard_is_used_and_reported(
    qtbot, make_window, project, tmp_path, messages
):
    from ssl_studio.core.config import PretrainConfig, TrainConfig
    from ssl_studio.core.jobs import pretrain

    rng = np.random.default_rng(0)
    for name in ("normal", "pneumonia"):
        folder = tmp_path / "scans" / name
        folder.mkdir(parents=True)
        for i in range(20):
            picture = rng.integers(0, 80, (32, 32)).astype(np.uint8)
            if name == "pneumonia":
                picture[8:24, 8:24] = 200
            Image.fromarray(picture).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=32))
    tiny = TrainConfig(steps=2, batch_size=8)
    pretrain(PretrainConfig(project=project, dataset="scans", image_size=32, train=tiny))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.next()
    wizard.pages["labels"].use_folders()
    wizard.next()
    protocol = wizard.pages["protocol"]
    point = protocol.operating
    point.method.setCurrentIndex(point.method.findData("youden"))
    protocol.steps.setValue(5)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.result is not None or bool(messages), timeout=300_000)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=300_000)
    assert not messages and wizard.result["threshold"] is not None
    choice = wizard.result["test"]["threshold_choice"]
    assert choice["method"] == "youden" and choice["val_items"] >= 2
    wizard.next()
    headline = wizard.pages["results"].headline.text()
    said = f"chosen by Youden's J (the best sensitivity + specificity) on {choice['val_items']}"
    assert said in headline


def test_the_results_show_each_class_and_say_which_classes_are_absent(make_window, project):
    def table(widget):
        return [
            [widget.item(r, c).text() for c in range(widget.columnCount())]
            for r in range(widget.rowCount())
        ]

    y = np.array([1] * 4 + [2] * 3)  # items of b and c only, every one called d
    proba = np.full((7, 5), 0.05)
    proba[:, 3] = 0.8
    test = classification_report(y, proba, ["a", "b", "c", "d", "e"], n_boot=50)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = {"run_id": 3, "protocol": "linear", "test": test}
    results = wizard.pages["results"]
    results.initializePage()
    rows = table(results.per_class)
    assert [r[:2] for r in rows] == [["a", "0"], ["b", "4"], ["c", "3"], ["d", "0"], ["e", "0"]]
    assert rows[1][2].startswith("0.000 [0.000,") and rows[0][2] == "—"
    assert not results.per_class.isHidden()
    text = results.headline.text()
    assert "No scored items of a, d, e (3 of the model's 5 classes)" in text
    assert "specificity (macro, mean one-vs-rest)" in text
    # two classes: PPV and NPV at the threshold; a report stored before per-class figures
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 40)
    p1 = np.clip(0.3 * y + rng.uniform(0, 0.7, 40), 0, 1)
    two = classification_report(y, np.c_[1 - p1, p1], ["normal", "pneumonia"], n_boot=50)
    wizard.result = {"run_id": 4, "protocol": "linear", "test": two}
    results.initializePage()
    names = [r[0] for r in table(results.metrics)]
    assert "PPV (precision of pneumonia)" in names and "NPV (precision of normal)" in names
    assert len(table(results.per_class)) == 2
    old = {k: v for k, v in two.items() if k not in ("per_class", "absent_classes", "ppv", "npv")}
    wizard.result = {"run_id": 4, "protocol": "linear", "test": old}
    results.initializePage()
    assert results.per_class.isHidden() and "No scored items" not in results.headline.text()
    assert not any(r[0].startswith("PPV") for r in table(results.metrics))
