"""File and folder names made from what a user typed (a dataset or label set name, an
export folder), held to the rules of Windows on every machine: most users run the app on
Windows, and a project made on Linux may be opened there later, so one rule everywhere is
simpler than a name that works on one machine and fails on the next.

``safe_name`` rewrites a name the app suggests (the user never typed it as a file name);
``name_problem`` says what is wrong with a name the user did type, so that it can be
refused with a reason instead of quietly changed."""

from __future__ import annotations

from pathlib import PurePath

from ssl_studio.core.errors import ConfigError

# characters no Windows file name may hold (the separators among them would make a
# "ct/2024" a subfolder on any machine); control characters are added below
FORBIDDEN = frozenset('<>:"/\\|?*') | frozenset(chr(c) for c in range(32))
# device names Windows opens instead of a file, in any case, also with an extension or a
# space before it ("con.csv", "nul .txt"); as Python 3.13's ntpath.isreserved lists
# them (COM¹ and the like are devices too)
DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"}
)
# a name's length in UTF-8 bytes: ext4 allows 255 bytes, NTFS 255 UTF-16 units (never
# more than the UTF-8 bytes); kept below both, with room for a "-2" and an extension
MAX_BYTES = 200


def is_device_name(name: str) -> bool:
    """Whether Windows takes ``name`` for a device: its part before the first dot,
    without trailing spaces, is one of DEVICES in any case."""
    return name.partition(".")[0].rstrip(" ").upper() in DEVICES


def safe_name(text: str, suffix: str = "", *, fallback: str = "unnamed") -> str:
    """``text`` (a name the user gave something) as a file or folder name that works on
    every machine, followed by ``suffix`` (".csv"): each forbidden character (``<>:"/\\|?*``
    and control characters) becomes "_", trailing dots and spaces go (Windows drops them,
    so the file would not be found under its name), a device name gets a leading "_"
    ("CON" is "_CON"), an empty result is ``fallback``, and a very long one is cut to
    MAX_BYTES. Letters of any language are kept: "Befund ä" stays "Befund ä"."""
    name = "".join("_" if c in FORBIDDEN else c for c in text)
    name = _shortened(name).rstrip(". ") or fallback
    if is_device_name(name + suffix):
        name = "_" + name
    return name + suffix


def _shortened(name: str) -> str:
    """``name`` cut to at most MAX_BYTES of UTF-8, whole characters only."""
    return name.encode("utf-8")[:MAX_BYTES].decode("utf-8", errors="ignore")


def name_problem(name: str) -> str | None:
    """What keeps ``name`` (one file or folder name, no separators meant) from working on
    Windows, as the end of a sentence that starts with the name ("has ':' in it, which
    Windows does not allow in a name"), or None when it works everywhere."""
    bad = sorted({c for c in name if c in FORBIDDEN})
    if bad:
        shown = ", ".join(repr(c) if c.isprintable() else f"U+{ord(c):04X}" for c in bad)
        return f"has {shown} in it, which Windows does not allow in a name"
    if not name.strip():
        return "is empty"
    if name.endswith((".", " ")):
        return "ends with a dot or a space, which Windows drops from a name"
    if is_device_name(name):
        return f"is a name Windows keeps for a device ({name.partition('.')[0].strip()})"
    if len(name.encode("utf-8")) > 255:
        return "is longer than a file name may be (255 bytes)"
    return None


def check_new_folder_name(folder: PurePath, advice: str = "choose another name") -> None:
    """Refuse (ConfigError) a folder ``folder`` to be made whose last part, the name the
    user typed, does not work on Windows (``name_problem``), saying why and suggesting
    a name that works; ``advice``: what to do ("give --out another name"). Only that
    part is checked: the folders above it exist already (a drive letter, a share)."""
    _check_new_name(folder, "folder", advice)


def check_new_file_name(file: PurePath, advice: str = "choose another name") -> None:
    """``check_new_folder_name`` for a file to be written (predict's CSV, a label set
    exported): "predictions:1.csv" is refused, with "predictions_1.csv" offered."""
    _check_new_name(file, "file", advice)


def _check_new_name(path: PurePath, kind: str, advice: str) -> None:
    name = path.name
    if name in ("", ".", ".."):  # a drive, or a folder the user named by its place
        return
    problem = name_problem(name)
    if problem:
        suffix = path.suffix if kind == "file" and name_problem(path.suffix) is None else ""
        better = safe_name(name[: len(name) - len(suffix)], suffix)
        raise ConfigError(f"The {kind} name '{name}' {problem}; {advice}, such as '{better}'.")
