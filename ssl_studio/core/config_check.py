"""Checking config values against their dataclass field types, with messages a user can act on.

Values reach configs from `--set`, config files, the GUI and stored runs; a wrong type
must be refused where it enters ("train.lr must be a number, not 'fast'"), not surface
later as a TypeError deep inside training. Harmless conversions are made on the way:
int -> float, list -> tuple, text -> Path, and "true"/"no"/... -> bool for switches (a
`--set augment.hflip=False` that stayed the text "False" would count as on).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError

_TRUE = ("true", "yes", "on")
_FALSE = ("false", "no", "off")


class _Mismatch(Exception):
    """The value does not fit the type."""


def checked(cls: type, data: dict[str, Any], where: str = "") -> dict[str, Any]:
    """``data`` with every value checked against ``cls``'s field types (and converted as
    above); unknown keys are refused with the list of valid ones. ``where`` prefixes the
    names in messages (e.g. "train" gives "train.lr")."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        label = f"{where} options" if where else f"options of {cls.__name__}"
        raise ConfigError(
            f"Unknown option(s) {', '.join(unknown)}; valid {label} are: "
            f"{', '.join(sorted(fields))}."
        )
    hints = typing.get_type_hints(cls)
    return {
        name: fitted(value, hints.get(name, Any), f"{where}.{name}" if where else name)
        for name, value in data.items()
    }


def fitted(value: Any, kind: Any, name: str) -> Any:
    """``value`` as type ``kind`` (converted as in the module docstring); ConfigError
    "``name`` must be ..." when it does not fit."""
    try:
        return _fit(value, kind)
    except _Mismatch:
        raise ConfigError(f"{name} must be {_describe(kind)}, not {value!r}.") from None


def _fit(value: Any, kind: Any) -> Any:
    """``value`` as ``kind`` (see the module docstring), or _Mismatch."""
    if kind is Any:
        return value
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        for arm in args:
            try:
                return _fit(value, arm)
            except _Mismatch:
                continue
        raise _Mismatch
    if kind is type(None):
        if value is None:
            return None
        raise _Mismatch
    if kind is bool:
        return _switch(value)
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise _Mismatch
    if kind is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch
    if kind is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    if kind is Path:
        if isinstance(value, str | Path):
            return Path(value)
        raise _Mismatch
    if origin is tuple or kind is tuple:
        if not isinstance(value, list | tuple):
            raise _Mismatch
        if args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise _Mismatch
            return tuple(_fit(v, a) for v, a in zip(value, args, strict=True))
        return tuple(_fit(v, args[0]) for v in value) if args else tuple(value)
    if origin is list or kind is list:
        if not isinstance(value, list | tuple):
            raise _Mismatch
        return [_fit(v, args[0]) for v in value] if args else list(value)
    if origin is dict or kind is dict:
        if isinstance(value, dict):
            return value
        raise _Mismatch
    if dataclasses.is_dataclass(kind):
        if isinstance(value, kind | dict):  # a dict is checked when it is built
            return value
        raise _Mismatch
    return value


def switch_word(text: str) -> bool | None:
    """True/False for the words of a switch (true/yes/on, false/no/off, any case), else None."""
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    switch = switch_word(value) if isinstance(value, str) else None
    if switch is None:
        raise _Mismatch
    return switch


def _describe(kind: Any) -> str:
    """A type in words: "a number", "true or false", "two numbers [low, high]", ..."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in args if a is not type(None)]
        text = " or ".join(_describe(a) for a in arms)
        return f"{text} (or empty)" if len(arms) < len(args) else text
    if kind is bool:
        return "true or false"
    if kind is int:
        return "a whole number"
    if kind is float:
        return "a number"
    if kind in (str, Path):
        return "text"
    if origin is tuple or kind is tuple:
        if args and args[-1] is not Ellipsis and all(a is float for a in args) and len(args) == 2:
            return "two numbers [low, high]"
        return "a list"
    if origin is list or kind is list:
        return "a list"
    if origin is dict or kind is dict or dataclasses.is_dataclass(kind):
        return "a table of options (KEY = VALUE)"
    return getattr(kind, "__name__", str(kind))


def replaced(cfg: Any, changes: dict[str, Any], where: str) -> Any:
    """``dataclasses.replace(cfg, **changes)`` with the changes checked as in ``checked``."""
    if not isinstance(changes, dict):
        raise ConfigError(f"{where} must be a table of options (KEY = VALUE), not {changes!r}.")
    return dataclasses.replace(cfg, **checked(type(cfg), changes, where))
