"""The Data panel's import: the report table, a stopped import, the questions it asks,
folders that are projects or exports, and what it shows of a patient-named folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox


def _pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), (10 * i) % 256, np.uint8)).save(folder / f"{i:03d}.png")
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
    sizes = window.data.splitter.sizes()  # the report takes the thumbnails' room
    assert sizes[2] >= 0.59 * sum(sizes), sizes
    qtbot.wait(50)  # rows as tall as their text at the new width (were 3x at the old one)
    assert all(table.rowHeight(r) <= table.sizeHintForRow(r) for r in range(table.rowCount()))
    for size in ((1280, 800), (1000, 700)):
        window.resize(*size)
        qtbot.wait(50)
        viewport = table.viewport().width()
        assert table.columnWidth(3) >= 0.35 * viewport, (size, viewport, table.columnWidth(3))
        assert table.columnWidth(1) <= 0.25 * viewport + 1  # the path is elided in its middle
        header = table.horizontalHeader()
        assert header.sectionSizeHint(3) <= table.columnWidth(3)  # its title is not cut
    rows = {table.text(r, 1): r for r in range(table.rowCount())}
    row = rows[
        "ward-3 intensive care/pneumonia follow-up/second series/"
        "truncated-image-of-the-second-series.png"
    ]
    reason = table.text(row, 3)
    assert len(reason) > 40 and table.tool_tip(row, 3) == reason
    assert table.tool_tip(row, 1) == table.text(row, 1)
    window.resize(1280, 800)
    qtbot.wait(50)
    window.data.tabs.setCurrentIndex(0)  # the viewer gets its width back
    sizes = window.data.splitter.sizes()
    assert sizes[2] < 0.5 * sum(sizes), sizes


def test_a_stopped_import_says_so_in_the_summary_and_the_report(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    """Stopping an import of 2000 PNGs read "218 items … 0 files failed, 0 skipped" and
    "every file was imported"."""
    from ssl_studio.core.events import Progress
    from ssl_studio.core.jobs import import_data

    folder = tmp_path / "big"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(600):
        Image.fromarray(rng.integers(0, 255, (64, 64), np.uint8)).save(folder / f"{i:03d}.png")

    def stop_at_the_first_files(cfg, *, report, stop):  # as the Stop button does then
        def relay(event):
            report(event)
            if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
                stop.stop()

        return import_data(cfg, report=relay, stop=stop)

    monkeypatch.setattr("ssl_studio.gui.panels.data_panel.import_data", stop_at_the_first_files)
    # a commit and its progress after every file: 600 small PNGs cached at their own
    # 64 px can all decode before the first commit
    monkeypatch.setattr("ssl_studio.core.data.import_decoding._PROGRESS_SECONDS", 0.0)
    monkeypatch.setattr("ssl_studio.core.data.import_decoding._COMMIT_SECONDS", 0.0)
    window = make_window(project)
    window.data.set_import_options({"workers": 1})
    assert window.data.import_paths([folder])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=60_000)
    summary = window.data.last_import
    done = summary["files_done"]
    assert summary["cancelled"] and 0 < done < 600
    note = f"Import stopped after {done} of 600 files — import the folder again to finish"
    assert note in window.data.summary.text()
    assert note in window.data.report_title.text()
    assert "every file was imported" not in window.data.report_title.text()
    assert window.data.tabs.currentIndex() == 1
    assert window.job_label.text() == "Importing into a new dataset: stopped."

    again = make_window(project)  # the next session still says so
    assert note in again.data.summary.text() and note in again.data.report_title.text()
    monkeypatch.setattr("ssl_studio.gui.panels.data_panel.import_data", import_data)
    assert again.data.import_paths([folder])  # the rest: then the note goes
    qtbot.waitUntil(lambda: not again.runner.busy, timeout=60_000)
    assert again.data.last_import["unchanged"] == done
    assert "stopped" not in again.data.summary.text()
    assert "every file was imported" in again.data.report_title.text()


def _escape_pressed(parent, title, text, buttons=None, default=None):
    """QMessageBox.question as Qt makes it, answered by the Escape key."""
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setStandardButtons(
        buttons or QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    )
    if default is not None:
        box.setDefaultButton(default)
    QTimer.singleShot(0, lambda: QTest.keyClick(box, Qt.Key.Key_Escape))
    return QMessageBox.StandardButton(box.exec())


def test_escape_on_the_add_question_imports_nothing_and_titles_name_the_dataset(
    qtbot, make_window, project, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    for place in ("ward-a", "ward-b"):
        _pngs(tmp_path / place / "scans", 2)
    window = make_window(project)
    titles: list[str] = []
    window.runner.started.connect(titles.append)
    assert window.data.import_paths([tmp_path / "ward-a" / "scans"])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", _escape_pressed)
    assert not window.data.import_paths([tmp_path / "ward-b" / "scans"])
    assert not window.runner.busy and len(titles) == 1  # nothing started
    assert [d["name"] for d in window.data.datasets] == ["scans"]
    assert titles == ["Importing into a new dataset"]  # its name is known once read

    answers = iter([QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No])
    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", lambda *a: next(answers))
    assert window.data.import_paths([tmp_path / "ward-b" / "scans"])  # Yes: added to it
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert titles[-1] == "Importing into 'scans'"
    _pngs(tmp_path / "ward-c" / "scans", 1)
    assert window.data.import_paths([tmp_path / "ward-c" / "scans"])  # No: a new one
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    assert titles[-1] == "Importing into a new dataset"  # not "Importing 'scans'"
    assert {d["name"]: d["items"] for d in window.data.datasets} == {"scans": 4, "scans 2": 1}


def test_a_dropped_project_is_offered_to_open_and_an_export_is_refused(
    qtbot, make_window, project, tmp_path, messages, monkeypatch
):
    """Dropping the demo project into another imported junk from its export."""
    from ssl_studio.core.jobs import create_project

    from gui_helpers import drop

    other = create_project(tmp_path / "other project")
    export = other / "exports" / "run-1"
    export.mkdir(parents=True)
    (export / "model_card.json").write_text("{}")
    np.savez(export / "golden.npz", inputs=np.zeros((5, 3, 40), np.float32))
    window = make_window(project)
    asked: list[str] = []

    def no(_, title, text, *rest):
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("ssl_studio.gui.dialogs.QMessageBox.question", no)
    drop(window, [other])  # No: nothing happens
    assert len(asked) == 1 and "is an SSL Studio project, not a folder of data" in asked[0]
    assert not window.runner.busy and window.context.project == project
    drop(window, [export])
    assert "is an SSL Studio export" in messages[-1][1] and not window.runner.busy
    drop(window, [project])
    assert "this project's own folder" in messages[-1][1] and not window.runner.busy
    assert window.data.datasets == []

    monkeypatch.setattr(
        "ssl_studio.gui.dialogs.QMessageBox.question", lambda *a: QMessageBox.StandardButton.Yes
    )
    drop(window, [other])  # Yes: it is opened
    assert window.context.project == other and not window.runner.busy
    assert window.windowTitle().startswith("other project")


def test_no_log_line_status_text_or_message_shows_a_patient_named_folder(
    qtbot, make_window, project, tmp_path, dicom_file, messages
):
    """pydicom's MR_small.dcm belongs to PatientID 4MR1; the folder is named so. The
    database stored '[redacted]', but the log and the status bar said "Importing '4MR1'
    started." and "New image dataset '4MR1'"."""
    import shutil

    from gui_helpers import drop

    folder = tmp_path / "4MR1"
    folder.mkdir()
    shutil.copy(dicom_file("MR_small.dcm"), folder / "scan.dcm")
    window = make_window(project)
    shown: list[str] = []
    window.runner.started.connect(shown.append)
    window.runner.reported.connect(lambda e: shown.append(window.job_label.text()))
    window.runner.reported.connect(lambda e: shown.append(e.to_json()))
    drop(window, [folder])
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=30_000)
    shown += [window.job_label.text(), window.log.toPlainText(), window.windowTitle()]
    shown += [text for message in messages for text in message]
    shown += [window.data.summary.text(), window.data.report_title.text()]
    shown += [window.data.dataset_list.item(0).text()]
    assert window.data.last_import["dataset"] == "[redacted]"
    assert "stored as '[redacted]'" in window.log.toPlainText()
    assert "Importing into a new dataset started." in window.log.toPlainText()
    for text in shown:
        assert "4MR1" not in text, text


