"""What an import said of the files it imported reaches the user: the audit imported
series whose channels were out of place and saw "done." in the status bar, "0 files
failed, 0 skipped" on the dataset's line and the Viewer tab; the warning went only to
the hidden log and the Import report tab nobody opened."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt

from ssl_studio.core.events import Message


def _series(folder: Path, name: str, header: str, rows: int = 40) -> None:
    """A CSV of ``rows`` steps at 10 Hz: a time column and the channels of ``header``."""
    channels = header.split(",")[1:]
    values = np.random.default_rng(len(name)).normal(size=(rows, len(channels)))
    lines = [header] + [
        ",".join([f"{t / 10:.1f}", *(f"{v:.3f}" for v in row)]) for t, row in enumerate(values)
    ]
    (folder / name).write_text("\n".join(lines) + "\n")


def _folder(root: Path, odd: bool) -> Path:
    """Four recordings with channels ax, ay, az; ``odd``: one more that names them
    gx, gy, gz (a model reads channels by position: its gx stands where ax does)."""
    root.mkdir()
    for i in range(4):
        _series(root, f"a{i}.csv", "time,ax,ay,az")
    if odd:
        _series(root, "d0.csv", "time,gx,gy,gz")
    return root


def _import(qtbot, window, folder: Path) -> None:
    assert window.data.import_paths([folder])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)


def test_channels_out_of_place_are_counted_and_the_report_is_shown(
    qtbot, make_window, project, tmp_path
):
    window = make_window(project)
    window.resize(1280, 800)
    _import(qtbot, window, _folder(tmp_path / "clean", odd=False))
    data = window.data
    assert window.job_label.text() == "Importing into a new dataset: done."  # nothing to read
    assert data.tabs.currentIndex() == 0 and "note" not in data.summary.text()

    _import(qtbot, window, _folder(tmp_path / "mixed", odd=True))
    said = window.job_label.text()
    assert said.startswith("Importing into a new dataset: done, with 1 warning"), said
    assert "View → Log" in said  # where the warning's words are
    assert "rename the columns" in window.log.toPlainText()
    assert data.tabs.currentWidget() is data.report_page  # its note is read there
    assert "d0.csv" in [data.report_table.text(r, 1) for r in range(data.report_table.rowCount())]
    reason = data.report_table.model().headerData(3, Qt.Orientation.Horizontal)
    assert reason == "Reason or note"  # d0.csv was imported
    line = data.summary.text()
    assert "0 files failed, 0 skipped; 1 note — see Import report." in line, line

    data.select_dataset("clean")  # each dataset's own count
    assert "note" not in data.summary.text()
    data.select_dataset("mixed")
    assert "1 note — see Import report" in data.summary.text()


def test_a_job_that_warned_says_so_when_it_ends(qtbot, make_window, project):
    window = make_window(project)

    def warns(report, stop):
        report(Message("import", "a note", level="info"))  # not counted: nothing amiss
        report(Message("import", "first", level="warning"))
        report(Message("import", "second", level="warning"))
        return {"status": "done"}

    assert window.runner.start("Careful job", warns)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Careful job: done, with 2 warnings (View → Log)."
    assert window.runner.start("Quiet job", lambda report, stop: {"status": "done"})
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert window.job_label.text() == "Quiet job: done."  # counted afresh for each job
