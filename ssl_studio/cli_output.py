"""What the command line prints: progress of a job on stderr (a line updated in place on a
terminal), JSON-lines events, import summaries, and Ctrl+C handling. Exit codes live here
too, so every command module agrees on them."""

from __future__ import annotations

import argparse
import contextlib
import errno
import math
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ssl_studio.core.data.import_tally import stopped_note, unnamed_note
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import (
    Event,
    Failed,
    Finished,
    Health,
    Message,
    Progress,
    Step,
    StopToken,
    stop_signals,
)
from ssl_studio.core.project.lock import LockWait
from ssl_studio.core.wording import counted, progress_detail

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130
EXIT_BUSY = 75  # EX_TEMPFAIL: another process writes the project; try again later


class TextReporter:
    """Progress on stderr: one updating line on a terminal, a line every few s otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        # sys.stderr as it is now, not as it was when this module was imported (a default
        # argument would keep the first one: a test's captured stream, a closed one)
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self._last = time.monotonic()  # quick jobs print only their summary
        self._width = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress | Step):
            now = time.monotonic()
            done = event.step if isinstance(event, Step) else event.done
            if now - self._last < (0.1 if self.tty else 3) and done != event.total:
                return
            self._last = now
            self._line(_step_text(event) if isinstance(event, Step) else _progress_text(event))
        elif isinstance(event, Health):
            knn = (
                f", kNN accuracy {event.knn_accuracy:.3f}" if event.knn_accuracy is not None else ""
            )
            self._line(
                f"Health at step {event.step}: embedding spread {event.embedding_std:.2f}, "
                f"effective rank {event.effective_rank:.1f}{knn}",
                keep=True,
            )
        elif isinstance(event, Message):
            self._line(
                f"{event.level}: {event.text}" if event.level != "info" else event.text, keep=True
            )
        elif isinstance(event, Finished | Failed):
            self._line("", keep=False)

    def _line(self, text: str, keep: bool = False) -> None:
        if self.tty:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0 if keep else len(text)
            self.stream.write(text + ("\n" if keep else ""))
        elif text:
            self.stream.write(text + "\n")
        self.stream.flush()


def _step_text(event: Step) -> str:
    eta = f", {_duration(event.eta_s)} left" if event.eta_s is not None else ""
    return (
        f"Step {event.step}/{event.total}: loss {event.loss:.4f}, lr {event.lr:.2e}, "
        f"{event.samples_per_s:.0f} samples/s{eta}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _progress_text(event: Progress) -> str:
    """The job's name, then how far it is, in the words the app's status bar uses."""
    title = {"import": "Importing", "predict": "Predicting"}.get(event.job, event.job.capitalize())
    return f"{title}: {progress_detail(event)}"


def json_reporter(event: Event) -> None:
    try:
        print(event.to_json(), flush=True)
    except OSError as exc:  # `| head`: the reader has had enough; the job carries on
        if not reader_gone(exc, writing_stdout=True):
            raise
        silence_stdout()


def reader_gone(exc: BaseException, writing_stdout: bool = False) -> bool:
    """Whether ``exc`` says stdout's reader went away (a pipe closed by `| head`): a
    BrokenPipeError, or on Windows an OSError with errno EINVAL or EPIPE and no file
    named while stdout itself fails to write (Windows says EINVAL for any error it has no
    name for: a share gone mid-write is a real failure). ``writing_stdout``: ``exc`` was
    raised by a write to stdout, so any EINVAL or EPIPE is the pipe."""
    if isinstance(exc, BrokenPipeError):
        return True
    if not isinstance(exc, OSError) or exc.errno not in (errno.EINVAL, errno.EPIPE):
        return False
    if writing_stdout:
        return True
    return sys.platform == "win32" and exc.filename is None and _stdout_fails()


def _stdout_fails() -> bool:
    """Whether stdout cannot be written now (what a failed print left there is tried)."""
    try:
        sys.stdout.write("")
        sys.stdout.flush()
    except OSError:
        return True
    return False


def tolerant_stdout() -> None:
    """Keep stdout's encoding, but write a character it cannot encode as an escape
    (\\u80f8) instead of failing: on Windows stdout redirected to a file or a pipe uses
    the ANSI code page (cp1252 ...), and a dataset named 胸部 ended a finished import with
    a UnicodeEncodeError."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # (a stream that cannot change)
            reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """Send the rest of stdout nowhere, after its reader went away (a closed pipe): the job
    goes on, and Python's flush at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def add_events_option(parser: argparse.ArgumentParser) -> None:
    """--events text|jsonl, and --jsonl (import's spelling) for --events jsonl."""
    parser.add_argument(
        "--events",
        choices=("text", "jsonl"),
        default="text",
        help="text: a progress line; jsonl: one JSON event per line on stdout, the last "
        "one finished (with the result) or failed (with the reason)",
    )
    parser.add_argument(
        "--jsonl",
        dest="events",
        action="store_const",
        const="jsonl",
        help="the same as --events jsonl",
    )


def default_signals() -> None:
    """Ctrl+C, SIGTERM and Ctrl+Break as Python has them by default (after a job that
    caught them)."""
    for signum in stop_signals():
        default = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        signal.signal(signum, default)


_command_stop: StopToken | None = None  # the running command's, for a wait on a lock


@contextmanager
def signals_kept() -> Iterator[None]:
    """Put back the SIGINT, SIGTERM (and SIGBREAK) handlers a command found when it ends, however it
    ends: a command run inside another program (the tests, a notebook) must not leave it
    with a handler that only asks a finished job to stop, so SIGTERM could no longer end
    it. Handlers not set from Python (None) and unchanged ones are left alone. The
    command's stop token is forgotten too (the next command's wait must not see it)."""
    global _command_stop
    before = {signum: signal.getsignal(signum) for signum in stop_signals()}
    try:
        yield
    finally:
        _command_stop = None
        for signum, handler in before.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)


