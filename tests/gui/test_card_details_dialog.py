"""The export step's "Card details…": a form pre-filled with what the project keeps,
saved on OK, reachable from the keyboard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QScreen
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPlainTextEdit, QScrollArea

from ssl_studio.core.export.card_details import (
    FIELDS,
    CardDetails,
    remember_card_details,
    remembered_card_details,
)
from ssl_studio.core.project.store import Store
from ssl_studio.gui.wizard.card_details_dialog import CardDetailsDialog, access_keys

KEPT = CardDetails(model_name="Chest triage", caveats="Adults only.\nOne site.")


def test_the_dialog_shows_the_kept_details_and_saves_what_is_typed(qtbot, project):
    remember_card_details(project, KEPT)
    dialog = CardDetailsDialog(project, remembered_card_details(project))
    qtbot.addWidget(dialog)
    assert dialog.fields["model_name"].text() == "Chest triage"
    assert dialog.fields["caveats"].toPlainText() == "Adults only.\nOne site."
    assert dialog.fields["citation"].toPlainText() == ""
    dialog.fields["model_version"].setText(" 2.0 ")
    dialog.fields["caveats"].setPlainText("")
    dialog.fields["ethics_approval"].setPlainText("IRB 2024-117")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = CardDetails(
        model_name="Chest triage", model_version="2.0", ethics_approval="IRB 2024-117"
    )
    assert dialog.saved == saved and remembered_card_details(project) == saved


def test_a_refused_value_is_said_and_nothing_is_saved(qtbot, project):
    remember_card_details(project, KEPT)
    dialog = CardDetailsDialog(project, KEPT)
    qtbot.addWidget(dialog)
    dialog.fields["caveats"].setPlainText("ring \x07 <b>")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.saved is None
    assert (
        "Not saved." in dialog.error.text()
        and "Known caveats holds a control" in dialog.error.text()
    )
    assert remembered_card_details(project) == KEPT


def test_every_field_has_a_label_with_its_own_alt_key_and_tab_moves_on(qtbot, project):
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    labels = {label.buddy(): label.text() for label in dialog.findChildren(QLabel) if label.buddy()}
    assert set(labels) == set(dialog.fields.values())
    keys = [text[text.index("&") + 1].lower() for text in labels.values()]
    assert len(set(keys)) == len(FIELDS) and not {"o", "c"} & set(keys)  # OK, Cancel
    assert all(w.accessibleName() for w in dialog.fields.values())
    assert isinstance(dialog.fields["model_name"], QLineEdit)
    assert dialog.fields["model_name"].maxLength() == FIELDS["model_name"].limit
    notes = dialog.fields["caveats"]
    assert isinstance(notes, QPlainTextEdit) and notes.tabChangesFocus()
    dialog.show()
    notes.setFocus()
    QTest.keyClick(notes, Qt.Key.Key_Tab)
    assert notes.toPlainText() == "" and not notes.hasFocus()
    assert access_keys(["Data", "Data", "Dd"], taken="") == ["&Data", "D&ata", "Dd"]


def test_the_export_step_opens_the_dialog_pre_filled(qtbot, make_window, project, monkeypatch):
    remember_card_details(project, KEPT)
    shown = []

    def exec_(dialog):
        shown.append(dialog.fields["model_name"].text())
        dialog.fields["contact"].setText("lab@example.org")
        dialog.accept()
        return int(dialog.result())

    monkeypatch.setattr(CardDetailsDialog, "exec", exec_)
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.result = {"run_id": 3}
    page = wizard.pages["export"]
    button = next(b for b in page.findChildren(type(page.export_button)) if "details" in b.text())
    assert button.text() == "Card &details…"
    button.click()
    assert shown == ["Chest triage"]
    assert remembered_card_details(project).contact == "lab@example.org"
    assert page.status.text() == "Card details saved: the next export's card holds them."


def test_the_dialog_fits_a_small_screen_and_scrolls_its_fields(qtbot, project, monkeypatch):
    area = QRect(0, 0, 1280, 680)  # a 1280 x 720 screen less its taskbar
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _: QRect(area))
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= int(area.height() * 0.9) and dialog.width() <= 660
    assert dialog.findChild(QScrollArea).verticalScrollBar().maximum() > 0


def test_an_id_like_value_is_said_first_and_saved_on_a_second_ok(qtbot, project):
    """A long number or a full date may be a record number or a date of birth: said
    (never quoted) and kept only when OK is pressed again on the same fields."""
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    dialog.fields["caveats"].setPlainText("Born 15.03.1970")
    dialog.accept()
    said = dialog.error.text()
    assert dialog.saved is None and remembered_card_details(project) == CardDetails()
    assert "Not saved yet." in said and "Known caveats holds a full date" in said
    assert "15.03.1970" not in said and "Press OK again" in said
    dialog.fields["caveats"].setPlainText("Approved 02.05.2024")  # changed: said again
    dialog.accept()
    assert dialog.saved is None and "Not saved yet." in dialog.error.text()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert remembered_card_details(project).caveats == "Approved 02.05.2024"


def test_a_known_patient_id_is_refused_before_any_press_ok_again(qtbot, tmp_path):
    """A long number that is also a patient ID of the project: refused at the first OK,
    never first "press OK again to save" and then refused."""
    import pydicom
    from pydicom.uid import generate_uid

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import create_project, import_data

    ct = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
    ds = pydicom.dcmread(ct)
    ds.PatientID, ds.SOPInstanceUID = "12345678", generate_uid()
    (tmp_path / "scans").mkdir()
    ds.save_as(tmp_path / "scans" / "scan.dcm")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=32))
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    dialog.fields["caveats"].setPlainText("Patient 12345678 was left out.")
    dialog.accept()
    said = dialog.error.text()
    assert "Not saved." in said and "patient ID" in said and "Press OK again" not in said
    assert "12345678" not in said and dialog.saved is None
    assert remembered_card_details(project) == CardDetails()


def test_the_field_a_message_names_gets_the_focus_and_is_announced(qtbot, project, monkeypatch):
    """Warned or refused, the field the message names is focused and scrolled to, and a
    screen reader hears the message (two Enters would save the warned text unheard)."""
    from PySide6.QtGui import QAccessible

    heard = []
    monkeypatch.setattr(QAccessible, "updateAccessibility", lambda event: heard.append(event))
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    dialog.show()
    last = list(dialog.fields)[-1]
    dialog.fields[last].setFocus()
    dialog.fields["caveats"].setPlainText("Born 15.03.1970")
    dialog.accept()
    qtbot.waitUntil(lambda: dialog.fields["caveats"].hasFocus(), timeout=2000)
    [said] = [e.message() for e in heard if hasattr(e, "message")]
    assert said.startswith("Not saved yet. Known caveats holds a full date")
    assert "15.03.1970" not in said


def test_details_checked_when_warned_about_are_not_checked_again_on_the_second_ok(
    qtbot, project, monkeypatch
):
    """The patient-ID check runs once for warned details (each word costs ~25 ms)."""
    from ssl_studio.core.export import card_details

    checks = []
    real = card_details.refuse_known_patient_ids
    monkeypatch.setattr(
        card_details, "refuse_known_patient_ids", lambda *a, **k: checks.append(1) or real(*a, **k)
    )
    monkeypatch.setattr(Store, "patient_keys", lambda self: {"k"})  # (a patient to check)
    dialog = CardDetailsDialog(project, CardDetails())
    qtbot.addWidget(dialog)
    dialog.fields["caveats"].setPlainText("Approved 02.05.2024")
    dialog.accept()
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted and len(checks) == 1
