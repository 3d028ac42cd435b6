"""Small pieces of wording shared by the command line and the app."""

from __future__ import annotations

import os
import shlex
import unicodedata
from collections.abc import Mapping
from typing import Any

from ssl_studio.core.events import Progress

# characters cmd.exe or PowerShell read as more than a letter outside quotes (``&`` ends
# the command, ``,`` makes a PowerShell list, ...): a word holding one is quoted
WINDOWS_SPECIAL = frozenset("&|<>^%()$;,'`@{}#\"")


def command_line(*parts: object, windows: bool | None = None) -> str:
    """A command to paste into a terminal: ``ssl-studio pretrain '/my scans' --resume 3``.
    Each part is quoted where needed (a path with spaces or a ``&``), as the shell of this
    machine reads it (``windows`` picks the rules; default: this machine's): POSIX
    shells by shlex.quote, cmd.exe and PowerShell by double quotes (``windows_word``)."""
    words = [str(part) for part in parts]
    if os.name == "nt" if windows is None else windows:
        return " ".join(windows_word(word) for word in words)
    return shlex.join(words)


def windows_word(word: str) -> str:
    """``word`` as cmd.exe and PowerShell both pass it to a program: as it is when plain,
    else in double quotes (``"D:\\R&D\\study1"``) with a ``"`` in it and the backslashes
    before one escaped as the program's C runtime reads them back (as subprocess's
    list2cmdline does; that one quotes only spaces and tabs, which leaves ``&`` to cmd).
    Double quotes are the one quoting both shells read; inside them cmd still expands
    ``%NAME%`` and PowerShell ``$name``, which Windows paths hardly ever hold."""
    if word and not WINDOWS_SPECIAL.intersection(word) and not any(c.isspace() for c in word):
        return word
    quoted: list[str] = []
    slashes = 0  # backslashes waiting: doubled only before a quote or the closing quote
    for c in word:
        if c == "\\":
            slashes += 1
            continue
        quoted.append("\\" * (2 * slashes + 1) + c if c == '"' else "\\" * slashes + c)
        slashes = 0
    return '"' + "".join(quoted) + "\\" * (2 * slashes) + '"'


def resume_command(
    project: object, run_id: int, processes: int = 1, per_node: int | None = None
) -> str:
    """The command that resumes pretraining run ``run_id``: under torchrun with as many
    processes when it ran in several (a run counted in epochs needs them). ``per_node``:
    processes on each machine (torchrun's LOCAL_WORLD_SIZE); fewer than ``processes``
    gives ``--nnodes N --nproc_per_node M`` and the job's rendezvous options (each machine
    runs it; rendezvous_options)."""
    launch: tuple[object, ...] = ("torchrun", "--nproc_per_node", processes)
    if per_node and 0 < per_node < processes and processes % per_node == 0:
        launch = ("torchrun", "--nnodes", processes // per_node, "--nproc_per_node", per_node)
        launch = (*launch, *rendezvous_options())
    launch = (*launch, "-m", "ssl_studio")
    return command_line(
        *(launch if processes > 1 else ("ssl-studio",)), "pretrain", project, "--resume", run_id
    )


def rendezvous_options(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """How the machines of a torchrun job on several find each other, as this process's
    environment (``env``; default os.environ) tells it: the backend and endpoint where
    torchrun took them from PET_RDZV_BACKEND and PET_RDZV_ENDPOINT, the id from the
    TORCHELASTIC_RUN_ID it gives its processes; what it cannot tell is a placeholder in
    capitals (HEAD_NODE:29500, JOB_ID) to fill in."""
    env = os.environ if env is None else env
    run_id = env.get("TORCHELASTIC_RUN_ID", "")
    return (
        "--rdzv-backend", env.get("PET_RDZV_BACKEND") or "c10d",
        "--rdzv-endpoint", env.get("PET_RDZV_ENDPOINT") or "HEAD_NODE:29500",
        "--rdzv-id", run_id if run_id and run_id != "none" else "JOB_ID",
    )  # fmt: skip


def size_text(n: int) -> str:
    """``512 bytes``, ``20 KB``, ``0.4 MB``, ``12 MB``, ``1.3 GB`` (decimal units, as
    ``info`` counts the cache): below 0.1 MB in KB or bytes, never ``0.0 MB``."""
    if n < 1000:
        return f"{n} byte" if n == 1 else f"{n} bytes"
    if n < 1e5:
        return f"{n / 1e3:.0f} KB"
    mb = n / 1e6
    if round(mb) >= 1000:  # (999 999 999 bytes: 1.0 GB, not 1000 MB)
        return f"{n / 1e9:.1f} GB"
    return f"{mb:.1f} MB" if round(mb, 1) < 10 else f"{mb:.0f} MB"  # (9.96e6: 10 MB)


def counted(n: int, noun: str) -> str:
    """``1 file``, ``2 files``, ``0 files`` (for nouns whose plural adds an s)."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def label_set_text(entry: Mapping[str, Any]) -> str:
    """``clicks (version 2, 12 labels)``: a version of a label set (a row of
    ``label_export.label_names``), as the app offers it to choose."""
    return f"{entry['name']} (version {entry['version']}, {counted(entry['n_labels'], 'label')})"


def progress_detail(event: Progress) -> str:
    """How far a job is, after its title in the status bar: an import's files, items and
    failures; a prediction's files (of all, with the time left; its items where an older
    event has no total); else the phase and the work done (of the total)."""
    c = event.counts
    if event.job == "import" and event.phase == "discover":
        return f"looking for files, {event.done} found"
    if event.job == "import" and event.phase == "scan":
        return f"checking files, {event.done}/{event.total}"
    if event.job == "import" and event.phase == "hash":
        return f"recording the content of items imported before, {event.done}/{event.total}"
    if event.job == "import":
        eta = f", about {event.eta_s:.0f} s left" if event.eta_s is not None else ""
        skipped = f", {c['skipped']} skipped" if c.get("skipped") else ""
        part = event.file_fraction
        reading = f" ({part:.0%} of file {event.done + 1} read)" if part is not None else ""
        return (
            f"{event.done}/{event.total} files{reading}, {c.get('items', 0)} items, "
            f"{c.get('failed', 0)} failed{skipped}{eta}"
        )
    if event.job == "predict" and event.total:
        left = event.eta_s is not None and event.done < event.total
        eta = f", about {event.eta_s:.0f} s left" if left else ""
        errors = f", {c['errors']} with errors" if c.get("errors") else ""
        # a long recording predicted in windows: how far into it
        within = (
            f" ({c['window']} of {c['windows']} windows of file {event.done + 1})"
            if c.get("windows")
            else ""
        )
        return f"{event.done} of {counted(event.total, 'file')}{within}{errors}{eta}"
    if event.job == "predict":
        return f"{counted(event.done, 'item')} so far"
    of = f"/{event.total}" if event.total else ""
    return f"{event.phase + ', ' if event.phase else ''}{event.done}{of} done"


def shown_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: 2 for wide characters (Chinese, Japanese and
    Korean ones, fullwidth forms), 0 for combining marks (an NFD accent), else 1."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def padded(text: str, width: int, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` terminal columns (``shown_width``), on the
    left when ``right`` (aligned right), so that tables with 正常 or an NFD "é" line up."""
    fill = " " * max(0, width - shown_width(text))
    return fill + text if right else text + fill
