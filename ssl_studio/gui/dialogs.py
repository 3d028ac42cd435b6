"""Messages to the user: what happened and what to do, never a traceback."""

from __future__ import annotations

import sys

from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

Button = QtWidgets.QMessageBox.StandardButton
Icon = QtWidgets.QMessageBox.Icon


def _plain_box(icon: Icon, standard: Button, what: str) -> staticmethod:
    """A static function as Qt's QMessageBox.``what`` (its signature and answer), whose
    box shows its text as plain text."""

    def show(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = standard,
        default: Button = Button.NoButton,
    ) -> Button:
        return _shown(icon, parent, title, text, buttons, default)

    show.__doc__ = f"A box as Qt's QMessageBox.{what} shows it, the text plain."
    return staticmethod(show)


class QMessageBox(QtWidgets.QMessageBox):
    """Qt's message box, whose warning, information and question show their text as plain
    text: messages quote file, folder, dataset, label-set and class names and errors,
    and Qt would read one that looks like HTML as markup (a link in a message box opens
    in another program). Kept under Qt's name: it is used (and answered in tests) as
    Qt's static functions are."""

    warning = _plain_box(Icon.Warning, Button.Ok, "warning")
    information = _plain_box(Icon.Information, Button.Ok, "information")
    question = _plain_box(Icon.Question, Button.Yes | Button.No, "question")


def _shown(
    icon: Icon,
    parent: QWidget | None,
    title: str,
    text: str,
    buttons: Button,
    default: Button,
) -> Button:
    """A modal box of ``text`` as plain text; the button pressed, as Qt's static functions
    answer (Escape: the box's escape button, or Cancel where it has none)."""
    box = QtWidgets.QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    box.exec()
    clicked = box.clickedButton()
    return box.standardButton(clicked) if clicked is not None else Button.Cancel


# When no one is there to close a dialog (``ssl-studio gui --smoke-test``): errors go to
# stderr and are counted here instead of waiting for a click; questions are answered No.
unattended_errors: list[str] | None = None


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """An error dialog. Core messages already say what to do; the dialog adds nothing."""
    if unattended_errors is not None:
        unattended_errors.append(message)
        print(f"ssl-studio: {title}: {message}", file=sys.stderr)
        return
    QMessageBox.warning(parent, title, message)


def show_notice(parent: QWidget | None, title: str, message: str) -> None:
    if unattended_errors is not None:
        print(f"ssl-studio: {title}: {message}", file=sys.stderr)
        return
    QMessageBox.information(parent, title, message)


def confirm(parent: QWidget | None, title: str, question: str, *, default_no: bool = False) -> bool:
    """A Yes / No question: True for Yes. ``default_no``: Enter answers No (for a choice
    that is rarely what is meant)."""
    if unattended_errors is not None:
        return False
    buttons = QMessageBox.StandardButton
    default = buttons.No if default_no else buttons.NoButton  # NoButton: Qt chooses
    answer = QMessageBox.question(parent, title, question, buttons.Yes | buttons.No, default)
    return answer == buttons.Yes


def ask(parent: QWidget | None, title: str, question: str) -> bool | None:
    """A Yes / No / Cancel question: True, False, or None for Cancel (also Escape and the
    close button), which means: do nothing. Unattended: None."""
    buttons = QMessageBox.StandardButton
    return _three_way(parent, title, question, buttons.Yes, buttons.No)


def save_or_discard(parent: QWidget | None, title: str, question: str) -> bool | None:
    """Save / Discard / Cancel for unsaved work: True to save, False to throw it away, None
    for Cancel (also Escape and the close button): go on working. Unattended: None."""
    buttons = QMessageBox.StandardButton
    return _three_way(parent, title, question, buttons.Save, buttons.Discard)


def _three_way(
    parent: QWidget | None,
    title: str,
    question: str,
    yes: QMessageBox.StandardButton,
    no: QMessageBox.StandardButton,
) -> bool | None:
    """``yes`` (the default) -> True, ``no`` -> False, Cancel (Escape) -> None."""
    if unattended_errors is not None:
        return None
    cancel = QMessageBox.StandardButton.Cancel
    answer = QMessageBox.question(parent, title, question, yes | no | cancel, yes)
    return {yes: True, no: False}.get(answer)
