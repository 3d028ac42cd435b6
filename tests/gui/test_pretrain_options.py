"""The pretrain panel's Augmentation tab: it starts from the dataset's own defaults, its
edits redraw the preview and reach the run's config, and impossible values say why."""

from __future__ import annotations

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data


def test_augmentation_tab_drives_the_preview_and_the_run(qtbot, make_window, project, dicom_folder):
    import_data(ImportConfig(project=project, paths=[dicom_folder], cache_size=64, workers=1))
    window = make_window(project)
    window.show_step(1)
    panel = window.pretrain
    form = panel.augment_form
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
    assert panel.augment_form is form and form.changes()["rotate_degrees"] == 0.0