def command_stopped() -> bool:
    """Whether the running command was asked to stop (Ctrl+C, SIGTERM): a --wait for a
    busy project gives up then."""
    return _command_stop is not None and _command_stop.stopped


# the commands that change a project, so may find it busy (--wait)
WRITERS = frozenset(
    {"import", "pretrain", "labels", "finetune", "label-efficiency", "export", "card-details",
     "remove"}
)  # fmt: skip


def lock_wait(args: argparse.Namespace) -> LockWait | None:
    """What the command's --wait or --wait-at-most asks (None: neither; a busy project
    fails at once)."""
    seconds = getattr(args, "wait_at_most", None)
    if seconds is None and not getattr(args, "wait", False):
        return None
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # under torchrun
        raise ConfigError(
            "--wait works for one process: under torchrun the other processes would read "
            "the project before the first has waited for it. Let the scheduler start this "
            "job after the other (SLURM: --dependency=afterany:JOBID)."
        )
    if seconds is not None and not 0 <= seconds < math.inf:  # (NaN too)
        raise ConfigError(f"--wait-at-most takes a number of seconds, 0 or more, not {seconds}.")
    return LockWait(seconds, command_stopped, _wait_began, _wait_ended)


_waiting = False  # whether the command waits for another process's lock (Ctrl+C says so)


def _wait_began(text: str) -> None:
    global _waiting
    _waiting = True
    print(f"ssl-studio: {text}", file=sys.stderr, flush=True)


def _wait_ended() -> None:
    global _waiting
    _waiting = False


def stop_on_ctrl_c(what: str = "the current files", say: bool = True) -> StopToken:
    """First Ctrl+C (or SIGTERM, or Ctrl+Break) asks the job to stop cleanly; a second
    Ctrl+C (or Ctrl+Break) interrupts.
    ``say``: tell it on stderr (under torchrun only the first process does: Ctrl+C
    reaches every process of the terminal, and one line per process said it N times)."""
    global _command_stop
    stop = _command_stop = StopToken()

    def handler(signum: int, frame: Any) -> None:
        if stop.stopped and signum != signal.SIGTERM:
            raise KeyboardInterrupt
        stop.stop()
        if say:
            doing = "Stopping the wait" if _waiting else f"Stopping after {what}"
            # (a second SIGTERM only asks again: a scheduler's or torchrun's, no key)
            how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl+C again to abort"
            print(f"\n{doing} ({how})...", file=sys.stderr)

    for signum in stop_signals():
        signal.signal(signum, handler)
    return stop


def at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least {low}")
        return value

    return parse


def print_import_summary(summary: dict[str, Any]) -> None:
    s = summary
    size = s.get("cache_size") if s["modality"] == "image" else None
    cached = f" Images cached at {size} px." if size else ""
    print(
        f"Dataset '{s['dataset']}' ({s['modality']}): {counted(s['files_seen'], 'file')} seen, "
        f"{s['imported']} imported ({counted(s['items'], 'item')}), {s['unchanged']} unchanged, "
        f"{s['failed']} failed, {s['skipped']} skipped, {s['missing']} missing, "
        f"{s['seconds']:.1f} s.{cached}"
    )
    if s["cancelled"]:
        print(stopped_note(s))
    elif s.get("unnamed"):
        print(unnamed_note(s))
    for error in s["errors"]:
        print(f"  {error['path']}: {error['message']} [{error['code']}]")
    if n := s.get("links_left_out"):  # (discovery.py)
        print(
            f"  {counted(n, 'link')} back to the folder imported or a folder holding it "
            "not followed "
            "(they would import it again and every folder beside it): "
            "ssl-studio report PROJECT_DIR names them."
        )
    if n := s.get("links_followed"):
        print(
            f"  Followed {counted(n, 'link')} to folders outside the folder imported "
            f"({counted(s.get('files_via_links', 0), 'file')} found through "
            f"{'it' if n == 1 else 'them'}): "
            "ssl-studio report PROJECT_DIR names them."
        )
    if n := s.get("erased"):  # (named in the import's message; the project keeps no path)
        print(
            f"  {counted(n, 'file')} erased on request (ssl-studio remove --file/--patient) not "
            "imported again: delete them or move them out of the folder."
        )
    if s["failed"] > len(s["errors"]) or s["skipped"] > s.get("erased", 0):
        print("  Every file left out and why: ssl-studio report PROJECT_DIR")
    if noted := s.get("noted"):  # e.g. gaps in a series' times filled with missing values
        codes = ", ".join(f"{code} ({n})" for code, n in noted.items())
        print(f"  Notes on imported files: {codes}. Read them: ssl-studio report PROJECT_DIR")


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
