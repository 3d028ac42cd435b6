"""Commands shown to copy into a terminal survive the shells of Windows and POSIX: a
project in ``D:\\R&D\\study1`` is one word for cmd.exe and PowerShell, not a command cut
at the ``&``."""

from __future__ import annotations

import os
import shlex
from types import SimpleNamespace

import pytest

from ssl_studio.core import wording
from ssl_studio.core.wording import command_line, resume_command


def crt_split(line: str) -> list[str]:
    """``line`` split into words as a Windows program's C runtime does (the rules
    subprocess.list2cmdline writes for): quotes group, backslashes before a quote are
    halved and an odd one escapes it."""
    words: list[str] = []
    word, quoted, slashes, started = [], False, 0, False
    for c in line + " ":
        if c == "\\":
            slashes += 1
            continue
        if c == '"':
            word.append("\\" * (slashes // 2))
            if slashes % 2:
                word.append('"')
            else:
                quoted = not quoted
            slashes, started = 0, True
            continue
        word.append("\\" * slashes)
        slashes = 0
        if c in " \t" and not quoted:
            if started:
                words.append("".join(word))
            word, started = [], False
            continue
        word.append(c)
        started = True
    return words


@pytest.mark.parametrize(
    "path",
    [
        r"D:\R&D\study1",
        r"D:\R&D\study 1",
        r"C:\a|b",
        r"C:\Daten (alt)\CT",
        r"C:\x;y,z",
        r"C:\100%\p",
        r"C:\A^B",
        r"\\server\C$\scans",
        r"C:\Jürgen's scans",
        "C:\\ends in a slash\\",
    ],
)
def test_a_windows_path_with_a_shell_character_is_one_quoted_word(path):
    line = command_line("ssl-studio", "pretrain", path, "--resume", 3, windows=True)
    word = line.split(" ", 2)[2].rsplit(" ", 2)[0]
    # quoted as a whole: cmd.exe and PowerShell read none of & | ( ) ; , ^ inside quotes
    assert word.startswith('"') and word.endswith('"')
    assert crt_split(line) == ["ssl-studio", "pretrain", path, "--resume", "3"]


def test_a_plain_windows_path_stays_unquoted():
    line = command_line("ssl-studio", "info", r"C:\scans\p1", windows=True)
    assert line == r"ssl-studio info C:\scans\p1"


def test_the_resume_command_for_an_ampersand_folder_on_windows(monkeypatch):
    # (os.name itself left alone: pytest's own clean-up would make WindowsPaths)
    monkeypatch.setattr(wording, "os", SimpleNamespace(name="nt", environ=os.environ))
    line = resume_command(r"D:\R&D\study1", 3)
    assert line == r'ssl-studio pretrain "D:\R&D\study1" --resume 3'


@pytest.mark.parametrize("path", ["/data/R&D/study1", "/data/a;b", "/data/$HOME", "/it's"])
def test_a_posix_path_with_a_shell_character_is_quoted_by_shlex(path):
    line = command_line("ssl-studio", "pretrain", path, "--resume", 3, windows=False)
    assert shlex.split(line) == ["ssl-studio", "pretrain", path, "--resume", "3"]
