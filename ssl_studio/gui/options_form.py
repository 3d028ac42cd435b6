"""A form generated from a config dataclass, so a new option needs no GUI code.

Each field becomes a row: a check box (bool), a spin box (int, float) or a line edit (text,
or a number that may be left empty for "automatic"). The field's help text is the tooltip.
``changes()`` returns only what differs from the defaults, ready for the config.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ssl_studio.core.errors import ConfigError


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


class OptionsForm(QWidget):
    """Rows for the simple fields of ``config_class`` (dicts, lists and paths are skipped)."""

    def __init__(
        self, config_class: type, *, skip: tuple[str, ...] = (), values: dict | None = None
    ) -> None:
        super().__init__()
        self.config_class = config_class
        self.editors: dict[str, tuple[QWidget, str, Any]] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in dataclasses.fields(config_class):
            kind = str(f.type).replace(" ", "")
            default = _default(f)
            if f.name in skip or not f.init or isinstance(default, dict | list):
                continue
            if kind.split("|")[0] not in ("bool", "int", "float", "str"):
                continue
            value = (values or {}).get(f.name, default)
            editor = self._editor(kind, value)
            editor.setToolTip(f.metadata.get("help", ""))
            editor.setObjectName(f.name)
            layout.addRow(_label(f.name), editor)
            self.editors[f.name] = (editor, kind, default)

    @staticmethod
    def _editor(kind: str, value: Any) -> QWidget:
        if kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            return box
        if kind == "int":
            spin = QSpinBox()
            spin.setRange(-1_000_000_000, 1_000_000_000)
            spin.setValue(int(value))
            return spin
        if kind == "float":
            spin = QDoubleSpinBox()
            spin.setDecimals(6)
            spin.setRange(-1e9, 1e9)
            spin.setValue(float(value))
            return spin
        edit = QLineEdit("" if value is None else str(value))
        edit.setPlaceholderText("automatic")
        return edit

    def set_value(self, name: str, value: Any) -> None:
        editor = self.editors[name][0]
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setValue(value)
        else:
            editor.setText("" if value is None else str(value))

    def values(self) -> dict[str, Any]:
        """Every field's current value (raises ConfigError for text that is not a number)."""
        out = {}
        for name, (editor, kind, _) in self.editors.items():
            if isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                out[name] = editor.value()
            else:
                out[name] = self._parse(name, kind, editor.text().strip())
        return out

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the dataclass default."""
        return {k: v for k, v in self.values().items() if v != self.editors[k][2]}

    @staticmethod
    def _parse(name: str, kind: str, text: str) -> Any:
        if not text:
            return None
        base = kind.split("|")[0]
        try:
            return int(text) if base == "int" else float(text) if base == "float" else text
        except ValueError:
            raise ConfigError(f"{_label(name)} must be a {base} number, not {text!r}.") from None
