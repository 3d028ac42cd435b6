"""Names from files, folders, datasets, label sets, classes, runs, model cards and error
messages shown in Qt widgets as written, never as markup: Qt reads a label's or a message
box's text as HTML when it looks like HTML (AutoText), and a name such as
``<a href=file:...>scans`` would then show a link (that a message box opens) instead of
itself. A label either shows plain text (``plain``) or the app's own markup with every
inserted value escaped (``rich`` and ``esc``)."""

from __future__ import annotations

import html

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def esc(value: object) -> str:
    """``value`` as text to insert into the app's own markup: ``<``, ``>`` and ``&``
    escaped, so it shows as written (None: nothing, never the word)."""
    return "" if value is None else html.escape(str(value), quote=False)


def plain(label: QLabel) -> QLabel:
    """``label``, made to show its text as plain text (never as markup); returned."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def rich(label: QLabel) -> QLabel:
    """``label``, made to read its text as markup: the app's own, with every inserted
    value passed through ``esc`` (a plain message in it is escaped too); returned."""
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def tip(text: str) -> str:
    """``text`` as a tooltip that shows it as written: a tooltip that looks like markup
    is read as markup (a tooltip has no text format), so such a text is escaped and marked
    as rich text (its line breaks kept); any other text as it is."""
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return "<qt>" + esc(text).replace("\n", "<br>") + "</qt>"


def no_shortcut(text: str) -> str:
    """``text`` for a menu entry or group title, which read a single ``&`` as marking the
    next letter a shortcut key (``R&D`` would show as ``RD``): each ``&`` doubled."""
    return text.replace("&", "&&")
