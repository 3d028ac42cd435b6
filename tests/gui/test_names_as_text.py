"""Names from files, folders, datasets, classes and error messages show as written, never as
markup: a dataset named '<b>x</b>' is not bold, a message quoting '<img src=x>' shows no
picture, and a message box reads its text as plain text (its links would open in another
program)."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from ssl_studio.gui import dialogs
from ssl_studio.gui.markup import tip

# Qt's own functions, before the GUI fixture answers them without a box
REAL = {name: getattr(dialogs.QMessageBox, name) for name in ("warning", "question")}


def shown(label: QLabel) -> str:
    """What ``label`` shows: its text as Qt renders it in the label's text format."""
    document = QTextDocument()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(label.text())
    )
    if rich:
        document.setHtml(label.text())
    else:
        document.setPlainText(label.text())
    return document.toPlainText()


def test_a_dataset_named_like_markup_shows_its_name_in_the_data_summary(make_window):
    panel = make_window().data
    dataset = {
        "name": "<b>x</b><a href='file:x.exe'>scans</a>",
        "items_by_modality": {"PNG": 3},
        "modality": "image",
        "cache_size": 32,
        "items": 3,
        "errors": 0,
        "skipped": 0,
    }
    panel._summarize(dataset, {})
    assert shown(panel.summary).startswith("<b>x</b><a href='file:x.exe'>scans</a>: 3 items")
    panel._show_report(dataset["name"], [])
    assert "'<b>x</b><a href='file:x.exe'>scans</a>'" in shown(panel.report_title)


def test_a_dataset_with_nothing_left_undone_says_no_none():
    """The summary of every dataset ended "0 files failed, 0 skipped. None": the note on
    unread DICOM files, absent, was escaped into the word."""
    from ssl_studio.gui.panels.data_summary import summary_text

    dataset = {"name": "chest-xray", "items_by_modality": {"PNG": 400}, "modality": "image"}
    dataset.update(cache_size=64, items=400, errors=0, skipped=0)
    text, stopped = summary_text(dataset, 0)
    assert text.endswith("0 files failed, 0 skipped.") and stopped == ""


def test_a_failed_prediction_s_message_shows_as_written(make_window):
    panel = make_window().export
    panel._failed("cannot read /data/<img src=x>.png")
    text = shown(panel.status)
    assert text.startswith("The prediction failed; nothing was saved.")  # (its own bold)
    assert text.endswith("cannot read /data/<img src=x>.png")
    assert "<b" not in text


def _answered(monkeypatch, name: str, button: QMessageBox.StandardButton) -> list[tuple]:
    """Let ``dialogs`` show real boxes for ``name``; each is recorded (its text format and
    text), then answered by clicking ``button``."""
    monkeypatch.setattr(dialogs.QMessageBox, name, REAL[name])
    boxes: list[tuple[Qt.TextFormat, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        boxes.append((box.textFormat(), box.text()))
        box.button(button).click()

    QTimer.singleShot(0, answer)
    return boxes


def test_an_error_box_shows_its_message_as_plain_text(qtbot, monkeypatch):
    boxes = _answered(monkeypatch, "warning", QMessageBox.StandardButton.Ok)
    message = "Label set '<a href=\"file:///x\">normal</a>' cannot be read."
    dialogs.show_error(None, "Cannot read", message)
    assert boxes == [(Qt.TextFormat.PlainText, message)]


def test_a_question_box_is_plain_text_and_gives_the_answer(qtbot, monkeypatch):
    boxes = _answered(monkeypatch, "question", QMessageBox.StandardButton.Yes)
    assert dialogs.confirm(None, "Remove?", "Remove dataset '<b>x</b>'?", default_no=True)
    assert boxes == [(Qt.TextFormat.PlainText, "Remove dataset '<b>x</b>'?")]
    boxes = _answered(monkeypatch, "question", QMessageBox.StandardButton.Cancel)
    assert dialogs.ask(None, "Save?", "Save '<i>y</i>'?") is None


def test_a_tooltip_that_looks_like_markup_shows_as_written():
    assert tip("circle/circle001.png") == "circle/circle001.png"
    document = QTextDocument()
    document.setHtml(tip("<b>x</b>\n<img src=y>"))
    assert document.toPlainText() == "<b>x</b>\n<img src=y>"


def test_a_thumbnail_labelled_like_markup_has_its_label_as_tooltip(make_window, project, tmp_path):
    import numpy as np
    from PIL import Image

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data

    folder = tmp_path / "scans"
    folder.mkdir()
    Image.fromarray(np.full((32, 32), 90, np.uint8)).save(folder / "a.png")
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    window = make_window(project)
    window.data.select_dataset("scans")
    model = window.data.model
    model.labels = {int(model.view.items[0]["id"]): "<b>x"}  # (a label set's class name)
    text = model.data(model.index(0), Qt.ItemDataRole.ToolTipRole)
    document = QTextDocument()
    document.setHtml(text) if QtGui.Qt.mightBeRichText(text) else document.setPlainText(text)
    assert document.toPlainText().endswith(": <b>x")  # (not a bold x)
