"""The fine-tune wizard: pretrained run -> labels -> protocol -> training -> results -> export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget, QWizard

from ssl_studio.core.finetune_config import FinetuneConfig, finetune_train_defaults
from ssl_studio.gui import dialogs
from ssl_studio.gui.context import AppContext
from ssl_studio.gui.screen_fit import fit_to_screen
from ssl_studio.gui.wizard.export_page import ExportPage
from ssl_studio.gui.wizard.protocol_page import ProtocolPage
from ssl_studio.gui.wizard.results_page import ResultsPage
from ssl_studio.gui.wizard.setup_pages import LabelsPage, RunPage
from ssl_studio.gui.wizard.train_page import TrainPage


class FinetuneWizard(QWizard):
    """Holds what the pages decide; each page reads and writes these attributes."""

    def __init__(
        self, context: AppContext, parent: QWidget | None = None, run_id: int | None = None
    ) -> None:
        super().__init__(parent)
        assert context.project is not None
        self.context = context
        self.project: Path = context.project
        self.preselect_run = run_id
        self.run_id: int | None = None
        self.dataset = ""
        self.modality = "image"  # the dataset's ("timeseries": its items are recordings)
        self.labels = ""
        # (label, patient key, content hash) per usable labeled item
        self.labeled: list[tuple[str, str | None, str | None]] = []
        self.per_class = 0  # training labels of the smallest class (see ProtocolPage)
        self.class_names: list[str] = []  # of the chosen label set, sorted
        self.folds = 0  # cross-validation folds the job will use (0: a test split)
        self.smallest_patients = 0  # labeled patients (or items) in the smallest class
        self.group_by_patient = True  # False: split by item (chosen on the labels page)
        self.patient_ids = True  # some labeled item has a patient ID (else: items alone)
        self.options: dict[str, Any] = {}
        self.result: dict[str, Any] | None = None
        self.efficiency: dict[str, Any] | None = None
        self.export_folder: Path | None = None
        self.setWindowTitle("Fine-tune on a few labels")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage)
        # the Training page is a commit page: its button leads on to the results (Qt's
        # own "Commit" contradicted the page's "Press Next for the results")
        self.setButtonText(QWizard.WizardButton.CommitButton, "Results >")
        fit_to_screen(self, 980, 720)  # Next and Cancel stay above a small screen's edge
        self.pages = {
            "run": RunPage(self),
            "labels": LabelsPage(self),
            "protocol": ProtocolPage(self),
            "train": TrainPage(self),
            "results": ResultsPage(self),
            "export": ExportPage(self),
        }
        for page in self.pages.values():
            self.addPage(page)
        # Back mid-fine-tune asks first (TrainPage.confirm_back): QWizard's own Back would
        # leave the job training the choices the user is about to change
        back = self.button(QWizard.WizardButton.BackButton)
        back.clicked.disconnect()
        back.clicked.connect(self.back)

    def back(self) -> None:
        """Back, unless the user keeps a running fine-tune (see TrainPage.confirm_back)."""
        train = self.pages["train"]
        if self.currentPage() is train and not train.confirm_back():
            return
        super().back()

    def choose_run(self, run_id: int) -> bool:
        """Pick ``run_id`` while the wizard is still on its first page; False once a run
        was chosen and the later pages work on it."""
        if self.currentPage() is not self.pages["run"]:
            return False
        self.preselect_run = run_id
        self.pages["run"].initializePage()
        return True

    def unit(self) -> str:
        """What the split counts: "patients", or "items" when split by item or when no
        labeled item has a patient ID (each item then counts alone)."""
        return "patients" if self.group_by_patient and self.patient_ids else "items"

    def item_word(self, plural: bool = False) -> str:
        """What the dataset's items are in the pages' sentences: a recording (series) or
        an image, as the viewer says "Series 1 of 80" or "Image 1 of 80"."""
        word = "recording" if self.modality == "timeseries" else "image"
        return f"{word}s" if plural else word

    def finetune_config(self) -> FinetuneConfig:
        """The fine-tuning the pages chose (also the base of the label-efficiency curve)."""
        o = self.options
        train = finetune_train_defaults()
        train.steps = o["steps"]
        return FinetuneConfig(
            project=self.project,
            run=self.run_id,
            labels=self.labels,
            dataset=self.dataset,
            protocol=o["protocol"],
            baseline=o["baseline"],
            test_fraction=o["test_fraction"],
            val_fraction=o.get("val_fraction", 0.0),
            threshold=o.get("threshold", "default"),
            positive=o.get("positive"),
            seed=o["seed"],
            group_by_patient=self.group_by_patient,
            train=train,
        )

    def reject(self) -> None:
        """Cancel, Escape or the close button. Mid-training it asks first (No by default,
        as an Escape meant for something else must not end a long fine-tune); Yes stops
        the job (its checkpoint is kept) and closes."""
        train, results = self.pages["train"], self.pages["results"]
        running = (
            isinstance(train, TrainPage) and train.running,
            "Fine-tuning is running",
            "Its results would be lost; choose No to let it finish.",
        )
        measuring = (
            isinstance(results, ResultsPage) and results.measuring,
            "The label-efficiency curve is being measured",
            "Choose No to let it finish.",
        )
        for busy, what, then in (running, measuring):
            if busy:
                if not dialogs.confirm(
                    self, what, f"{what} — stop it and close? {then}", default_no=True
                ):
                    return
                self.context.runner.stop()
                break
        super().reject()
