"""The export step's "Card details…" dialog: the model card's fields only the user can
write (core/export/card_details.py), pre-filled with those the project keeps and saved to
the project on OK, for every later export."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.export.card_details import (
    FIELDS,
    CardDetails,
    check_card_details,
    remember_card_details,
)
from ssl_studio.gui.colours import tone
from ssl_studio.gui.screen_fit import fit_to_screen, scrolling

TEXT_LINES = 3  # the height of a field of several lines, in lines (it scrolls beyond)


def access_keys(titles: list[str], taken: str = "oc") -> list[str]:
    """Each title with an access key (``&``) on its first letter that no title before it
    has and ``taken`` (the OK and Cancel buttons') lacks."""
    used, marked = set(taken), []
    for text in titles:
        at = next((i for i, c in enumerate(text) if c.isalpha() and c.lower() not in used), None)
        if at is None:
            marked.append(text)
            continue
        used.add(text[at].lower())
        marked.append(f"{text[:at]}&{text[at:]}")
    return marked


class CardDetailsDialog(QDialog):
    """One field per detail; OK checks and saves them (``saved`` holds them then)."""

    def __init__(self, project: Path, details: CardDetails, parent: QWidget | None = None):
        super().__init__(parent)
        self.project = project
        self.saved: CardDetails | None = None
        self.warned: CardDetails | None = None  # details whose warnings were shown
        self.checked: str | None = None  # the marker of their patient-ID check
        self.setWindowTitle("Model card details")
        intro = QLabel(
            "What only you can say about the model, for its card. Every field is optional: "
            "the card leaves out those left empty, and always says the model is not for "
            "clinical diagnosis. The project keeps them for every export. Never write a "
            "patient's name or ID here."
        )
        intro.setWordWrap(True)
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {}
        form_page = QWidget()
        form = QFormLayout(form_page)
        given = details.to_dict()
        for (key, field), title in zip(
            FIELDS.items(), access_keys([f.title for f in FIELDS.values()]), strict=True
        ):
            widget = self._editor(field.lines, field.limit, given.get(key, ""))
            widget.setAccessibleName(field.title)
            label = QLabel(title)
            label.setBuddy(widget)
            form.addRow(label, widget)
            self.fields[key] = widget
        self.error = QLabel()
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        self.area = scrolling(form_page, "Card details")
        layout.addWidget(self.area, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        fit_to_screen(self, 660, 800)

    def _tell(self, colour: str, head: str, text: str) -> None:
        """Say ``head`` and ``text`` below the fields, move the focus to the first field
        the text names (scrolled into view) and announce it to a screen reader (two
        Enters would otherwise save what it warned about unheard)."""
        self.error.setText(f"<b style='color:{colour}'>{head}</b> {html.escape(text)}")
        named = [key for key, f in FIELDS.items() if f.title in text]
        if named:
            widget = self.fields[min(named, key=lambda k: text.index(FIELDS[k].title))]
            widget.setFocus()
            self.area.ensureWidgetVisible(widget)
        QAccessible.updateAccessibility(QAccessibleAnnouncementEvent(self.error, f"{head} {text}"))

    def _editor(self, lines: bool, limit: int, text: str) -> QLineEdit | QPlainTextEdit:
        """A line edit, or a few lines' plain-text edit where Tab moves on (not a tab)."""
        if not lines:
            edit = QLineEdit(text)
            edit.setMaxLength(limit)
            return edit
        area = QPlainTextEdit(text)
        area.setTabChangesFocus(True)
        area.setFixedHeight(area.fontMetrics().lineSpacing() * TEXT_LINES + 12)
        return area

    def details(self) -> CardDetails:
        """The fields as typed, checked (ConfigError says what is wrong)."""
        return CardDetails.from_dict(
            {
                key: w.text() if isinstance(w, QLineEdit) else w.toPlainText()
                for key, w in self.fields.items()
            }
        )

    def accept(self) -> None:
        """Check and save; a value refused or a project that cannot be written is said
        below the fields (in core's words) and the dialog stays open. What looks like an
        identifier (a long number, a full date) is said first, and saved on a second OK
        if the fields are unchanged."""
        red = tone("red", self.palette())
        try:
            details = self.details()
            warnings = details.warnings()
            if warnings and details != self.warned:
                with _busy():  # a patient ID is refused before any "press OK again"
                    self.checked = check_card_details(self.project, details)
                self.warned = details
                self._tell(
                    red,
                    "Not saved yet.",
                    f"{' '.join(warnings)} Press OK again to save the fields as they are.",
                )
                return
            with _busy():  # (details checked when warned about are not checked again)
                checked = self.checked if details == self.warned else None
                remember_card_details(self.project, details, checked)
        except SSLStudioError as exc:
            self._tell(red, "Not saved.", str(exc))
            return
        self.saved = details
        super().accept()


@contextmanager
def _busy() -> Iterator[None]:
    """A wait cursor while a check runs: deriving the salted key of each number-like word
    takes ~25 ms (bounded: card_identifiers.py); a long text of codes can take seconds."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
