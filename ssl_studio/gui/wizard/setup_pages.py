"""The wizard's first pages: the pretrained run and the labels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWizardPage,
)

from ssl_studio.core.demo_labels import demo_few_labels, demo_labels_csv, few_per_class
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.evaluation.patient_groups import (
    ITEM_SPLIT_CAVEAT,
    PatientProblem,
    one_patient_problem,
    split_groups,
)
from ssl_studio.core.evaluation.splits import group_ids
from ssl_studio.core.finetune.plan import CV_BELOW, planned_folds
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.label_export import label_names
from ssl_studio.core.labels import (
    MIN_PER_CLASS,
    labels_from_csv,
    labels_from_folders,
    set_labels,
)
from ssl_studio.core.pretrain import USABLE_STATUSES
from ssl_studio.core.pretrain_text import run_choice_text
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView
from ssl_studio.core.wording import counted, label_set_text
from ssl_studio.gui import dialogs
from ssl_studio.gui.markup import plain
from ssl_studio.gui.tables import fill_table, make_table
from ssl_studio.gui.wizard.label_dialog import LabelDialog

if TYPE_CHECKING:
    from ssl_studio.gui.wizard.finetune_wizard import FinetuneWizard


class RunPage(QWizardPage):
    """Which pretraining run's encoder to fine-tune."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Choose the pretrained encoder")
        self.setSubTitle("The network that learned from your unlabeled data.")
        self.runs = QComboBox()
        self.runs.currentIndexChanged.connect(self.completeChanged)
        self.empty = QLabel("There is no finished pretraining run yet: run one under Pretrain.")
        self.empty.setWordWrap(True)
        self.runs.currentIndexChanged.connect(self._warn)
        self.warning = plain(QLabel())  # a dataset's name: as written
        self.warning.setWordWrap(True)
        layout = QFormLayout(self)
        layout.addRow("Pretraining run", self.runs)
        layout.addRow(self.warning)
        layout.addRow(self.empty)
        self.warnings: dict[int, str] = {}  # run id -> why its encoder may be weak
        self.modalities: dict[int, str] = {}  # run id -> its dataset's modality

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        self.runs.clear()
        self.warnings = {}
        with self.wiz.context.reading(self), Store.open(self.wiz.project) as store:
            datasets = {d["id"]: d for d in store.datasets()}
            for run in reversed(store.runs()):
                if run["kind"] == "pretrain" and run["status"] in USABLE_STATUSES:
                    dataset = datasets[run["dataset_id"]]
                    text, warning = run_choice_text(run, dataset["name"], dataset["modality"])
                    self.warnings[run["id"]] = warning
                    self.modalities[run["id"]] = dataset["modality"]
                    self.runs.addItem(text, (run["id"], dataset["name"]))
        if self.wiz.preselect_run is not None:
            for i in range(self.runs.count()):
                if self.runs.itemData(i)[0] == self.wiz.preselect_run:
                    self.runs.setCurrentIndex(i)
        self.empty.setVisible(self.runs.count() == 0)
        self._warn()

    def _warn(self, *_: Any) -> None:
        """Say when the chosen run stopped early or trained far fewer steps than usual."""
        chosen = self.runs.currentData()
        self.warning.setText(self.warnings.get(chosen[0], "") if chosen else "")
        self.warning.setVisible(bool(self.warning.text()))

    def isComplete(self) -> bool:  # noqa: N802
        return self.runs.currentData() is not None

    def validatePage(self) -> bool:  # noqa: N802
        self.wiz.run_id, self.wiz.dataset = self.runs.currentData()
        self.wiz.modality = self.modalities.get(self.wiz.run_id, "image")
        return True


