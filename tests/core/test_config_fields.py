"""Config dataclasses are described (``ssl-studio tasks``, the GUI's forms) by their field
types as written, whether or not their module has ``from __future__ import annotations``."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from ssl_studio.core.config_fields import describe_options, type_names

# a task module as a contributor may write it: no ``from __future__ import annotations``,
# so each field's type is the class itself (str() gives "<class 'float'>"), not "float"
PLAIN_MODULE = """
from dataclasses import dataclass
from typing import Optional

from ssl_studio.core.config_fields import option


@dataclass
class PlainConfig:
    rate: float = option(0.5, "A rate.")
    width: int = option(8, "A width.")
    shared: bool = option(True, "A switch.")
    mode: str = option("a", "A mode.", choices=("a", "b"))
    limit: Optional[int] = option(None, "A limit, or automatic.")
    either: bool | None = option(None, "On, off or automatic.")
    span: tuple[float, float] = option((0.2, 1.0), "A range.")
"""

PLAIN_NAMES = {
    "rate": "float",
    "width": "int",
    "shared": "bool",
    "mode": "str",
    "limit": "int | None",
    "either": "bool | None",
    "span": "tuple[float, float]",
}


def plain_config(folder: Path) -> type:
    """PlainConfig, imported from a module file without the future import."""
    path = folder / "plain_task_config.py"
    path.write_text(PLAIN_MODULE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("plain_task_config", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (as an import does: dataclasses look it up)
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module.PlainConfig


def test_field_types_are_named_as_written_without_the_future_import(tmp_path):
    cls = plain_config(tmp_path)
    assert dataclasses.fields(cls)[0].type is float  # what str(f.type) got wrong
    assert type_names(cls) == PLAIN_NAMES
    described = {o["name"]: o["type"] for o in describe_options(cls)}
    assert described == PLAIN_NAMES


@dataclasses.dataclass
class WithFutureImport:  # this module has the future import: the types are strings
    rate: float = 0.5
    limit: int | None = None
    span: tuple[float, float] = (0.2, 1.0)


def test_field_types_with_the_future_import_are_unchanged():
    assert type_names(WithFutureImport) == {
        "rate": "float",
        "limit": "int | None",
        "span": "tuple[float, float]",
    }


def test_an_annotation_that_cannot_be_resolved_keeps_its_text():
    @dataclasses.dataclass
    class Unresolved:
        rate: float = 0.5
        thing: NotImportedHere = None  # noqa: F821 (a name only a type checker sees)

    assert type_names(Unresolved) == {"rate": "float", "thing": "NotImportedHere"}


@pytest.mark.parametrize("module", ["ssl_studio.core.config", "ssl_studio.core.tasks.mae"])
def test_the_products_configs_are_described_as_before(module):
    """Their modules have the future import: each type is its text as written."""
    found = importlib.import_module(module)
    for cls in vars(found).values():
        if dataclasses.is_dataclass(cls) and cls.__name__.endswith("Config"):
            names = type_names(cls)
            for f in dataclasses.fields(cls):
                assert names[f.name] == f.type, (cls.__name__, f.name)
