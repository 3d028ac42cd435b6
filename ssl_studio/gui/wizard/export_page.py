"""The wizard's last page: export the fine-tuned model, and show its model card."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWizardPage,
)

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Stopped
from ssl_studio.core.export.card_details import missing_for_sharing, remembered_card_details
from ssl_studio.core.export.card_markdown import card_markdown
from ssl_studio.core.export.writer import FORMAT_HELP, FORMATS
from ssl_studio.core.file_names import check_new_folder_name
from ssl_studio.core.jobs import export
from ssl_studio.gui.colours import tone
from ssl_studio.gui.focus_keeper import FocusKeeper
from ssl_studio.gui.markup import esc, plain, rich
from ssl_studio.gui.wizard.card_details_dialog import CardDetailsDialog
from ssl_studio.gui.wizard.not_for_diagnosis import not_for_diagnosis_label

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard


class ExportPage(QWizardPage):
    """Formats, destination, export, and the model card."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Export the model")
        self.setSubTitle(
            "Files another program can run, with a model card that says what the model is, "
            "how it was tested, and what it must not be used for."
        )
        self.formats = {name: QCheckBox(name) for name in FORMATS}
        row = QHBoxLayout()
        for name, box in self.formats.items():
            box.setChecked(True)
            box.setToolTip(FORMAT_HELP[name])
            row.addWidget(box)
        row.addStretch(1)
        self.format_help = plain(QLabel("\n".join(FORMAT_HELP[name] for name in FORMATS)))
        self.format_help.setWordWrap(True)
        self.not_for_diagnosis = not_for_diagnosis_label()
        self.folder = QLineEdit()
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        folder_title = QLabel("F&older")  # Alt+O (the wizard's buttons hold B, N, F)
        folder_title.setBuddy(self.folder)
        where.addWidget(folder_title)
        where.addWidget(self.folder, 1)
        where.addWidget(browse)
        self.export_button = QPushButton("Export")
        self.export_button.clicked.connect(self.export)
        details = QPushButton("Card &details…")  # Alt+D
        details.setToolTip(
            "Your own words for the model card: its name, who made it, intended use, data "
            "source, ethics approval, caveats. Kept in the project for every export."
        )
        details.clicked.connect(self.edit_details)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(details)
        # Export pressed from the keyboard: the focus waits on Card details, then comes back
        self.focus_keeper = FocusKeeper(self.export_button, details)
        buttons.addStretch(1)
        self.status = rich(QLabel())  # the folder, files and messages in it escaped
        self.status.setWordWrap(True)
        self.card = QTextBrowser()
        layout = QVBoxLayout(self)
        layout.addWidget(self.not_for_diagnosis)  # before the files that look ready to deploy
        layout.addLayout(row)
        layout.addWidget(self.format_help)
        layout.addLayout(where)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        card_title = QLabel("&Model card")  # Alt+M
        card_title.setBuddy(self.card)
        layout.addWidget(card_title)
        layout.addWidget(self.card, 1)
        self.exported: dict[str, Any] | None = None
        self.writing_to: Path | None = None  # the folder of the export under way or last made

    def initializePage(self) -> None:  # noqa: N802
        result = self.wiz.result
        assert result is not None
        if not self.folder.text():
            self.folder.setText(str(self.wiz.project / "exports" / f"run-{result['run_id']}"))
        self.card.setMarkdown(
            "The card is written with the export. It will hold the test metrics shown on the "
            "previous page (Results), the baseline, the preprocessing, the intended use and "
            "its limits, and the card details you give (Card details…)."
        )

    def edit_details(self) -> bool:
        """The card details dialog, filled with those the project keeps; True when saved
        (the next export's card holds them)."""
        with self.wiz.context.reading(self) as read:
            kept = remembered_card_details(self.wiz.project)
        if read.error:
            return False
        dialog = CardDetailsDialog(self.wiz.project, kept, self)
        if not dialog.exec():
            return False
        self.status.setText("Card details saved: the next export's card holds them.")
        return True

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to")
        if folder:
            self.folder.setText(str(Path(folder) / f"run-{self.wiz.result['run_id']}"))

    def destination(self) -> Path:
        """The folder to export to, absolute: a relative one typed ("mymodel") is inside
        the project's exports folder, not wherever the app was started; empty: run-N."""
        text = self.folder.text().strip() or f"run-{self.wiz.result['run_id']}"
        out = Path(text).expanduser()
        return (out if out.is_absolute() else self.wiz.project / "exports" / out).resolve()

    def export(self) -> bool:
        chosen = tuple(name for name, box in self.formats.items() if box.isChecked())
        if not chosen:
            self.status.setText("Choose at least one format.")
            return False
        try:  # the name as typed: resolving it on Windows would drop a trailing dot
            check_new_folder_name(Path(self.folder.text().strip()), "type another name")
        except ConfigError as exc:
            red = tone("red", self.palette())
            self.status.setText(f"<b style='color:{red}'>{esc(str(exc))}</b>")
            return False
        out = self.destination()
        self.folder.setText(str(out))  # where it goes, in full, before it is written
        self.writing_to = out
        run_id = self.wiz.result["run_id"]
        project = self.wiz.project

        def work(report: Any, stop: Any) -> dict[str, Any]:
            try:
                return export(project, run_id, out, chosen, report=report, stop=stop)
            except Stopped:  # a result of its own: the page must hear of it (see _done)
                return {"status": "stopped"}

        self.status.setText("Exporting and checking the files against PyTorch…")
        self._exporting(True)
        started = self.wiz.context.run(self, "Export", work, self._done, self._failed)
        if not started:  # another job runs (it said so): try again when it is done
            self._exporting(False)
            self.status.setText("")
        return started

    def _exporting(self, exporting: bool) -> None:
        """Export off while it runs (the focus on it waits on Card details)."""
        self.focus_keeper.set_enabled(((self.export_button, not exporting),))

    def _done(self, card: dict[str, Any]) -> None:
        self._exporting(False)
        if card.get("status") == "stopped":
            self.status.setText("Export stopped; nothing was written.")
            return
        self.exported = card
        out = self.wiz.export_folder = self.writing_to
        files = sorted(f.name for f in out.iterdir() if f.is_file()) if out.is_dir() else []
        said = f"Exported to {esc(out)}: {esc(', '.join(files))}."
        if missing := missing_for_sharing(card.get("details") or {}):
            said += (
                f"<br>Not on the card: {esc(', '.join(missing))}. Whoever receives the folder "
                "will look for them: add them with Card details… and export again."
            )
        self.status.setText(said)
        self.card.setMarkdown(card_markdown(card))
        self.wiz.context.notify("exports")

    def _failed(self, message: str) -> None:
        self._exporting(False)
        red = tone("red", self.palette())
        self.status.setText(f"<b style='color:{red}'>The export failed.</b> {esc(message)}")
