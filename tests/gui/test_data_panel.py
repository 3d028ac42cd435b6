"""The Data panel's import: the report table, a stopped import, the questions it asks,
folders that are projects or exports, and what it shows of a patient-named folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def _pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), 10 * i, np.uint8)).save(folder / f"{i:03d}.png")
    return folder


def test_the_report_gives_the_reason_room_and_its_whole_text_as_tooltip(
    qtbot, make_window, project, tmp_path
):
    """At 1280 x 800 the reason column was 82 of 407 px (the long path took the rest);
    at a 1000 px wide window about 10 px."""
    study = _pngs(tmp_path / "study", 2)
    deep = study / "ward-3 intensive care" / "pneumonia follow-up" / "second series"
    deep.mkdir(parents=True)
    good = (study / "000.png").read_bytes()
    (deep / "truncated-image-of-the-second-series.png").write_bytes(good[: len(good) // 2])
    (study / "notes.txt").write_text("not an image")
    window = make_window(project)
    window.resize(1280, 800)
    window.data.import_paths([study])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    table = window.data.report_table
    assert window.data.tabs.currentIndex() == 1 and table.rowCount() == 2
    for size in ((1280, 800), (1000, 700)):
        window.resize(*size)
        qtbot.wait(50)
        viewport = table.viewport().width()
        assert table.columnWidth(3) >= 0.35 * viewport, (size, viewport, table.columnWidth(3))
        assert table.columnWidth(1) <= 0.25 * viewport + 1  # the path is elided in its middle
        header = table.horizontalHeader()
        assert header.sectionSizeHint(3) <= table.columnWidth(3)  # its title is not cut
    rows = {table.item(r, 1).text(): r for r in range(table.rowCount())}
    row = rows[
        "ward-3 intensive care/pneumonia follow-up/second series/"
        "truncated-image-of-the-second-series.png"
    ]
    reason = table.item(row, 3)
    assert len(reason.text()) > 40 and reason.toolTip() == reason.text()
    assert table.item(row, 1).toolTip() == table.item(row, 1).text()