class LabelsPage(QWizardPage):
    """Where the labels come from, how many there are per class, and warnings."""

    def __init__(self, wizard: FinetuneWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Labels")
        self.setSubTitle(
            "Give a class to a few items: import a CSV, use the names of the class folders, "
            "or click items in a grid."
        )
        self.label_set = QComboBox()
        self.label_set.currentIndexChanged.connect(self._show_counts)
        csv_button = QPushButton("Import a CSV…")
        csv_button.clicked.connect(self.import_csv)
        folders_button = QPushButton("Use folder names")
        folders_button.clicked.connect(self.use_folders)
        self.folder_level = QSpinBox()  # 0: the level that looks like classes
        self.folder_level.setRange(0, 32)
        self.folder_level.setSpecialValueText("Folder level: auto")
        self.folder_level.setPrefix("Folder level ")
        self.folder_level.setAccessibleName("Folder level of the classes")
        self.folder_level.setToolTip(
            "Which folders are the classes, counted from the imported folder (1: the "
            "folders directly inside it). Auto skips folders named after patients, study, "
            "series and train/test folders."
        )
        click_button = QPushButton("Label by clicking…")
        click_button.clicked.connect(self.label_by_clicking)
        # a demo dataset: a few of the demo's labels per class (core/demo_labels.py)
        self.demo_button = QPushButton("Use the demo's labels")  # (+ how many, when shown)
        self.demo_button.clicked.connect(self.use_demo_labels)
        self.demo_button.hide()
        buttons = QHBoxLayout()
        for widget in (csv_button, folders_button, self.folder_level, click_button):
            buttons.addWidget(widget)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_button)
        demo_row.addStretch(1)
        self.counts = make_table(("Class", "Labeled items"), stretch_last=False)
        self.counts.setAccessibleName("Labeled items per class")
        self.warnings = plain(QLabel())  # class names, paths: as written
        self.warnings.setWordWrap(True)
        # offered only when the patient IDs cannot keep patients apart (one_patient_problem)
        self.by_item = QCheckBox("Split by item, not by patient (scores may be optimistic)")
        self.by_item.setVisible(False)
        self.by_item.toggled.connect(self._show_counts)
        self.problem: PatientProblem | None = None
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(demo_row)
        form = QFormLayout()
        form.addRow("Label set", self.label_set)
        layout.addLayout(form)
        layout.addWidget(self.counts, 1)
        layout.addWidget(self.warnings)
        layout.addWidget(self.by_item)
        self.classes: dict[str, int] = {}
        self.demo_csv: Path | None = None
        # (label, patient key, content hash) per usable labeled item
        self.keys: list[tuple[str, str | None, str | None]] = []

    def initializePage(self) -> None:  # noqa: N802
        self._offer_demo_labels()
        self.reload()

    def _offer_demo_labels(self) -> None:
        """On a demo dataset, offer a few of the demo's labels per class: its label file
        labels every image, as the folder names do, which hides what pretraining is for."""
        path = None
        with self.wiz.context.reading(self):  # (a locked or damaged project.db: said)
            path = demo_labels_csv(self.wiz.project, self.wiz.dataset)
        self.demo_csv = path
        self.demo_button.setVisible(path is not None)
        if path is None:
            return
        n, counts = few_per_class(path)
        self.demo_button.setText(f"Use the demo's labels ({n} per class)")
        self.demo_button.setToolTip(
            f"The demo's label file ({path}) labels all {sum(counts.values())} items "
            f"({', '.join(f'{c} {k}' for c, k in counts.items())}), as the folder names "
            f"do. This takes the first {n} of each class into the label set 'demo, {n} per "
            "class': fine-tuning on so few shows what pretraining brings."
        )

    def use_demo_labels(self) -> None:
        if self.demo_csv is not None and self._can_save():
            path = self.demo_csv
            self._label(lambda: demo_few_labels(self.wiz.project, self.wiz.dataset, path))

    def reload(self, select: str | None = None) -> None:
        sets: list[dict[str, Any]] = []
        with self.wiz.context.reading(self):
            sets = label_names(self.wiz.project, self.wiz.dataset)
        newest: dict[str, dict[str, Any]] = {}
        for s in sets:
            newest[s["name"]] = s
        self.label_set.blockSignals(True)
        self.label_set.clear()
        for name, s in newest.items():
            self.label_set.addItem(label_set_text(s), name)
        self.label_set.blockSignals(False)
        names = list(newest)
        if names:
            self.label_set.setCurrentIndex(
                names.index(select) if select in names else len(names) - 1
            )
        self._show_counts()

    def _show_counts(self, *_: Any) -> None:
        name = self.label_set.currentData()
        self.classes = {}
        self.patients: dict[str, int] = {}
        unusable = 0
        keys: list[tuple[str, str | None, str | None]] = []
        if name is not None:
            with self.wiz.context.reading(self), Store.open(self.wiz.project) as store:
                found = store.dataset(self.wiz.dataset)
                usable, left_out = store.labels_by_use(found["id"], name)
                unusable = len(left_out)
                for label in usable.values():
                    self.classes[label] = self.classes.get(label, 0) + 1
                keys = store.labeled_split_keys(found["id"], name)
        self.keys = keys
        self._count_patients(keys)
        fill_table(self.counts, [[k, n] for k, n in sorted(self.classes.items())])
        problems = []
        if name is not None and unusable:
            problems.append(
                f"{counted(unusable, 'labeled item')} {'is' if unusable == 1 else 'are'} not "
                "counted: unreadable or missing files (see the Import report); "
                "import the folder again once they read."
            )
        if name is None or len(self.classes) < 2:  # the one problem to solve first
            problems.append(self._class_count_text())
            self.warnings.setText(" ".join(problems))
            self.completeChanged.emit()
            return
        small = [k for k, n in self.classes.items() if n < MIN_PER_CLASS]
        if small:
            problems.append(
                f"Too few labels for {', '.join(small)}: each class needs at least "
                f"{MIN_PER_CLASS} (one to learn from, one to test on); 10 or more give "
                "meaningful figures."
            )
        elif self.problem is not None and not self.by_item.isChecked():
            problems.append(
                f"{self.problem.text} Next stays off until you choose: "
                + (
                    "tick 'Split by item' below to go on knowingly, or give the files their "
                    "real patient IDs and import them again."
                    if self.problem.anonymised
                    else "label more patients, or tick 'Split by item' below to go on "
                    "knowingly (scores may then be optimistic)."
                )
            )
        elif self.patients and planned_folds(min(self.patients.values()), self._plain()):
            unit = "patients" if self._grouped() and self._patient_ids() else "items"
            problems.append(
                f"Fewer than {CV_BELOW} labeled {unit} in a class: results will be measured "
                "by cross-validation and their intervals will be wide."
                + (
                    ""
                    if self._patient_ids()
                    else f" (No patient IDs found: each {self.wiz.item_word()} counts alone.)"
                )
            )
        if self.problem is not None and self.by_item.isChecked():
            problems.append(ITEM_SPLIT_CAVEAT)
        self.warnings.setText(" ".join(problems))
        self.completeChanged.emit()

    def _class_count_text(self) -> str:
        """No labels, or one class only: what is wrong and what to do, in one place (the
        label import's own "Only one class" warning is not repeated)."""
        if not self.classes:
            return "No labels yet: import a CSV, use the folder names or label by clicking."
        (only,) = self.classes
        return (
            f"Only one class is labeled ('{only}'): fine-tuning needs at least two. Label "
            "examples of the other class(es): import a CSV that has them, or label by clicking."
        )

    def _patient_ids(self) -> bool:
        """Some usable labeled item has a patient ID."""
        return any(key for _, key, _ in self.keys)

    def _count_patients(self, keys: list[tuple[str, str | None, str | None]]) -> None:
        """Patients per class of the usable labeled items (items, when split by item; exact
        copies count once, as the split keeps them together), and whether their patient
        IDs can keep patients apart at all (``self.problem``)."""
        labels = np.array([label for label, _, _ in keys])
        patients = [key for _, key, _ in keys]
        self.problem = one_patient_problem(labels, group_ids(patients))
        self.by_item.blockSignals(True)
        self.by_item.setVisible(self.problem is not None)
        if self.problem is None:
            self.by_item.setChecked(False)  # nothing to choose: patients are kept apart
        self.by_item.blockSignals(False)
        hashes = [digest for _, _, digest in keys]
        groups = split_groups(hashes, None if self.by_item.isChecked() else patients)
        self.patients = {str(c): len(np.unique(groups[labels == c])) for c in np.unique(labels)}

    def _report(self, report: Any) -> None:
        self.reload(report.name)
        # (the page says itself when one class is labeled: core's warning is not repeated)
        said = [w for w in report.warnings if not w.startswith("Only one class is labeled")]
        if said:
            self.warnings.setText(self.warnings.text() + " " + " ".join(said))

    def import_csv(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Label CSV", "", "CSV files (*.csv)")
        if path and self._can_save():
            self._label(lambda: labels_from_csv(self.wiz.project, self.wiz.dataset, path))

    def _can_save(self) -> bool:
        """Labels can be saved now: no job of this window holds the project (its write
        lock would refuse them); else say which job, the wizard's own fine-tune too."""
        runner = self.wiz.context.runner
        if not runner.busy:
            return True
        own = self.wiz.pages["train"].running
        what = (
            "this wizard's fine-tuning is still running (or stopping)"
            if own
            else f"“{runner.title}” is changing the project"
        )
        dialogs.show_error(
            self,
            "Labels",
            f"Labels cannot be saved while {what}. Wait for it to end (or stop it: the status "
            "bar has its Stop button), then label.",
        )
        return False

    def use_folders(self) -> None:
        if not self._can_save():
            return
        level = self.folder_level.value() or None
        self._label(lambda: labels_from_folders(self.wiz.project, self.wiz.dataset, level=level))

    def label_by_clicking(self) -> bool:
        """Open the click-to-label grid; False when labels could not be saved now."""
        if not self._can_save():  # its write lock would refuse the clicks at Save
            return False
        name = self.label_set.currentData() or "labels"
        with Store.open(self.wiz.project) as store:
            found = store.dataset(self.wiz.dataset)
            labels = store.latest_labels(found["id"], name)
        view = DatasetView.open(self.wiz.project, self.wiz.dataset, lean=True)
        dialog = LabelDialog(view, labels, self)
        if dialog.exec() and dialog.changes:
            self._label(
                lambda: set_labels(self.wiz.project, self.wiz.dataset, dialog.changes, name=name)
            )
        return True

    def _label(self, make: Any) -> None:
        try:
            report = make()
        except SSLStudioError as exc:
            dialogs.show_error(self, "Labels", str(exc))
            return
        self.wiz.context.notify("labels")
        self._report(report)

    def isComplete(self) -> bool:  # noqa: N802
        """Enough labels of every class, and patients kept apart or splitting by item
        chosen knowingly (a grouped split would be sure to fail)."""
        return (
            len(self.classes) >= 2
            and min(self.classes.values()) >= MIN_PER_CLASS
            and (self.problem is None or self.by_item.isChecked())
        )

    def _plain(self) -> FinetuneConfig:
        """The wizard's choices that decide how testing is done, as far as they are made
        by now (the protocol page may still choose a threshold; see ProtocolPage)."""
        return FinetuneConfig(project=self.wiz.project, group_by_patient=self._grouped())

    def _grouped(self) -> bool:
        return not self.by_item.isChecked()

    def validatePage(self) -> bool:  # noqa: N802
        self.wiz.labels = self.label_set.currentData()
        self.wiz.class_names = sorted(self.classes)
        self.wiz.labeled = self.keys
        self.wiz.group_by_patient = self._grouped()
        self.wiz.patient_ids = self._patient_ids()
        self.wiz.smallest_patients = min(self.patients.values())
        self.wiz.folds = planned_folds(self.wiz.smallest_patients, self._plain())
        return True
