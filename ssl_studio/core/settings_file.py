"""Reading a settings file the user wrote: TOML (by its ``.toml`` suffix) or JSON."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ssl_studio.core.errors import ConfigError


def read_settings_file(path: Path, what: str = "config file") -> dict[str, Any]:
    """The table a TOML or JSON file holds; ``what`` names the file in messages ("config
    file", "card details file"). Raises ConfigError saying which file and how to fix it."""
    path = Path(path)
    try:
        # (utf-8-sig: Windows Notepad may begin a UTF-8 file with a byte order mark)
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"The {what} {path} is not UTF-8 text; save it as UTF-8.") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read the {what} {path}: {exc.strerror}.") from exc
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml", ".ini", ".cfg"):
        raise ConfigError(
            f"The {what} {path} is {suffix[1:].upper()}, which SSL Studio does not read: "
            "write it as TOML (a .toml file) or JSON (.json)."
        )
    kind = "TOML" if suffix == ".toml" else "JSON"
    try:
        data = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except ValueError as exc:
        read_as = (
            "" if suffix in (".toml", ".json") else " (a file not named .toml is read as JSON)"
        )
        raise ConfigError(
            f"{path} is not valid {kind}{read_as}: {exc}. Fix that line and try again."
        ) from exc
    except RecursionError as exc:  # lists or tables nested past Python's stack
        raise ConfigError(
            f"{path} is not valid {kind}: it is nested too deeply to read. Write it as "
            '{"name": "value", ...}.'
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} holds a {type(data).__name__}, not a table of names and values; write "
            'it as {"name": "value", ...}.'
        )
    return data
