"""What an import says and leaves out: SSL Studio's own projects and exports inside the
folder, a stopped import's account of what is missing, and no raw folder name before the
redaction decision."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.import_tally import stopped_note
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import Failed, Message, Progress, StopToken
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def pngs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), (10 * i) % 256, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


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


def slow_decode(task: DecodeTask):
    time.sleep(0.02)
    return decode(task)


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


def stopped_import(project: Path, folder: Path, **options) -> dict:
    """Import ``folder`` and stop it once the first file was decoded (not every file)."""
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1, **options)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, report, stop, decoder=slow_decode).run()
    assert summary["cancelled"] and 0 < summary["files_done"] < summary["files_seen"]
    return summary


def killed_import(project: Path, folder: Path, monkeypatch, **options) -> None:
    """Import ``folder`` and end it as a kill would once two files were recorded: its
    import row stays "running"."""
    from ssl_studio.core.data import import_decoding, import_writing

    real_commit = import_writing.ImportWriting._commit
    committed: list = []

    def commit(self, batch, writer):
        real_commit(self, batch, writer)
        committed.extend(batch)
        if len(committed) >= 2:
            raise KeyboardInterrupt  # as a kill: the database gets nothing more

    with monkeypatch.context() as patch:
        patch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
        patch.setattr(import_writing.ImportWriting, "_commit", commit)
        cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1, **options)
        with pytest.raises(KeyboardInterrupt):
            import_data(cfg)


def dataset_notes(project: Path) -> tuple[str | None, str | None]:
    """(partial_import_note, unfinished_note) of the project's one dataset, as info has it."""
    from ssl_studio.core.data.import_tally import partial_import_note, unfinished_note

    [dataset] = project_info(project)["datasets"]
    return partial_import_note(dataset["last_import"]), unfinished_note(dataset["last_import"])


def test_a_folder_stopped_then_a_folder_inside_it_imported_to_the_end_is_still_partial(
    project, tmp_path
):
    """The dataset's state followed its last import only: a stopped import of a folder,
    then an import of a folder inside it that finished, and the dataset counted as whole
    though most of the folder was never read. Importing the folder to the end finishes it."""
    folder = tmp_path / "study"
    pngs(folder / "a", 30)
    pngs(folder / "sub", 3)
    stopped = stopped_import(project, folder, name="ds")
    done = import_data(ImportConfig(project=project, paths=[folder / "sub"], name="ds", add=True))
    assert not done["cancelled"] and done["dataset"] == "ds"
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith("An earlier import of another folder (started ")
    assert (
        f" was stopped after {stopped['files_done']} of 33 files — import that folder again "
        "to finish (files already imported are kept, not imported again)."
    ) in partial
    assert "study" not in partial  # (its stored path is [redacted]: the import never named it)

    rest = import_data(ImportConfig(project=project, paths=[folder], name="ds"))
    assert not rest["cancelled"] and rest["files_done"] == 33
    assert dataset_notes(project) == (None, None)


def test_an_import_cut_off_then_another_folder_imported_to_the_end_is_still_partial(
    project, tmp_path, monkeypatch
):
    folder = tmp_path / "study"
    pngs(folder / "a", 12)
    pngs(folder / "sub", 2)
    killed_import(project, folder, monkeypatch, name="ds")
    with Store.open(project) as store:
        assert [r[0] for r in store.conn.execute("SELECT status FROM imports")] == ["running"]
    import_data(ImportConfig(project=project, paths=[folder / "sub"], name="ds", add=True))
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith("An earlier import of another folder (started ")
    assert partial.endswith(
        " did not finish (it was interrupted) — import that folder again to finish (files "
        "already imported are kept, not imported again)."
    )
    import_data(ImportConfig(project=project, paths=[folder], name="ds"))
    assert dataset_notes(project) == (None, None)


