"""A form generated from a config dataclass, so a new option needs no GUI code.

Each field becomes a row: a check box (bool), a choice of automatic / on / off (bool |
None), a list (text with fixed ``choices``), a spin box (int, float), two spin boxes (a
``tuple[float, float]`` range) or a line edit (text, or a number that may be left empty
for "automatic"). The field's help text is
the tooltip. ``changes()`` returns only what differs from the starting values (the
defaults, or ``values``), ready for the config; ``changed`` fires on every edit.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from ssl_studio.core.config_fields import type_names
from ssl_studio.core.errors import ConfigError
from ssl_studio.gui.decimal_spin import DecimalSpin, is_ambiguous, with_point


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


# words of field names written as people write them
ACRONYMS = {"csv": "CSV", "lr": "learning rate", "ema": "EMA", "amp": "AMP", "mlp": "MLP"}


def _label(name: str) -> str:
    """A field's name as a form label: "csv_layout" -> "CSV layout"."""
    words = name.split("_")
    words = [ACRONYMS.get(w, w) for w in words]
    text = " ".join(words)
    return text[0].upper() + text[1:]


PAIR = "tuple[float,float]"
AUTO_BOOL = "bool|None"
CHOICE = "choice"  # a text field with a fixed list of values
AUTO_BOOL_CHOICES = (("automatic", None), ("on", True), ("off", False))
AUTO_BOOL_VALUES = [value for _, value in AUTO_BOOL_CHOICES]  # by the combo box's index


class PairEditor(QWidget):
    """A (min, max) range: two spin boxes side by side."""

    def __init__(self, value: tuple[float, float]) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.low, self.high = DecimalSpin(3), DecimalSpin(3)
        for spin in (self.low, self.high):
            spin.setSingleStep(0.05)
            spin.setRange(0.0, 1e6)
        row.addWidget(self.low)
        row.addWidget(QLabel("to"))
        row.addWidget(self.high)
        self.set_value(value)

    def set_value(self, value: tuple[float, float]) -> None:
        self.low.setValue(float(value[0]))
        self.high.setValue(float(value[1]))

    def value(self) -> tuple[float, float]:
        return (self.low.value(), self.high.value())


class OptionsForm(QWidget):
    """Rows for the simple fields of ``config_class`` (dicts, lists and paths are skipped)."""

    changed = Signal()

    def __init__(
        self, config_class: type, *, skip: tuple[str, ...] = (), values: dict | None = None
    ) -> None:
        super().__init__()
        self.config_class = config_class
        self.editors: dict[str, tuple[QWidget, str, Any]] = {}
        layout = QFormLayout(self)
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        kinds = type_names(config_class)
        for f in dataclasses.fields(config_class):
            kind = kinds[f.name].replace(" ", "")
            default = _default(f)
            if f.name in skip or not f.init or isinstance(default, dict | list):
                continue
            if kind != PAIR and kind.split("|")[0] not in ("bool", "int", "float", "str"):
                continue
            value = (values or {}).get(f.name, default)
            if f.metadata.get("choices"):
                kind = CHOICE
            editor = self._editor(kind, value, f.metadata.get("choices", ()))
            editor.setToolTip(f.metadata.get("help", ""))
            editor.setObjectName(f.name)
            layout.addRow(_label(f.name), editor)
            if isinstance(editor, PairEditor):  # its two boxes, each for a screen reader
                editor.low.setAccessibleName(f"{_label(f.name)}: from")
                editor.high.setAccessibleName(f"{_label(f.name)}: to")
            self.editors[f.name] = (editor, kind, value)

    def _editor(self, kind: str, value: Any, choices: tuple[str, ...] = ()) -> QWidget:
        if kind == CHOICE:  # a list, not free text that could be misspelt or left empty
            combo = QComboBox()
            for choice in choices:
                combo.addItem(choice, choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if kind == PAIR:
            pair = PairEditor(value)
            for spin in (pair.low, pair.high):
                spin.valueChanged.connect(self.changed)
            return pair
        if kind == AUTO_BOOL:
            combo = QComboBox()
            for text, choice in AUTO_BOOL_CHOICES:
                combo.addItem(text, choice)
            combo.setCurrentIndex(AUTO_BOOL_VALUES.index(value))
            combo.currentIndexChanged.connect(self.changed)
            return combo
        if kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(self.changed)
            return box
        if kind == "int":
            spin = QSpinBox()
            spin.setRange(-1_000_000_000, 1_000_000_000)
            spin.setValue(int(value))
            spin.valueChanged.connect(self.changed)
            return spin
        if kind == "float":
            spin = DecimalSpin()
            spin.setRange(-1e9, 1e9)
            spin.setValue(float(value))
            spin.valueChanged.connect(self.changed)
            return spin
        edit = QLineEdit("" if value is None else str(value))
        edit.setPlaceholderText("automatic")
        edit.editingFinished.connect(self.changed)
        return edit

    def set_placeholder(self, name: str, text: str) -> None:
        """What an empty text field stands for, e.g. "automatic: 8"."""
        editor = self.editors[name][0]
        if isinstance(editor, QLineEdit):
            editor.setPlaceholderText(text)

    def set_value(self, name: str, value: Any) -> None:
        editor = self.editors[name][0]
        if isinstance(editor, PairEditor):
            editor.set_value(value)
        elif isinstance(editor, QComboBox) and self.editors[name][1] == CHOICE:
            editor.setCurrentIndex(editor.findData(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(AUTO_BOOL_VALUES.index(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QSpinBox | QDoubleSpinBox):
            editor.setValue(value)
        else:
            editor.setText("" if value is None else str(value))

    def values(self) -> dict[str, Any]:
        """Every field's current value (raises ConfigError for text that is not a number)."""
        out = {}
        for name, (editor, kind, _) in self.editors.items():
            if isinstance(editor, PairEditor):
                out[name] = editor.value()
            elif isinstance(editor, QComboBox) and kind == CHOICE:
                out[name] = editor.currentData()
            elif isinstance(editor, QComboBox):
                out[name] = AUTO_BOOL_VALUES[editor.currentIndex()]
            elif isinstance(editor, QCheckBox):
                out[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                out[name] = editor.value()
            else:
                out[name] = self._parse(name, kind, editor.text().strip())
        return out

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from where the form started (default or given)."""
        return {k: v for k, v in self.values().items() if v != self.editors[k][2]}

    @staticmethod
    def _parse(name: str, kind: str, text: str) -> Any:
        if not text:
            return None
        base = kind.split("|")[0]
        if base == "float" and is_ambiguous(text):
            raise ConfigError(
                f"{_label(name)}: {text!r} could be a thousand or one (the comma may group "
                "thousands or mark the decimals); write it without a comma, such as "
                f"{text.replace(',', '')} or {with_point(text)}."
            )
        try:
            if base == "int":
                return int(text)
            return float(with_point(text)) if base == "float" else text
        except ValueError:
            what = "a whole number" if base == "int" else "a number"
            raise ConfigError(f"{_label(name)} must be {what}, not {text!r}.") from None
