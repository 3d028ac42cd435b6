"""Data → Erase a patient…: the right to erasure in the app (core/erasure.py does the
work, as ``ssl-studio remove --dataset NAME --patient ID / --file PATH`` does). The user
gives a patient's ID or chooses files, is told what goes (and which runs go with it: they
learned from the data) and asked, No by default; the erasure runs as a job. The ID typed
is used only to find the patient's items by their salted key: it is never stored, logged
or shown again, and the field is emptied once the question is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ssl_studio.core.erasure import ErasurePlan, erase, plan_erasure
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.project.store import Store
from ssl_studio.core.wording import counted
from ssl_studio.gui import dialogs
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.markup import plain
from ssl_studio.gui.removal import confirm_and_run


class ErasureDialog(QDialog):
    """Whom or what to erase from dataset ``name``: a patient ID, or files."""

    def __init__(self, parent: QWidget | None, name: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Erase from dataset '{name}'")
        self.files: list[str] = []
        form = QFormLayout(self)
        form.addRow(
            plain(
                QLabel(
                    "For a patient who withdrew consent: their items, labels and cached "
                    "data are erased from the project, and importing the folder again "
                    "skips their files. Give the patient's ID as their DICOM files (or "
                    "the id column of their series) hold it, or choose the files."
                )
            )
        )
        form.itemAt(0).widget().setWordWrap(True)
        self.patient = QLineEdit()
        self.patient.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.patient.setAccessibleName("Patient ID")
        self.patient.setPlaceholderText("as in the files; shown only while typing")
        form.addRow("Patient ID", self.patient)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        choose = QPushButton("Choose files…")
        choose.clicked.connect(self.choose_files)
        self.chosen = QLabel("none")
        line.addWidget(choose)
        line.addWidget(self.chosen, 1)
        form.addRow("Or files", row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Next…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to erase")
        if files:
            self.set_files(files)

    def set_files(self, files: list[str]) -> None:
        self.files = list(files)
        self.chosen.setText(counted(len(self.files), "file"))
        self.chosen.setToolTip("\n".join(Path(f).name for f in self.files))

    def patients(self) -> list[str]:
        text = self.patient.text().strip()
        return [text] if text else []

    def forget(self) -> None:
        """Empty the ID field (the ID is not kept longer than the question needs it)."""
        self.patient.clear()


def erase_from_dataset(panel: QWidget, context: AppContext, name: str) -> bool:
    """Ask whom or what to erase from dataset ``name``, then what goes, then erase it in a
    job (runs on the dataset go too: they learned from the data). Whether it started."""
    project = context.project
    if project is None:
        return False
    if context.runner.busy:
        dialogs.show_error(panel, "Erase", context.still_running())
        return False
    dialog = ErasureDialog(panel, name)
    plan: ErasurePlan | None = None
    while plan is None:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            dialog.forget()
            return False
        if not dialog.patients() and not dialog.files:
            dialogs.show_error(panel, "Erase", "Give a patient's ID or choose files to erase.")
            continue
        with context.reading(panel) as read, Store.open(project) as store:
            try:
                plan = plan_erasure(store, name, dialog.files, dialog.patients(), True)
            except SSLStudioError as exc:  # an unknown file or patient: say so, ask again
                dialogs.show_error(panel, "Erase", str(exc))
        if read.error:  # (the project cannot be read: told already)
            dialog.forget()
            return False
    dialog.forget()
    title = f"Erase from dataset '{name}'"

    def job(report: object, stop: object) -> dict[str, Any]:
        return erase(project, plan)

    rereads = ("datasets", "labels", "runs", "exports")
    return confirm_and_run(panel, context, title, plan.describe(), job, rereads, name)
