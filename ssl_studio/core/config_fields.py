"""The machinery of the config dataclasses: fields with an explanation (``option``), their
description for ``ssl-studio tasks`` and the GUI's forms, and the round trip through plain
dicts (``to_dict`` / ``from_dict``, which checks keys and types with config_check)."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import field
from pathlib import Path
from typing import Any, TypeVar

from ssl_studio.core.config_check import checked
from ssl_studio.core.errors import ConfigError

T = TypeVar("T")


def to_dict(cfg: Any) -> dict[str, Any]:
    """A config as a JSON-able dict (paths become strings)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Path):
            return str(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return to_dict(value)
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return {f.name: plain(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def from_dict(cls: type[T], data: dict[str, Any], where: str = "") -> T:
    """Build ``cls`` from a dict, refusing unknown keys (listing the valid ones) and values
    of the wrong type (naming ``where.key``); see config_check."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where or cls.__name__} must be a table of options (KEY = VALUE), not {data!r}."
        )
    return cls(**checked(cls, data, where))


def option(
    default: Any, help: str, *, choices: tuple[str, ...] | None = None, **kwargs: Any
) -> Any:
    """A config field with a one-line explanation (shown by ``ssl-studio tasks`` and the
    GUI); ``choices``: the only values a text field takes (the GUI offers them in a list)."""
    metadata = {"help": help, **({"choices": choices} if choices else {})}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata, **kwargs)


def describe_options(cls: type) -> list[dict[str, Any]]:
    """Each field of a config dataclass: name, type, default, its explanation, and the
    values it may take when they are a fixed list."""
    out = []
    kinds = type_names(cls)
    for f in dataclasses.fields(cls):
        default = (
            f.default
            if f.default is not dataclasses.MISSING
            else (f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        )
        out.append(
            {
                "name": f.name,
                "type": kinds[f.name],
                "default": default,
                "help": f.metadata.get("help", ""),
                **({"choices": list(f.metadata["choices"])} if "choices" in f.metadata else {}),
            }
        )
    return out


def type_names(cls: type) -> dict[str, str]:
    """Each field's type as written in source ("int", "float | None", "tuple[float, float]"),
    whether or not the module has ``from __future__ import annotations`` (without it a
    field's type is the class, whose str() is "<class 'int'>"). An annotation that cannot
    be resolved keeps its text."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # a name only the module's type checker sees; each field's own text
        hints = {}
    return {f.name: _type_name(hints.get(f.name, f.type)) for f in dataclasses.fields(cls)}


def _type_name(kind: Any) -> str:
    if isinstance(kind, str):
        return kind
    if kind is type(None):
        return "None"
    if kind is Ellipsis:
        return "..."
    if isinstance(kind, list):  # Callable's arguments
        return f"[{', '.join(_type_name(arg) for arg in kind)}]"
    args = typing.get_args(kind)
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arm) for arm in args)
    if args:
        origin = typing.get_origin(kind)
        return f"{_type_name(origin)}[{', '.join(_type_name(arg) for arg in args)}]"
    if kind is Any:
        return "Any"
    return getattr(kind, "__name__", None) or str(kind)


def option_help(cls: type, name: str) -> str:
    """The explanation of field ``name`` of config dataclass ``cls`` (a tooltip's text)."""
    return next(o["help"] for o in describe_options(cls) if o["name"] == name)