def test_a_dropped_project_is_a_request_the_panel_signals_not_a_call_into_the_window(
    qtbot, project, tmp_path
):
    """The panel reached into the main window (``self.window().open_project``); on its
    own, with no main window above it, that was an AttributeError."""
    from ssl_studio.core.jobs import create_project
    from ssl_studio.gui.context import AppContext
    from ssl_studio.gui.jobs import JobRunner
    from ssl_studio.gui.panels.data_panel import DataPanel

    other = create_project(tmp_path / "other project")
    context = AppContext(JobRunner())
    context.project = project
    panel = DataPanel(context)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.open_project_requested) as requested:
        assert panel.import_paths([other]) is False  # opened (when asked), not imported
    assert requested.args == [other]


def test_an_import_cut_off_by_a_crash_is_noted_as_a_stopped_one_is(
    qtbot, make_window, project, tmp_path
):
    """Only a stopped import ('cancelled') had a note; one cut off by a crash, a kill or a
    full disk (left 'running') looked complete, yet pretraining refuses it."""
    from ssl_studio.core.project.store import Store

    from gui_helpers import import_shapes

    import_shapes(project, tmp_path, n=4)
    with Store.open(project, write=True) as store:  # a re-import that never ended
        store.start_import(store.dataset("shapes")["id"], {})
    window = make_window(project)
    note = "The last import did not finish (it was interrupted, or is still running) — import"
    assert note in window.data.summary.text() and note in window.data.report_title.text()


