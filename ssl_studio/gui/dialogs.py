"""Messages to the user: what happened and what to do, never a traceback."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QMessageBox, QWidget

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
