"""The import options of the Data panel: what kind of files to read, the cache size, how
CSV series are laid out and their sampling rate (the CLI's --kind, --cache-size, --layout,
--sampling-rate). They apply to every import until changed, dropped folders included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.gui import dialogs
from ssl_studio.gui.options_form import OptionsForm

# what the window does itself (which folders, the dataset's name) or needs no choice
SKIPPED = ("name", "workers", "add")


def describe(options: dict[str, Any]) -> str:
    """One line for the options that differ from the defaults ("" when none do)."""
    words = {
        "kind": lambda v: f"only {v} files",
        "cache_size": lambda v: f"cache {v} px",
        "csv_layout": lambda v: f"CSV layout: {v}",
        "sampling_rate": lambda v: f"{v:g} samples/s",
        "retry_failed": lambda v: "failed files read again",
    }
    return ", ".join(words[k](v) for k, v in options.items() if k in words)


class ImportOptionsDialog(QDialog):
    """The options form; ``options()`` holds the changes from the defaults once accepted."""

    def __init__(self, parent: QWidget | None, options: dict[str, Any]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import options")
        intro = QLabel(
            "These apply to the next imports (folders dropped on the window too). The "
            "defaults fit most data; hover over an option for what it does."
        )
        intro.setWordWrap(True)
        self.form = OptionsForm(ImportConfig, skip=SKIPPED, values=options)
        self.form.setObjectName("import_options")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        defaults = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.clicked.connect(self._restore_defaults)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addWidget(buttons)
        self._chosen: dict[str, Any] = dict(options)

    def _restore_defaults(self) -> None:
        default = ImportConfig(project=Path())
        for name in self.form.editors:
            self.form.set_value(name, getattr(default, name))

    def accept(self) -> None:
        """Keep the options only if they make a valid import (else say why and stay)."""
        try:
            values = self.form.values()
            default = ImportConfig(project=Path())
            chosen = {k: v for k, v in values.items() if v != getattr(default, k)}
            ImportConfig(project=Path(), paths=[Path()], **chosen).validate()
        except SSLStudioError as exc:
            dialogs.show_error(self, "Import options", str(exc))
            return
        self._chosen = chosen
        super().accept()

    def options(self) -> dict[str, Any]:
        return dict(self._chosen)
