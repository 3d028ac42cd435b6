"""What an import says and leaves out: SSL Studio's own projects and exports inside the
folder, a stopped import's account of what is missing, and no raw folder name before the
redaction decision."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from stopped_imports import pngs, slow_decode

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.import_tally import stopped_note
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import Failed, Message, Progress, StopToken
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def test_projects_and_exports_inside_a_folder_are_left_out_with_one_line_each(project, tmp_path):
    """Dropping the demo project into another imported 273 series from its export's
    golden.npz and reported its project.db and checkpoints as unreadable files."""
    study = pngs(tmp_path / "study", 3)
    other = create_project(study / "old project")  # a project with a cache, runs, exports
    np.save(other / "cache" / "images.npy", np.zeros((4, 1, 8, 8), np.uint8))
    (other / "runs" / "1").mkdir(parents=True)
    (other / "runs" / "1" / "last.pt").write_bytes(b"\x80\x04 not an image")
    export = other / "exports" / "run-1"
    export.mkdir(parents=True)
    (export / "model_card.json").write_text("{}")
    np.savez(export / "golden.npz", inputs=np.zeros((5, 3, 40), np.float32))
    shutil.copytree(export, study / "shared model")  # an export beside the data
    events: list = []
    summary = import_data(
        ImportConfig(project=project, paths=[study], cache_size=16), report=events.append
    )
    assert (summary["modality"], summary["imported"], summary["items"]) == ("image", 3, 3)
    assert (summary["failed"], summary["skipped"]) == (0, 2)
    with Store.open(project) as store:
        rows = store.import_errors(store.dataset("study")["id"])
    assert sorted((r["path"], r["code"], r["severity"]) for r in rows) == [
        ("old project", "ssl-studio-project", "skipped"),
        ("shared model", "ssl-studio-export", "skipped"),
    ]
    assert all("left out" in r["message"] for r in rows)
    said = [e.text for e in events if isinstance(e, Message)]
    assert any("2 folder(s) made by SSL Studio" in text for text in said)

    for given, why in (
        (study / "old project", "is an SSL Studio project, not a folder of data: open it"),
        (study / "shared model", "is an SSL Studio export"),
        (other / "cache", "is a part of the SSL Studio project"),
        (export, "is an SSL Studio export"),
    ):
        with pytest.raises(ConfigError, match=why):
            import_data(ImportConfig(project=project, paths=[given], name="junk"))
    assert [d["name"] for d in project_info(project)["datasets"]] == ["study"]


def test_a_stopped_import_says_how_many_files_it_did_of_how_many(project, tmp_path):
    folder = pngs(tmp_path / "big", 60)
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, report, stop, decoder=slow_decode).run()
    assert summary["cancelled"] and summary["walk_complete"]
    done = summary["files_done"]
    assert 0 < done == summary["imported"] < 60 == summary["files_seen"]
    note = f"Import stopped after {done} of 60 files — import the folder again to finish"
    assert stopped_note(summary).startswith(note)
    [dataset] = project_info(project)["datasets"]
    assert dataset["last_import"]["status"] == "cancelled"
    assert stopped_note(dataset["last_import"]) == stopped_note(summary)  # kept with it

    rest = import_data(ImportConfig(project=project, paths=[folder]))
    assert (rest["unchanged"], rest["imported"], rest["files_done"]) == (done, 60 - done, 60)
    assert not rest["cancelled"]


def test_a_walk_stopped_early_says_the_files_found_so_far(project, tmp_path):
    folder = pngs(tmp_path / "big", 5)
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "discover":
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, report, stop).run()
    assert not summary["walk_complete"] and summary["files_done"] == 0
    assert stopped_note(summary).startswith(
        f"Import stopped after 0 of the {summary['files_seen']} files found so far — "
    )


def test_no_event_names_a_patient_named_folder_before_it_is_redacted(project, tmp_path, dicom_file):
    """pydicom's MR_small.dcm belongs to PatientID 4MR1; its folder is named so."""
    folder = tmp_path / "4MR1"
    folder.mkdir()
    shutil.copy(dicom_file("MR_small.dcm"), folder / "scan.dcm")
    events: list = []
    summary = import_data(
        ImportConfig(project=project, paths=[folder], cache_size=16), report=events.append
    )
    assert summary["dataset"] == "[redacted]" and summary["imported"] == 1
    for event in events:
        assert "4MR1" not in event.to_json(), event
    said = [e.text for e in events if isinstance(e, Message)]
    assert any("stored as '[redacted]'" in text for text in said)
    assert any(text.startswith("New image dataset: images cached at 16 px.") for text in said)

    plain = pngs(tmp_path / "knee study", 2)  # a name without identifiers is told at the end
    events.clear()
    import_data(ImportConfig(project=project, paths=[plain], cache_size=16), report=events.append)
    said = [e.text for e in events if isinstance(e, Message)]
    assert said[-1] == "The new dataset is named 'knee study'."
    assert json.dumps(said).count("knee study") == 1


@pytest.mark.parametrize("inside", [False, True])
def test_an_import_stopped_by_a_system_error_names_no_file(project, tmp_path, monkeypatch, inside):
    """The path of the file the system could not read may name its patient: the message
    (shown, logged) says only whether it lay in the project or in the folders imported."""
    folder = pngs(tmp_path / "Doe_John", 2)
    where = project / "cache" / "Doe_John.bin" if inside else folder / "Doe_John_1.png"

    def fails(self):
        raise PermissionError(13, "Permission denied", str(where))

    monkeypatch.setattr(Importer, "run", fails)
    events: list = []
    with pytest.raises(SSLStudioError) as raised:
        import_data(ImportConfig(project=project, paths=[folder]), report=events.append)
    [failed] = [e for e in events if isinstance(e, Failed)]
    place = "the project folder" if inside else "the folders imported"
    assert (
        failed.error == str(raised.value) == f"The import stopped: Permission denied (in {place})."
    )
    assert "Doe" not in failed.to_json()


