"""Notes beside form fields, read to screen-reader users too.

A screen reader says a field's name and its accessible description when the field gets
the focus, and never the label of a note in the row under it (the pretext task's
explanation, the protocol's, how the test items are held out, the operating point's
note). ``set_note`` shows a note and gives its words to the fields it is about."""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def plain_words(label: QLabel) -> str:
    """``label``'s text as a screen reader should say it: its markup (bold, line breaks,
    entities) read as such, not spelled out."""
    text = label.text()
    rich = label.textFormat() == Qt.TextFormat.RichText or (
        label.textFormat() == Qt.TextFormat.AutoText and QtGui.Qt.mightBeRichText(text)
    )
    words = QtGui.QTextDocumentFragment.fromHtml(text).toPlainText() if rich else text
    return " ".join(words.split())  # (a line break read as a space)


def set_note(note: QLabel, text: str, *fields: QWidget) -> None:
    """Show ``text`` in ``note`` and make its plain words the accessible description of
    each of ``fields`` (an empty note: no description)."""
    note.setText(text)
    words = plain_words(note)
    for field in fields:
        field.setAccessibleDescription(words)