def test_a_stopped_folder_named_before_is_named_and_a_parent_folder_finishes_it(project, tmp_path):
    """A root imported to the end before keeps its stored (redacted) path, so the note
    names it; importing the folder that holds it to the end finishes it too."""
    top = tmp_path / "study"
    first, second = pngs(top / "first", 2), pngs(top / "second", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    stopped_import(project, first, name="ds")
    import_data(ImportConfig(project=project, paths=[second], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert partial.startswith(f"An earlier import of '{first}' (started ")
    assert "import that folder again to finish" in partial

    import_data(ImportConfig(project=project, paths=[top], name="ds", add=True))
    assert dataset_notes(project) == (None, None)


def refused_for_pretraining(project: Path) -> bool:
    """Whether pretraining refuses the project's one dataset as partly imported."""
    from ssl_studio.core.pretrain import _refuse_partial_import

    with Store.open(project) as store:
        [dataset] = store.datasets()
        try:
            _refuse_partial_import(dataset, store.last_import(dataset["id"]))
        except ConfigError:
            return True
    return False


def test_a_stopped_folder_deleted_then_another_folder_imported_is_no_longer_partial(
    project, tmp_path
):
    """A folder deleted after its import was stopped kept the dataset partly imported for
    good: it cannot be imported again, and nothing else covered it. Any import of the
    dataset now covers it (its stored path is [redacted]: its import never named it, so it
    is known gone by the folder that held it)."""
    kept = pngs(tmp_path / "kept", 3)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", cache_size=16))
    gone = pngs(tmp_path / "gone", 30)
    done = stopped_import(project, gone, name="ds", add=True)["files_done"]
    assert refused_for_pretraining(project)
    shutil.rmtree(gone)
    again = import_data(ImportConfig(project=project, paths=[kept], name="ds", add=True))
    assert (again["unchanged"], again["missing"]) == (3, done)  # (its files are missing)
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)
    [dataset] = project_info(project)["datasets"]
    assert (dataset["files"]["ok"], dataset["files"]["missing"], dataset["items"]) == (3, done, 3)


def test_a_stopped_folder_named_before_and_deleted_is_covered_by_its_stored_path(project, tmp_path):
    """A root named by an earlier import that finished is known gone by its stored path,
    wherever the folder imported now lies; the note says it is gone until then."""
    first = pngs(tmp_path / "x" / "first", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    done = stopped_import(project, first, name="ds")["files_done"]
    other = pngs(tmp_path / "y" / "other", 2)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert "import that folder again to finish" in partial  # (it is still there)
    shutil.rmtree(first)
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith(f"An earlier import of '{first}' (started ")
    assert partial.endswith(
        f" was stopped after {done} of 30 files; that folder is no longer there — import any "
        "folder of the dataset (or use --allow-partial-import) to go on."
    )
    assert refused_for_pretraining(project)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)


def test_the_latest_import_stopped_in_a_folder_since_deleted_says_it_is_gone(project, tmp_path):
    """When the stopped import is the dataset's latest, its note asked to import a folder
    that is no longer there; it now says how to go on, as an earlier one's does."""
    first = pngs(tmp_path / "x" / "first", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    done = stopped_import(project, first, name="ds")["files_done"]
    partial, _ = dataset_notes(project)
    assert partial.startswith(f"Import stopped after {done} of 30 files — import the folder")
    shutil.rmtree(first)
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial == (
        f"Import stopped after {done} of 30 files; that folder is no longer there — import "
        "any folder of the dataset (or use --allow-partial-import) to go on."
    )
    other = pngs(tmp_path / "y" / "other", 2)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)


def test_a_stopped_folder_still_there_keeps_the_dataset_partly_imported(project, tmp_path):
    """Only a root that is gone is covered: one still on disk (its stored path hidden
    whole) waits to be imported again, as before."""
    kept = pngs(tmp_path / "kept", 3)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", cache_size=16))
    stopped = pngs(tmp_path / "stopped", 30)
    stopped_import(project, stopped, name="ds", add=True)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert partial.startswith("An earlier import of another folder (started ")
    assert refused_for_pretraining(project)


def test_adding_to_a_dataset_that_is_not_there_says_so_and_names_a_stopped_one(project, tmp_path):
    """A first import stopped keeps its interim name, so `--name ds --add` of another
    folder silently made a second dataset; now it says so, and how to finish the first."""
    stopped_import(project, pngs(tmp_path / "first", 30), name="ds")
    said = []
    other = pngs(tmp_path / "other", 2)
    import_data(
        ImportConfig(project=project, paths=[other], name="ds", add=True), report=said.append
    )
    warnings = [e.text for e in said if isinstance(e, Message) and e.level == "warning"]
    assert warnings == [
        "No dataset of that name to add to, so these files make a new one. An earlier import "
        "that was stopped left '(importing)': import its folder again to finish that one."
    ]
