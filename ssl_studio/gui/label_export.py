"""Data → Export labels…: write one of the chosen dataset's label sets to a CSV file
(core/labels.export_labels), for another tool, a colleague or a backup of the labels given
by clicking; `ssl-studio labels --csv` (or a CSV in the wizard) reads it back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.file_names import safe_name
from ssl_studio.core.label_export import export_labels, label_names
from ssl_studio.core.wording import counted, label_set_text
from ssl_studio.gui import dialogs


def export_labels_dialog(parent: QWidget, project: Path, dataset: str) -> bool:
    """Ask which label set (when there are several) and where, then write it. Whether a
    file was written."""
    try:
        sets = label_names(project, dataset)  # (every version, newest last)
    except SSLStudioError as exc:
        dialogs.show_error(parent, "Export labels", str(exc))
        return False
    newest: dict[str, dict] = {}
    for entry in reversed(sets):  # each set's newest version, the latest written first
        newest.setdefault(entry["name"], entry)
    if not newest:
        dialogs.show_error(
            parent,
            "Export labels",
            f"Dataset '{dataset}' has no labels yet: label it in the fine-tune wizard "
            "(Label by clicking, a CSV, or folder names).",
        )
        return False
    name = next(iter(newest))
    if len(newest) > 1:
        shown = {label_set_text(e): n for n, e in newest.items()}
        picked, chosen = QInputDialog.getItem(
            parent, "Export labels", "Label set to export:", list(shown), 0, False
        )
        if not chosen:
            return False
        name = shown[picked]
    # (names are the user's: "Thorax: Erwachsene" or "ct/2024" would be no file name)
    suggested = Path.home() / safe_name(f"{dataset}-{name}", ".csv")
    out, _ = QFileDialog.getSaveFileName(
        parent, "Save the labels as", str(suggested), "CSV files (*.csv)"
    )
    if not out:
        return False
    try:  # (the save dialog asked before replacing a file)
        done = export_labels(project, dataset, Path(out), name=name, overwrite=True)
    except (SSLStudioError, OSError) as exc:
        dialogs.show_error(parent, "Export labels", str(exc))
        return False
    dialogs.show_notice(
        parent,
        "Labels exported",
        f"Label set '{done['name']}' (version {done['version']}): "
        f"{counted(done['labels'], 'label')} written to {done['out']}.",
    )
    return True
