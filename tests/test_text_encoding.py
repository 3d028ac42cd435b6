"""Every text file SSL Studio opens names its encoding: without one, Windows uses the
code page (cp1252) and fails on a class name or path in Chinese, Greek, ... .

Ruff's rule for this (PLW1514) is still a preview rule, and it misses calls on an
expression (``(run_dir / "x.json").write_text(...)``), so this test walks the code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ssl_studio

CODE = Path(ssl_studio.__file__).parent
ALWAYS_TEXT = {"read_text", "write_text"}
# where .open is not a file's: os.open (a descriptor), Image.open, Store.open, ...
NOT_FILES = {"os", "cls", "self"}


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _mode(call: ast.Call, position: int) -> ast.expr | None:
    mode = _keyword(call, "mode")
    if mode is None and len(call.args) > position:
        mode = call.args[position]
    return mode


def _opens_text(call: ast.Call) -> bool:
    """Whether ``call`` opens a file in text mode (binary modes say "b")."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name in ALWAYS_TEXT:
        return isinstance(func, ast.Attribute)
    if name in ("open", "fdopen"):
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            if name == "open" and owner != "io" and (owner in NOT_FILES or owner[0].isupper()):
                return False
        owner = getattr(getattr(func, "value", None), "id", "")
        path_open = isinstance(func, ast.Attribute) and name == "open" and owner != "io"
        mode = _mode(call, 0 if path_open else 1)
    elif name in ("TemporaryFile", "NamedTemporaryFile", "SpooledTemporaryFile"):
        mode = _mode(call, 0)
        if mode is None:
            return False  # w+b
    elif name == "replacing":  # atomic_files.replacing: its text files are always UTF-8
        return False
    elif _keyword(call, "text") is not None or _keyword(call, "universal_newlines"):
        return True  # subprocess in text mode
    else:
        return False
    return not (isinstance(mode, ast.Constant) and "b" in str(mode.value))


def unnamed_encodings() -> list[str]:
    found = []
    for path in sorted(CODE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _opens_text(node)
                and _keyword(node, "encoding") is None
            ):
                found.append(f"{path.relative_to(CODE.parent)}:{node.lineno}")
    return sorted(found, key=lambda where: (where.split(":")[0], int(where.split(":")[1])))


def test_every_text_file_is_opened_with_an_encoding():
    assert unnamed_encodings() == [], "add encoding='utf-8' to these calls"