def test_the_report_shows_notes_on_files_whose_columns_differ(make_window, project, tmp_path):
    """Files whose columns differ from the others' were only a passing message: the report
    then said "every file was imported" and showed nothing."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data

    folder = tmp_path / "vitals"
    folder.mkdir()
    rows = "".join(f"{t},{t + 1}\n" for t in range(5))
    for name, header in (("a", "ecg,resp"), ("b", "ecg,resp"), ("c", "ecg,spo2")):
        (folder / f"{name}.csv").write_text(f"{header}\n{rows}")
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    window = make_window(project)
    title = window.data.report_title.text()
    assert "every file was imported. 1 note on imported files (their columns)." in title
    table = window.data.report_table
    assert table.rowCount() == 1
    assert [table.text(0, c) for c in range(3)] == ["warning", "c.csv", "columns-differ"]
    assert "its 'spo2' stands where they have 'resp'" in table.text(0, 3)


def test_the_report_counts_links_followed_out_of_the_folder(make_window, project, tmp_path):
    """A link to data elsewhere (another disk) is followed and listed; the title counts
    such links apart from the notes on imported files."""
    import os

    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data

    study = _pngs(tmp_path / "study", 1)
    elsewhere = _pngs(tmp_path / "disk2" / "more", 2)
    os.symlink(elsewhere, study / "more")
    os.symlink("..", study / "up")
    import_data(ImportConfig(project=project, paths=[study], workers=1))
    window = make_window(project)
    title = window.data.report_title.text()
    assert (
        "every file was imported" in title and "on imported files" not in title
    )  # (links: no files)
    assert "Followed 1 link to folders outside the folder imported (listed)." in title
    assert "1 link back up to the folder imported not followed (listed)." in title
    table = window.data.report_table
    rows = {table.text(r, 1): table.text(r, 2) for r in range(table.rowCount())}
    assert rows == {"more": "link-outside", "up": "link-up"}
