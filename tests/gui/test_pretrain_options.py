"""The pretrain panel's Augmentation tab: it starts from the dataset's own defaults, its
edits redraw the preview and reach the run's config, and impossible values say why."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data


def test_augmentation_tab_drives_the_preview_and_the_run(qtbot, make_window, project, dicom_folder):
    import_data(ImportConfig(project=project, paths=[dicom_folder], cache_size=64, workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    form = panel.advanced.augment_form
    assert panel.advanced.tabText(1) == "Augmentation" and panel.advanced.widget(1) is form
    assert form.values()["hflip"] is False and form.changes() == {}  # gray scans: no mirroring
    assert panel.config().augment == {}

    first = panel.preview_labels[0].pixmap().toImage()
    form.set_value("crop_scale", (0.9, 1.0))
    form.set_value("rotate_degrees", 0.0)
    qtbot.waitUntil(lambda: panel.preview_labels[0].pixmap().toImage() != first)
    assert panel.config().augment == {"crop_scale": (0.9, 1.0), "rotate_degrees": 0.0}

    form.set_value("crop_scale", (0.9, 0.5))
    qtbot.waitUntil(lambda: "No preview" in panel.preview_box.title())
    assert "crop_scale must be (min, max), min <= max" in panel.preview_box.title()

    panel.reload()  # a datasets change (another import) keeps the edits of this dataset
    assert panel.advanced.augment_form is form and form.changes()["rotate_degrees"] == 0.0


def test_the_backbone_options_follow_the_chosen_backbone(qtbot, make_window, project, dicom_folder):
    import_data(ImportConfig(project=project, paths=[dicom_folder], cache_size=64, workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    tabs = [panel.advanced.tabText(i) for i in range(panel.advanced.count())]
    assert tabs == ["Training", "Augmentation", "cnn-small", "simclr"]
    assert panel.advanced.tabToolTip(3) == "Options of the task simclr"
    panel.backbone.setCurrentText("vit-tiny")
    assert panel.advanced.tabText(2) == "vit-tiny"
    patch = panel.advanced.backbone_form.editors["patch_size"][0]
    assert patch.placeholderText() == "automatic" and "must divide" in patch.toolTip()
    panel.advanced.backbone_form.set_value("patch_size", "8")
    assert panel.config().backbone_options == {"patch_size": 8}
    panel.backbone.setCurrentText("resnet18")  # automatic / on / off
    panel.advanced.backbone_form.set_value("cifar_stem", False)
    assert panel.config().backbone_options == {"cifar_stem": False}
    panel.backbone.setCurrentIndex(0)  # the preset's: cnn-small for Quick, resnet50 ...
    panel.preset.setCurrentIndex(2)  # ... for Thorough
    assert panel.advanced.tabText(2) == "resnet50" and panel.config().backbone_options == {}
    batch = panel.train_form.editors["batch_size"][0]
    assert batch.placeholderText() == "automatic: 256"  # the Thorough preset's batch


def _series_panel(make_window, project, tmp_path):
    """The Pretrain panel of a window on a project with one small series dataset."""
    folder = tmp_path / "waves"
    folder.mkdir()
    (folder / "w.csv").write_text("".join(f"{i % 7},{i % 5}\n" for i in range(50)))
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    window = make_window(project)
    window.show_step(1)
    return window.pretrain.form


def test_presets_describe_series_runs_in_steps_not_pixels(qtbot, make_window, project, tmp_path):
    panel = _series_panel(make_window, project, tmp_path)
    texts = [panel.preset.itemText(i) for i in range(panel.preset.count())]
    assert not any("px" in t for t in texts) and "TS2Vec's steps" in texts[0]
    assert panel.preset.toolTip() == "TS2Vec's number of steps; minutes on a CPU."


def test_training_tab_says_the_batch_and_lr_the_data_gets_and_keeps_typed_ones(
    qtbot, make_window, project, tmp_path
):
    """Series train with batch 16 (ts2vec, the default task; 8 for the others) and lr 0.001
    when the fields are left empty, and the empty fields say so, also after another task is
    chosen; a value typed there is the one the run uses (128 and 0.002 typed
    for a series used to be replaced by the defaults without a word)."""
    panel = _series_panel(make_window, project, tmp_path)
    batch, lr = (panel.train_form.editors[name][0] for name in ("batch_size", "lr"))
    assert (batch.placeholderText(), lr.placeholderText()) == ("automatic: 16", "automatic: 0.001")
    cfg = panel.config()
    cfg.resolve("timeseries", 100)
    assert (cfg.train.batch_size, cfg.train.lr) == (16, 1e-3)
    panel.task_list.setCurrentRow(
        panel.task_list.row(panel.task_list.findItems("forecast", Qt.MatchFlag.MatchExactly)[0])
    )
    assert batch.placeholderText() == "automatic: 8"  # ts2vec alone trains with 16
    cfg = panel.config()
    cfg.resolve("timeseries", 100)
    assert (cfg.task, cfg.train.batch_size) == ("forecast", 8)
    panel.train_form.set_value("batch_size", 128)
    panel.train_form.set_value("lr", 0.002)
    cfg = panel.config()
    cfg.resolve("timeseries", 100)
    assert (cfg.train.batch_size, cfg.train.lr) == (128, 0.002)


def test_the_backbone_list_holds_what_the_task_can_train(qtbot, make_window, project, tmp_path):
    """ts2vec trains ts-conv only (ts-patch gives all steps of a patch one vector); a
    backbone chosen for masked modelling is kept while it still fits."""
    panel = _series_panel(make_window, project, tmp_path)

    def listed():
        return [panel.backbone.itemText(i) for i in range(panel.backbone.count())]

    def choose(task):
        names = [panel.task_list.item(i).text() for i in range(panel.task_list.count())]
        panel.task_list.setCurrentRow(names.index(task))

    choose("ts2vec")
    assert listed() == ["the preset's", "ts-conv"]
    choose("masked")
    assert listed() == ["the preset's", "ts-conv", "ts-patch"]
    panel.backbone.setCurrentText("ts-patch")
    choose("forecast")
    assert panel.backbone.currentData() == "ts-patch" and panel.config().task == "forecast"
    choose("ts2vec")
    assert panel.backbone.currentData() is None  # the preset's: ts-conv


def test_a_preset_larger_than_the_cached_images_is_pointed_out(
    qtbot, make_window, project, tmp_path
):
    import numpy as np
    from PIL import Image

    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(3):  # no cache size: cached at their own 48 px
        Image.fromarray(np.full((48, 48), 50 * i, np.uint8)).save(folder / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    panel.preset.setCurrentIndex(panel.preset.findData("quick"))
    assert not panel.size_note.isHidden()
    assert "cached at 48 px, so this preset's training views of 64 px are upsampled" in (
        panel.size_note.text()
    )
    assert panel.config().image_size is None  # the preset's

    panel.image_size.setValue(48)  # the images' own size: no upsampling
    assert panel.size_note.isHidden() and panel.config().image_size == 48
    assert "cached at 48 px" in panel.image_size.toolTip()
    panel.image_size.setValue(96)
    assert "so these training views of 96 px are upsampled" in panel.size_note.text()
    assert panel.config().image_size == 96


def test_series_datasets_have_no_image_size(qtbot, make_window, project, tmp_path):
    import numpy as np

    np.save(tmp_path / "walks.npy", np.random.default_rng(0).normal(size=(6, 2, 40)))
    import_data(ImportConfig(project=project, paths=[tmp_path / "walks.npy"], workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    panel.image_size.setValue(96)  # left over from an image dataset
    assert not panel.form.isRowVisible(panel.image_size)
    assert panel.config().image_size is None
    # the window of a series (and so its sections) is a choice of its own
    assert panel.form.isRowVisible(panel.series_length)
    assert panel.config().series_length is None  # the default 3000 steps
    assert "sections" in panel.series_length.toolTip()
    panel.series_length.setValue(2500)
    assert panel.config().series_length == 2500


def test_the_image_size_box_steps_between_the_preset_s_and_sizes_a_run_takes(make_window, project):
    """One step up from "the preset's" gave 8 px, which every run refuses."""
    box = make_window(project).pretrain.form.image_size
    box.stepBy(1)
    assert box.value() == 16
    box.stepBy(2)
    assert box.value() == 32
    box.stepBy(-2)
    assert box.value() == 16
    box.stepBy(-1)
    assert box.value() == 0 and box.text() == "the preset's"
    box.setValue(20)
    box.stepBy(-1)
    assert box.value() == 0


def test_the_window_box_does_not_take_a_typed_window_every_run_refuses(
    qtbot, make_window, project, tmp_path
):
    """Typing 1 into the Window box gave a run that failed at Start (series_length 1)."""
    import numpy as np
    from PySide6.QtCore import Qt

    np.save(tmp_path / "walks.npy", np.random.default_rng(0).normal(size=(6, 2, 40)))
    import_data(ImportConfig(project=project, paths=[tmp_path / "walks.npy"], workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    box = panel.series_length
    box.setValue(2500)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "1")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 2500  # kept
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "12")  # (1 on the way to 12 is not refused)
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == 12 and panel.config().series_length == 12


def _listed_tasks(panel) -> list[str]:
    return [panel.task_list.item(i).text() for i in range(panel.task_list.count())]


def test_the_task_chosen_at_first_is_the_command_line_s_default(
    qtbot, make_window, project, dicom_folder, monkeypatch
):
    """Not whichever task the registry happens to list first."""
    from ssl_studio.core.config import DEFAULT_TASKS

    monkeypatch.setitem(DEFAULT_TASKS, "image", "rotation")
    import_data(ImportConfig(project=project, paths=[dicom_folder], cache_size=64, workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain.form
    assert _listed_tasks(panel)[0] != "rotation"
    assert panel.task_list.currentItem().text() == "rotation"
    assert panel.config().task == "rotation"
    panel.task_list.setCurrentRow(_listed_tasks(panel).index("jigsaw"))
    panel.reload()  # (another import) a choice made is kept
    assert panel.config().task == "jigsaw"


def test_the_series_task_chosen_at_first_is_the_command_line_s_default(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    from ssl_studio.core.config import DEFAULT_TASKS

    monkeypatch.setitem(DEFAULT_TASKS, "timeseries", "forecast")
    panel = _series_panel(make_window, project, tmp_path)
    assert panel.task_list.currentItem().text() == "forecast"


def _assert_every_task_is_listed_explained_with_its_options(panel, modality: str) -> None:
    from ssl_studio.core.tasks.registry import TASKS

    listed = _listed_tasks(panel)
    assert listed == [n for n, t in TASKS.items() if modality in t.modalities]
    for name in listed:
        panel.task_list.setCurrentRow(listed.index(name))
        shown = panel.explanation.text()
        assert TASKS[name].summary in shown and TASKS[name].explanation in shown, name
        assert panel.advanced.tabText(panel.advanced.count() - 1) == name
        fields = [f.name for f in dataclasses.fields(TASKS[name].Config)]  # (no ClassVars)
        assert list(panel.advanced.task_form.editors) == fields, name  # one field per option
        assert panel.config().task == name and panel.config().task_options == {}


def test_every_image_task_is_listed_explained_and_has_its_options_tab(
    qtbot, make_window, project, dicom_folder
):
    """Each registered image task appears in the list, shows its summary, gets an options
    tab with one form field per option, and reaches the run's config."""
    import_data(ImportConfig(project=project, paths=[dicom_folder], cache_size=64, workers=1))
    window = make_window(project)
    window.show_step(1)
    _assert_every_task_is_listed_explained_with_its_options(window.pretrain.form, "image")


def test_every_series_task_is_listed_explained_and_has_its_options_tab(
    qtbot, make_window, project, tmp_path
):
    panel = _series_panel(make_window, project, tmp_path)
    _assert_every_task_is_listed_explained_with_its_options(panel, "timeseries")
