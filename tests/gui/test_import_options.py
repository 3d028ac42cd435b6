"""The Data panel's import options: the window's way to the CLI's --layout,
--sampling-rate, --kind and --cache-size (a window user had none of them)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from ssl_studio.core.project.store import Store
from ssl_studio.gui.import_options import ImportOptionsDialog


def _rows_csv(folder):
    """40 rows of 3 values without a time column: auto reads one recording of 3 channels
    and 40 steps; as one series per row, 40 series of 3 steps."""
    folder.mkdir()
    lines = [",".join(str((i * j) % 7) for j in range(1, 4)) for i in range(40)]
    (folder / "forty.csv").write_text("\n".join(lines) + "\n")


def test_options_chosen_in_the_dialog_reach_the_import(qtbot, make_window, project, tmp_path):
    window = make_window(project)
    panel = window.data
    dialog = ImportOptionsDialog(panel, panel.import_options)
    qtbot.addWidget(dialog)
    dialog.form.set_value("csv_layout", "rows")
    dialog.form.set_value("sampling_rate", "50")
    dialog.accept()
    assert dialog.options() == {"csv_layout": "rows", "sampling_rate": 50.0}
    panel.set_import_options(dialog.options())
    assert panel.options_note.isVisibleTo(panel)
    assert "CSV layout: rows, 50 samples/s" in panel.options_note.text()

    _rows_csv(tmp_path / "rows")
    assert panel.import_paths([tmp_path / "rows"])
    qtbot.waitUntil(lambda: panel.last_import is not None, timeout=30_000)
    with Store.open(project) as store:
        items = store.items(store.dataset("rows")["id"])
    assert len(items) == 40  # one series per row, as asked (auto reads one recording)
    assert {i["sampling_rate"] for i in items} == {50.0}

    panel.set_import_options({})  # back to the defaults: the note goes
    assert not panel.options_note.isVisibleTo(panel)


def test_an_impossible_option_is_refused_and_the_dialog_stays(
    qtbot, make_window, project, messages
):
    window = make_window(project)
    dialog = ImportOptionsDialog(window.data, {"csv_layout": "rows"})
    qtbot.addWidget(dialog)
    assert dialog.form.values()["csv_layout"] == "rows"  # it opens on the current options
    dialog.form.set_value("sampling_rate", "-5")
    dialog.show()
    dialog.accept()
    assert dialog.isVisible() and dialog.options() == {"csv_layout": "rows"}
    assert messages == [
        ("Import options", "The sampling rate must be a positive number of samples per second.")
    ]
    dialog.form.set_value("sampling_rate", "")
    dialog.accept()
    assert not dialog.isVisible() and dialog.options() == {"csv_layout": "rows"}


def test_another_cache_size_goes_into_a_new_dataset_when_the_user_agrees(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """One dataset holds one cache size; the window had no way to name a new one, so a
    re-import at another size ended in a message about --name."""
    import numpy as np
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((40, 40), 60 * i, np.uint8)).save(folder / f"{i}.png")
    panel = make_window(project).data
    assert panel.import_paths([folder])
    qtbot.waitUntil(lambda: panel.last_import is not None, timeout=30_000)
    asked = []
    monkeypatch.setattr(
        "ssl_studio.gui.dialogs.QMessageBox.question", lambda *a: asked.append(a[2]) or 0
    )  # No: nothing happens
    panel.set_import_options({"cache_size": 32})
    assert not panel.import_paths([folder])
    assert "cached at 40 px, and the import options ask for 32 px" in asked[0]
    monkeypatch.setattr(  # Yes: a new dataset at the asked size
        "ssl_studio.gui.dialogs.QMessageBox.question",
        lambda *a: QMessageBox.StandardButton.Yes,
    )
    panel.last_import = None
    assert panel.import_paths([folder])
    qtbot.waitUntil(lambda: panel.last_import is not None, timeout=30_000)
    with Store.open(project) as store:
        sizes = {d["name"]: d["cache_size"] for d in store.datasets()}
    assert sizes == {"imgs": 40, "imgs 32px": 32}  # (40: the images' own size)
