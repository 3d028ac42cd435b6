"""The fine-tune wizard's run and labels pages: a run asked for, click-to-label from the
keyboard, labels that count only usable items, folder levels, and one patient ID for all."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data

from gui_helpers import OPTIONS, import_shapes

CT_SMALL = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"


def test_click_to_label_works_from_the_keyboard_and_on_a_selection(qtbot, project, tmp_path):
    from ssl_studio.core.viewing import DatasetView
    from ssl_studio.gui.wizard.label_dialog import LabelDialog

    import_shapes(project, tmp_path, n=6)
    view = DatasetView.open(project, "shapes")
    ids = [int(item["id"]) for item in view.items]
    dialog = LabelDialog(view, {})
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    grid, model = dialog.grid, dialog.model
    assert not dialog.save_button.isDefault() and not dialog.save_button.autoDefault()
    dialog.label.setCurrentText("effusion")
    grid.setFocus()
    grid.setCurrentIndex(model.index(0))
    QTest.keyClick(grid, Qt.Key.Key_Space)
    grid.setCurrentIndex(model.index(1))
    QTest.keyClick(grid, Qt.Key.Key_Return)  # labels; it does not Save and close
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.changes == {ids[0]: "effusion", ids[1]: "effusion"}

    dialog.label.setCurrentText("normal")
    grid.clearSelection()
    for row in (3, 4, 5):  # Ctrl+click selects without labeling
        point = grid.visualRect(model.index(row)).center()
        QTest.mouseClick(
            grid.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, point
        )
    assert ids[3] not in dialog.changes
    QTest.keyClick(grid, Qt.Key.Key_Enter)  # gives the class to all three
    assert {dialog.changes[ids[r]] for r in (3, 4, 5)} == {"normal"}
    assert dialog.counts.text() == "effusion: 2, normal: 3" and dialog.isVisible()
    point = grid.visualRect(model.index(2)).center()
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=point)  # a plain click
    assert dialog.changes[ids[2]] == "normal"


def test_a_wizard_asked_for_another_run_picks_it_until_a_run_was_chosen(
    make_window, project, tmp_path
):
    from ssl_studio.core.project.store import Store

    import_shapes(project, tmp_path)
    with Store.open(project, write=True) as store:
        dataset = store.datasets()[0]["id"]
        for _ in range(2):
            run = store.create_run(dataset, "pretrain", {"task": "simclr", "backbone": "cnn"})
            store.finish_run(run, "done", {"final_loss": 1.0})
    window = make_window(project)
    wizard = window.open_wizard(1)
    assert wizard.pages["run"].runs.currentData()[0] == 1
    assert window.open_wizard(2) is wizard  # still on its first page: run 2 is picked
    assert wizard.pages["run"].runs.currentData()[0] == 2
    wizard.next()  # run 2 chosen; the later pages work on it
    window.open_wizard(1)
    assert wizard.run_id == 2 and "already working on run 2" in window.statusBar().currentMessage()


def test_the_labels_page_counts_only_items_that_can_be_trained_on(make_window, project, tmp_path):
    """A labeled file that no longer reads keeps its label (it comes back when the file
    does), but the labels page neither counts it nor lets it pass for a usable example."""
    from ssl_studio.core.labels import set_labels
    from ssl_studio.core.viewing import DatasetView

    import_shapes(project, tmp_path, n=6)
    ids = [int(item["id"]) for item in DatasetView.open(project, "shapes").items]
    set_labels(project, "shapes", {i: "ab"[k % 2] for k, i in enumerate(ids)}, name="labels")
    (tmp_path / "shapes" / "0.png").write_bytes(b"not a PNG any more")
    import_data(ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=16))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "shapes"
    page = wizard.pages["labels"]
    page.reload("labels")
    assert sorted(page.classes) == ["a", "b"] and sum(page.classes.values()) == 5
    assert "1 labeled item is not counted: unreadable or missing files" in page.warnings.text()


def test_folder_names_at_the_folder_level_asked_for(make_window, project, tmp_path, messages):
    for site in ("siteA", "siteB"):
        for shape in ("circle", "square"):
            (tmp_path / "sites" / site / shape).mkdir(parents=True)
            for i in range(2):
                picture = np.full((16, 16), 40 * i + (shape == "square") * 100, np.uint8)
                Image.fromarray(picture).save(tmp_path / "sites" / site / shape / f"{i}.png")
    import_data(ImportConfig(project=project, paths=[tmp_path / "sites"], cache_size=16))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "sites"
    labels = wizard.pages["labels"]
    assert labels.folder_level.text() == "Folder level: auto"
    labels.use_folders()  # sites or shapes: the innermost, and the other one is said
    assert labels.classes == {"circle": 4, "square": 4}
    assert "level 1 ('siteA', 'siteB') could be classes too" in labels.warnings.text()
    labels.folder_level.setValue(1)
    labels.use_folders()
    assert labels.classes == {"siteA": 4, "siteB": 4} and not messages
    labels.folder_level.setValue(3)
    labels.use_folders()
    assert "No file of dataset 'sites' is in a folder at level 3" in messages.pop()[1]


def test_the_labels_page_names_one_patient_id_for_all_and_offers_a_split_by_item(
    make_window, project, tmp_path
):
    """Thirty scans anonymised with one PatientID: Next stays off with the cause named
    (not "too few examples"), until splitting by item is chosen, which the job is told."""
    from pydicom.uid import generate_uid

    from ssl_studio.core.labels import labels_from_folders

    source = pydicom.dcmread(CT_SMALL)
    for cls, offset in (("normal", 0), ("abnormal", 500)):
        (tmp_path / "scans" / cls).mkdir(parents=True)
        for i in range(15):
            ds = pydicom.dcmread(CT_SMALL)
            ds.PatientID, ds.SOPInstanceUID = "ANONYMOUS", generate_uid()
            pixels = source.pixel_array.astype(np.int32) + offset + 7 * i
            ds.PixelData = pixels.astype(source.pixel_array.dtype).tobytes()
            ds.save_as(tmp_path / "scans" / cls / f"{i}.dcm")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=16))
    labels_from_folders(project, "scans")
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "scans"
    page = wizard.pages["labels"]
    page.reload("folders")
    assert page.classes == {"abnormal": 15, "normal": 15} and not page.isComplete()
    said = page.warnings.text()
    assert "All 30 labeled items carry the same patient ID (the files were probably" in said
    assert "'Split by item'" in said and "cross-validation" not in said
    assert not page.by_item.isHidden()
    page.by_item.setChecked(True)
    assert page.isComplete() and "scores may be optimistic" in page.warnings.text()
    assert page.validatePage() and wizard.group_by_patient is False
    assert wizard.folds == 0  # 15 items per class: one test split, by item
    wizard.pages["protocol"].initializePage()
    assert "item by item: patients are not kept apart" in wizard.pages["protocol"].testing.text()
    wizard.options = dict(OPTIONS)
    assert wizard.finetune_config().group_by_patient is False
