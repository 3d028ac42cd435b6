"""``predict``: an export folder + files -> a CSV of class probabilities. Needs no
project: only the export folder (its model_card.json and model.onnx)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.atomic_files import refuse_read_only, replace_durably, sync_open_file
from ssl_studio.core.data.privacy import message_redactor, redactor
from ssl_studio.core.data.series_batches import STEPS_AT_ONCE
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import EtaClock, Progress, Reporter, StopToken, ignore
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.export.card_integrity import refuse_untrusted
from ssl_studio.core.export.card_spec_check import format_problem, spec_problem
from ssl_studio.core.export.preprocess import ModelInput, files_of, read_files
from ssl_studio.core.export.program_files import onnx_session
from ssl_studio.core.export.self_description import changed_files, sha256_of
from ssl_studio.core.export.series_windows import (
    WINDOW_COLUMNS,
    Span,
    Window,
    WindowPlan,
    parse_span,
    window_cells,
    window_plan,
    windowed,
)
from ssl_studio.core.file_names import check_new_file_name
from ssl_studio.core.folder_access import folder_writable, make_temp_file
from ssl_studio.core.project.layout import EXPORT_CARD, ProjectPaths
from ssl_studio.core.spreadsheet_cells import SPREADSHEET_ENCODING, SafeWriter
from ssl_studio.core.storage_errors import disk_full, is_disk_full
from ssl_studio.core.wording import command_line


def _session(export_dir: Path) -> tuple[Any, dict[str, Any]]:
    card_path = export_dir / EXPORT_CARD
    if not card_path.is_file() and ProjectPaths(export_dir).is_project():
        raise ConfigError(_project_not_export(export_dir))
    if not card_path.is_file():
        raise ConfigError(f"{export_dir} is not an SSL Studio export (no model_card.json).")
    damaged = f"is damaged; export the model again (ssl-studio export) or copy {export_dir} anew"
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (ValueError, OSError, RecursionError) as exc:  # (nested past Python's stack)
        why = "it is nested too deeply" if isinstance(exc, RecursionError) else exc
        raise ConfigError(
            f"The model card {card_path} cannot be read ({why}): it {damaged}."
        ) from exc
    newer = format_problem(card) if isinstance(card, dict) else None
    if newer:  # (before the checks below, which a newer card may not pass)
        raise ConfigError(f"The model card {card_path} {newer}.")
    spec = card.get("spec") if isinstance(card, dict) else None
    classes = card.get("classes") if isinstance(card, dict) else None
    if not isinstance(spec, dict) or "modality" not in spec or not isinstance(classes, list):
        raise ConfigError(f"The model card {card_path} lacks its spec or classes: it {damaged}.")
    problem = spec_problem(spec)
    if problem:
        raise ConfigError(f"The model card {card_path} {problem}: it {damaged}.")
    model = export_dir / "model.onnx"
    if not model.is_file():
        raise ConfigError(f"{export_dir} has no model.onnx; export again with --format onnx.")
    changed = changed_files(export_dir, card, ("model.onnx", "model.onnx.data"))
    if changed:
        raise ConfigError(
            f"{' and '.join(changed)} in {export_dir} differ from the checksums on the model "
            "card: changed or damaged since the export (an interrupted copy?). Copy the "
            "export folder again from where it was made."
        )
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    try:  # (from its bytes: a path outside the Windows code page, see program_files.py)
        session = onnx_session(model, options)
    except Exception as exc:  # onnxruntime raises its own (Fail, InvalidProtobuf, ...)
        raise ConfigError(
            f"{model} cannot be loaded ({type(exc).__name__}): it {damaged}."
        ) from exc
    outputs = session.get_outputs()[0].shape
    if isinstance(outputs[-1], int) and outputs[-1] != len(classes):
        raise ConfigError(
            f"The model gives {outputs[-1]} class probabilities but its card names "
            f"{len(classes)} classes: the folder {damaged}."
        )
    if untrusted := refuse_untrusted(card, session, card_path):  # (an edited card)
        raise ConfigError(untrusted)
    return session, card


def _project_not_export(project: Path) -> str:
    """What to give predict instead of the project folder ``project``: its exports (those
    in its exports/ folder), or how to make one."""
    found = sorted(p.parent for p in ProjectPaths(project).exports.glob(f"*/{EXPORT_CARD}"))
    shown = ", ".join(str(p) for p in found[:3]) + (", ..." if len(found) > 3 else "")
    where = (
        f"Give one of its exports instead ({shown}), or export"
        if found
        else "It has no export in its exports/ folder (where the app puts them); give an "
        "export folder made elsewhere, or export"
    )
    return (
        f"{project} is an SSL Studio project, not an export: predict reads an export folder "
        f"(model_card.json and model.onnx). {where} a fine-tuned run: "
        f"{command_line('ssl-studio', 'export', project, '--run', 'RUN_ID', '--out', 'DIR')} "
        f"({command_line('ssl-studio', 'info', project)} lists the runs)."
    )


def check_predictions_place(export_dir: Path, out_csv: Path) -> None:
    """Refuse predictions saved inside the export folder: they list the predicted files'
    paths, which may hold patient names, and that folder is what gets shared."""
    if export_dir.resolve() in out_csv.resolve().parents:
        raise ConfigError(
            "The predictions list the paths of your files, which may hold patient names, "
            "and the export folder is what you share: save them outside it."
        )


def predict(
    export_dir: Path,
    paths: list[Path],
    out_csv: Path,
    *,
    batch_size: int = 64,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    layout: str | None = None,
    overwrite: bool = False,
    layout_flag: str | None = None,
    windows: bool | str | Span = False,
    stride: str | Span | None = None,
) -> dict[str, Any]:
    """Class probabilities for every item of every file under ``paths``, using only the
    export folder (its ONNX model and card). Writes ``out_csv`` with columns path,
    file_number, index, one ``p_<class>`` per class, predicted, status (ok, note or
    error), model, model_sha256 (model_identity), error, note (rows in the order of the
    files' real paths; a file the readers leave out as not data, a DICOM SR say, gets a
    ``skipped`` row with why in its note, as the import skips it); returns counts (items,
    errors, skipped: files, notes: predictions with a note, out, cancelled, disclaimer:
    the card's words against clinical use). Stopped, it
    writes nothing (a partial table would pass for a whole one). An existing ``out_csv``
    is refused before any work unless ``overwrite``.
    ``layout_flag``: how the caller's user picks another CSV layout (the command line's
    --layout), named in the errors of series read with the wrong channels.
    ``windows``: predict each series in windows (series_windows.py), one row each with
    WINDOW_COLUMNS after index: True for the longest window the model was trained on, or
    a length (``Span``, or text: "3000" steps, "10s"); ``stride``: every how far a window
    starts (default: the window's length)."""
    stop = stop or StopToken()
    session, card = _session(Path(export_dir))
    model = model_identity(Path(export_dir), card)
    spec, classes = card["spec"], card["classes"]
    plan = _plan(spec, windows, stride)
    if layout:  # the files at hand are laid out otherwise than the training files
        spec = {**spec, "csv_layout": layout}
    fingerprint = (card.get("training") or {}).get("data_fingerprint") or {}
    spec = {**spec, "training_modalities": fingerprint.get("modalities") or {}}
    scaling = (card.get("preprocessing") or {}).get("channel_standardisation")
    spec["channel_standardisation"] = scaling if isinstance(scaling, dict) else None
    # in effect (0.5 by default); null in cards of earlier versions: the argmax
    # a default threshold (0.5) is the argmax the test report scored: a tie of exactly
    # 0.5 goes to the first class, as there (None in cards from before it was written)
    threshold = None if card.get("threshold_is_default") else card.get("threshold")
    modality = spec["modality"]
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise ConfigError(f"Not found: {', '.join(missing[:5])}.")
    out_csv = Path(out_csv)
    check_new_file_name(out_csv, "give --out another name")
    check_predictions_place(Path(export_dir), out_csv)
    if out_csv.is_dir():
        raise ConfigError(f"{out_csv} is a folder; give --out a file name such as predictions.csv.")
    if out_csv.exists() and not overwrite:
        raise ConfigError(
            f"{out_csv} already exists. Give --out another file name, or add --overwrite to "
            "replace it."
        )
    refuse_read_only(out_csv)  # (before any prediction, not at the final rename)
    if not out_csv.parent.is_dir():  # (a mistyped folder is not made: it says so)
        what = "is a file, not a folder" if out_csv.parent.exists() else "does not exist"
        raise ConfigError(
            f"The folder {out_csv.parent} {what}. Give --out a file in a folder that "
            "exists, or make the folder first."
        )
    if not folder_writable(out_csv.parent):  # (os.access: every folder, on Windows)
        raise ConfigError(f"{out_csv.parent} cannot be written to; choose another place.")
    # (not tempfile.mkstemp: on Windows it tries for hours where a folder refuses new
    # files, which the folder may do after the probe above, see folder_access.py)
    fd, tmp = make_temp_file(out_csv.parent, ".predictions-", ".csv")
    # errors: files with an error row; skipped: files left out as not data
    counts = {"items": 0, "errors": 0, "skipped": 0, "notes": 0}
    failed: set[str] = set()
    skipped: set[int] = set()
    try:
        with os.fdopen(fd, "w", encoding=SPREADSHEET_ENCODING, newline="") as f:
            writer = SafeWriter(csv.writer(f))  # (a class '=...' is no formula)
            writer.writerow(
                [
                    "path",
                    "file_number",
                    "index",
                    *(WINDOW_COLUMNS if plan else ()),
                    *[f"p_{c}" for c in classes],
                    "predicted",
                    *ADDED_COLUMNS,
                    "error",
                    "note",
                ]  # fmt: skip
            )
            pending: list[ModelInput] = []
            rows: list[list[Any]] = []  # written in the order of the paths, at the end
            files = list(files_of([Path(p) for p in paths]))  # known up front: a total
            told = _Told(report, len(files), batch_size, counts)

            def flush(files_done: int) -> None:
                if not pending:
                    return
                rows.extend(_run(session, pending, modality, classes, threshold, plan))
                counts["items"] += len(pending)
                last = pending[-1]  # within a long file: how far into it
                told(files_done, now=True, window=last.window if last.file == files_done else None)
                pending.clear()

            identifiers: set[str] = set()
            items = read_files(
                files,
                spec,
                layout_flag=layout_flag,
                whole=plan is None,
                stopped=lambda: stop.stopped,
            )
            for item in items if plan is None else windowed(items, plan, spec):
                if stop.stopped:
                    break
                identifiers.update(item.identifiers)
                if item.skipped:  # (no window, no answer: why in its note)
                    where = window_cells(item.window) if plan else []
                    blank = [""] * len(classes)
                    row = [item.path, item.file + 1, 0, *where, *blank, "", SKIPPED, ""]
                    rows.append([*row, item.note])
                    skipped.add(item.file)
                    counts["skipped"] = len(skipped)
                    told(item.file)
                    continue
                if item.error is not None:
                    blank = [""] * len(classes)
                    where = window_cells(item.window) if plan else []
                    row = [item.path, item.file + 1, item.index, *where, *blank, "", ""]
                    row.append(item.error)
                    rows.append([*row, item.note])  # (a window's: the steps left out, ...)
                    failed.add(item.path)  # counted by file: an NPY of 500 series is one
                    counts["errors"] = len(failed)
                    told(item.file)  # (the files before this one are done)
                    continue
                if pending and (
                    len(pending) >= batch_size
                    or (modality != "image" and pending[0].x.shape != item.x.shape)
                    or (
                        modality != "image"
                        and (len(pending) + 1) * item.x.shape[-1] > STEPS_AT_ONCE
                    )
                ):  # series: one length per batch, and a bounded number of steps (memory)
                    flush(item.file)
                pending.append(item)
            if not stop.stopped:  # (stopped: the table is not written; why predict more)
                flush(len(files))
                if told.last != len(files):  # the last file gave an error row
                    told(len(files), now=True)
            counts["notes"] = sum(1 for row in rows if row[-1] and not any(row[-3:-1]))
            # in the order of the files' real paths, numbered so: two files whose paths
            # differ only by an identifier have the same path once it is hidden; a
            # series' windows by their start (an error row is written when read)
            rows.sort(key=lambda r: (r[1], r[2], *((_start(r[3]),) if plan else ())))
            writer.writerows(_with_status(_redacted(rows, identifiers), model))
            if not stop.stopped:  # on the disk before it replaces an older table
                sync_open_file(f)
        if stop.stopped:
            Path(tmp).unlink()
            return {**counts, "out": None, "cancelled": True, "disclaimer": disclaimer(card)}
        if counts["items"] == counts["errors"] == counts["skipped"] == 0:
            raise ConfigError(
                f"No files found under {', '.join(str(p) for p in paths[:5])}: nothing to "
                "predict, and no table was written."
            )
        replace_durably(tmp, out_csv)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if is_disk_full(exc):
            kept = "no table was written, and the export and your files are unchanged"
            raise disk_full(out_csv, kept) from exc
        raise
    return {**counts, "out": str(out_csv), "cancelled": False, "disclaimer": disclaimer(card)}


# written between predicted and error (error and note stay last, as readers expect):
# ok / note / error / skipped (not data: why in the note), so that a reader filtering on
# predicted cannot miss a note; the export folder's name and the first 16 hex digits of
# its model.onnx's SHA-256, so that a table can be traced to the model that made it
ADDED_COLUMNS = ("status", "model", "model_sha256")
SKIPPED = "skipped"
SHA_DIGITS = 16


def model_identity(export_dir: Path, card: dict[str, Any]) -> tuple[str, str]:
    """(the export folder's name, the first SHA_DIGITS hex digits of its model.onnx's
    SHA-256): from the card (checked against the file by ``_session``), else computed."""
    recorded = ((card.get("sha256") or {}).get("files") or {}).get("model.onnx")
    if not isinstance(recorded, str) or len(recorded) < SHA_DIGITS:
        # (predict checked it is there; "" for a session made otherwise, as tests make)
        model = export_dir / "model.onnx"
        recorded = sha256_of(model) if model.is_file() else ""
    return export_dir.resolve().name, recorded[:SHA_DIGITS].lower()


def disclaimer(card: dict[str, Any]) -> str:
    """The card's words on what the model must not be used for (one line)."""
    said = card.get("not_for_clinical_diagnosis")
    return said if isinstance(said, str) and said.strip() else NOT_FOR_DIAGNOSIS


def _with_status(rows: list[list[Any]], model: tuple[str, str]) -> list[list[Any]]:
    """``rows`` (a status or "" before the error and note, last) with ADDED_COLUMNS
    in that status's place: the status given, else error, note or ok."""
    return [
        [
            *row[:-3],
            row[-3] or ("error" if row[-2] else "note" if row[-1] else "ok"),
            *model,
            *row[-2:],
        ]
        for row in rows
    ]


def _start(cell: str) -> int:
    """A row's window_start_step as a number to order by (a file's error row first)."""
    return int(cell) if cell else -1


class _Told:
    """predict's progress: files done of all, with the time left, after each batch and
    every ``every`` files of errors (not on every file: a reader prints every event)."""

    def __init__(self, report: Reporter, total: int, every: int, counts: dict[str, int]):
        self.report, self.total, self.every, self.counts = report, total, every, counts
        self.clock = EtaClock()
        self.last = 0

    def __call__(self, done: int, now: bool = False, window: Window | None = None) -> None:
        """``window``: the last window predicted, where a file is predicted in windows
        (its file is the one after the ``done`` ones): the progress within that file."""
        if not now and done - self.last < self.every:
            return
        self.last = done
        counts = {"items": self.counts["items"], "errors": self.counts["errors"]}
        within = 0.0  # the part of the file at hand done (its windows)
        if window is not None and window.number + 1 < window.count:
            counts |= {"window": window.number + 1, "windows": window.count}
            within = (window.number + 1) / window.count
        self.report(
            Progress(
                "predict",
                done=done,
                total=self.total,
                eta_s=self.clock.eta(done + within, self.total),
                phase="predict",
                counts=counts,
            )
        )


def _redacted(rows: list[list[Any]], identifiers: set[str]) -> list[list[Any]]:
    """``rows`` with every identifier of every file read hidden from their paths, errors
    and notes (row[0], row[-2] and row[-1]): a PNG beside its patient's DICOM files, in a
    folder named after the patient, holds no name of its own to redact its path with."""
    if not identifiers:
        return rows
    hide, hide_message = redactor(identifiers), message_redactor(identifiers)
    return [
        [
            hide(row[0]),
            *row[1:-2],
            *(hide_message(text, row[0]) if text else "" for text in row[-2:]),
        ]
        for row in rows
    ]


def _run(
    session: Any,
    items: list[ModelInput],
    modality: str,
    classes: list[str],
    threshold: float | None,
    plan: WindowPlan | None = None,
) -> list[list[Any]]:
    """One row per item: items' x [C, S, S] (images) or [C, T] with observed [C, T]
    (series of one length), stacked to [N, ...] (windows: the batch's copy, the only one)."""
    x = np.stack([i.x for i in items]).astype(np.float32)
    feeds = {"x": x}
    if modality != "image":
        feeds["observed"] = np.stack([i.observed for i in items]).astype(np.float32)
    proba = session.run(None, feeds)[0]
    rows = []
    for item, p in zip(items, proba, strict=True):
        if len(classes) == 2 and threshold is not None:
            chosen = classes[int(p[1] >= threshold)]
        else:
            chosen = classes[int(np.argmax(p))]
        values = [f"{v:.6f}" for v in p]
        where = window_cells(item.window) if plan else []
        row = [item.path, item.file + 1, item.index, *where, *values, chosen, "", ""]
        row.append(item.note)
        rows.append(row)
    return rows


def _plan(
    spec: dict[str, Any], windows: bool | str | Span, stride: str | Span | None
) -> WindowPlan | None:
    """predict's ``windows`` and ``stride`` as a plan (None: series read whole)."""
    if windows is False:
        if stride is not None:
            raise ConfigError("A stride applies to predictions in windows: give a window too.")
        return None
    length = None if windows is True else windows
    length = parse_span(length) if isinstance(length, str) else length
    step = parse_span(stride) if isinstance(stride, str) else stride
    return window_plan(spec, length, step)