@pytest.mark.parametrize("stopped", [False, True])
def test_the_column_order_message_names_its_file_as_stored_paths_do(
    project, tmp_path, monkeypatch, stopped
):
    """b.csv's name holds a part of the name 0a.csv's subject column gives ("Doe"): the
    message shows it redacted as a path, not only the whole name as words; an import
    stopped before it knew every identifier shows [redacted]."""
    from import_endings import early_end

    folder = tmp_path / "rec"
    folder.mkdir()
    rows = "".join(f"{t},Doe John,{t},{10 * t}\n" for t in range(40))
    (folder / "0a.csv").write_text("time,subject,ecg,resp\n" + rows)  # first in path order
    (folder / "Doe_b.csv").write_text("time,resp,ecg\n0,40,4\n1,50,5\n2,60,6\n")  # swapped
    for i in range(3):
        (folder / f"c{i}.csv").write_text("time,ecg,resp\n0,1,2\n")
    events: list = []
    with monkeypatch.context() as patch:
        stop, _ = early_end("stopped" if stopped else "none", 2, patch)
        cfg = ImportConfig(project=project, paths=[folder], workers=1)
        summary = import_data(cfg, report=events.append, stop=stop)
    assert summary["cancelled"] == stopped
    [said] = [e.text for e in events if isinstance(e, Message) and "another order" in e.text]
    shown = "[redacted]" if stopped else "[redacted]_b.csv"
    assert f"(first: {shown}) had their columns" in said
    for event in events:
        assert "Doe" not in event.to_json(), event


def test_a_stopped_import_reports_the_walk_s_problems_with_their_paths_hidden(
    project, tmp_path, monkeypatch
):
    """Files left out by the walk (a broken link, a project inside the folder) are in a
    stopped import's report, as in a finished one's; their paths are hidden until an
    import that finishes records them again, once."""
    from import_endings import early_end

    folder = pngs(tmp_path / "study", 4)
    os.symlink(tmp_path / "gone", folder / "Doe_John_scan.png")  # a link to nothing
    create_project(folder / "old project")
    with monkeypatch.context() as patch:
        stop, _ = early_end("stopped", 1, patch)
        cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
        summary = import_data(cfg, stop=stop)
    assert summary["cancelled"] and summary["files_done"] < 4
    assert (summary["failed"], summary["skipped"]) == (1, 1)
    assert [(e["path"], e["code"]) for e in summary["errors"]] == [("[redacted]", "broken-link")]
    with Store.open(project) as store:
        rows = store.import_errors(1)
    assert sorted((r["path"], r["code"]) for r in rows) == [
        ("[redacted]", "broken-link"),
        ("[redacted]", "ssl-studio-project"),
    ]
    assert "Doe" not in json.dumps([rows, summary])

    summary = import_data(ImportConfig(project=project, paths=[folder]))
    assert not summary["cancelled"] and (summary["failed"], summary["skipped"]) == (1, 1)
    with Store.open(project) as store:
        rows = store.import_errors(1)
    assert sorted((r["path"], r["code"]) for r in rows) == [
        ("Doe_John_scan.png", "broken-link"),
        ("old project", "ssl-studio-project"),
    ]


def test_imports_stopped_during_the_walk_record_its_problems_once(project, tmp_path, monkeypatch):
    """Three imports stopped while walking a folder, after the walk met a broken link:
    the [redacted] problem is recorded once, not once per import; a finished import
    names it."""
    from ssl_studio.core.data import importer
    from ssl_studio.core.data.discovery import WalkProblem

    folder = pngs(tmp_path / "study", 5)
    os.symlink(tmp_path / "gone", folder / "Doe_John_scan.png")  # a link to nothing
    real_walk, stop = importer.walk, StopToken()

    def walk(paths):  # (the link met first, then the Stop button)
        entries = sorted(real_walk(paths), key=lambda e: not isinstance(e, WalkProblem))
        for entry in entries:
            yield entry
            stop.stop()

    with monkeypatch.context() as patch:
        patch.setattr(importer, "walk", walk)
        for _ in range(3):
            stop = StopToken()
            cfg = ImportConfig(project=project, paths=[folder], cache_size=16)
            with Store.open(project, write=True) as store:
                summary = Importer(store, cfg, lambda _: None, stop).run()
            assert not summary["walk_complete"] and summary["failed"] == 1
    with Store.open(project) as store:
        rows = store.import_errors(1)
    assert [(r["path"], r["code"]) for r in rows] == [("[redacted]", "broken-link")]

    import_data(ImportConfig(project=project, paths=[folder]))
    with Store.open(project) as store:
        rows = store.import_errors(1)
    assert [(r["path"], r["code"]) for r in rows] == [("Doe_John_scan.png", "broken-link")]


def test_a_stop_in_the_last_batch_leaves_a_whole_import_that_pretraining_takes(project, tmp_path):
    """Stopped once every file was found and imported, an import is not partial: only its
    paths wait for the next import to be named. Pretraining is not refused for it."""
    from ssl_studio.core.data.import_tally import partial_import_note, unfinished_note

    folder = pngs(tmp_path / "few", 3)
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done >= 3:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, report, stop).run()
    assert summary["cancelled"] and summary["files_done"] == summary["files_seen"] == 3
    [dataset] = project_info(project)["datasets"]
    assert partial_import_note(dataset["last_import"]) is None  # pretraining goes ahead
    note = unfinished_note(dataset["last_import"])
    assert note == stopped_note(summary) and "all 3 files were imported" in note
    assert "import the folder again to finish" not in note
