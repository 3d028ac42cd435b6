"""Messages to the user: what happened and what to do, never a traceback."""

from __future__ import annotations

import sys

from PySide6 import QtWidgets
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

Button = QtWidgets.QMessageBox.StandardButton


class QMessageBox(QtWidgets.QMessageBox):
    """Qt's message box, whose warning, information and question show their text as plain
    text: messages quote file, folder, dataset, label-set and class names and errors,
    and Qt would read one that looks like HTML as markup (a link in a message box opens
    in another program). Kept under Qt's name: it is used (and answered in tests) as
    Qt's static functions are."""

    @staticmethod
    def warning(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = Button.Ok,
        default: Button = Button.NoButton,
    ) -> Button:
        """A warning box as Qt's QMessageBox.warning shows it, the text plain."""
        return _shown(QtWidgets.QMessageBox.Icon.Warning, parent, title, text, buttons, default)

    @staticmethod
    def information(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = Button.Ok,
        default: Button = Button.NoButton,
    ) -> Button:
        """A notice box as Qt's QMessageBox.information shows it, the text plain."""
        return _shown(QtWidgets.QMessageBox.Icon.Information, parent, title, text, buttons, default)

    @staticmethod
    def question(
        parent: QWidget | None,
        title: str,
        text: str,
        buttons: Button = Button.Yes | Button.No,
        default: Button = Button.NoButton,
    ) -> Button:
        """A question box as Qt's QMessageBox.question shows it, the text plain."""
        return _shown(QtWidgets.QMessageBox.Icon.Question, parent, title, text, buttons, default)


def _shown(
    icon: QtWidgets.QMessageBox.Icon,
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
