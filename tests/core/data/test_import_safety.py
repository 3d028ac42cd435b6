"""Re-imports and broken imports never lose labels nor store a patient's name: a file that
stops decoding keeps its items and labels; a changed file keeps its redacted path; an
import killed, stopped or out of disk space leaves no name behind and the next one
finishes it."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.import_tally import unfinished_note, unread_dicom_note
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def run(project: Path, *paths: Path, **options) -> dict:
    return import_data(ImportConfig(project=project, paths=list(paths), **options))


def png(path: Path, value: int = 0, side: int = 16) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((side, side), value, np.uint8)).save(path)
    return path


def touch_later(path: Path) -> None:
    """Give ``path`` a new modification time, as an edit would."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def project_bytes(project: Path) -> bytes:
    return b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())


def test_a_file_that_stops_decoding_keeps_its_items_and_labels(project, tmp_path, dicom_file):
    folder = tmp_path / "study"
    for cls, dicom in (("normal", "CT_small.dcm"), ("pneumonia", "MR_small.dcm")):
        (folder / cls).mkdir(parents=True)
        shutil.copy(dicom_file(dicom), folder / cls / "scan.dcm")
        for i in range(2):
            png(folder / cls / f"{i}.png", value=40 * i)
    run(project, folder, name="study", cache_size=16)
    labels_from_folders(project, "study")
    with Store.open(project) as store:
        labels = store.latest_labels(1, "folders")
        [broken] = [i for i in store.items(1) if i["rel_path"] == "normal/scan.dcm"]
    assert len(labels) == 6

    original = (folder / "normal" / "scan.dcm").read_bytes()
    (folder / "normal" / "scan.dcm").write_bytes(original[:3000])  # a copy cut short
    touch_later(folder / "normal" / "scan.dcm")
    assert run(project, folder, name="study")["failed"] == 1
    with Store.open(project) as store:
        assert store.latest_labels(1, "folders") == labels  # the label set is as it was
        assert [s["n_labels"] for s in store.label_sets(1)] == [6]
        assert broken["id"] not in {i["id"] for i in store.items(1)}  # training skips it
        assert [i["id"] for i in store.items(1, status="failed")] == [broken["id"]]

    (folder / "normal" / "scan.dcm").write_bytes(original)  # copied again from the source
    touch_later(folder / "normal" / "scan.dcm")
    assert run(project, folder, name="study")["imported"] == 1
    with Store.open(project) as store:
        assert store.latest_labels(1, "folders") == labels
        back = store.item(1, broken["id"])
    assert back is not None and back["status"] == "ok"  # the same item, with its label


def test_a_changed_or_new_file_is_redacted_with_the_names_its_neighbours_hid(
    project, tmp_path, dicom_file
):
    """The DICOM file beside them is unchanged, so its header is not read again: what its
    names hid in the stored paths is learned again from those paths."""
    folder = tmp_path / "chest"
    patient = folder / "normal" / "CompressedSamples_CT1"  # CT_small's patient
    patient.mkdir(parents=True)
    shutil.copy(dicom_file("CT_small.dcm"), patient / "ct.dcm")
    png(patient / "scan.png")
    (folder / "pneumonia" / "p2").mkdir(parents=True)
    png(folder / "pneumonia" / "p2" / "a.png", 50)
    png(folder / "pneumonia" / "p2" / "b.png", 90)
    run(project, folder, name="chest", cache_size=16)
    assert b"CompressedSamples" not in project_bytes(project)

    touch_later(patient / "scan.png")
    png(patient / "later.png", 70)
    summary = run(project, folder, name="chest")
    assert (summary["changed"], summary["new"], summary["unchanged"]) == (1, 1, 3)
    assert b"CompressedSamples" not in project_bytes(project)
    # (the upgrade's copy of the old database held the names too: removed with them)
    assert not list(project.glob("project.db.schema-*.bak"))
    with Store.open(project) as store:
        paths = sorted(i["rel_path"] for i in store.items(1))
    assert paths == [
        "normal/[redacted]/ct.dcm",
        "normal/[redacted]/later.png",
        "normal/[redacted]/scan.png",
        "pneumonia/p2/a.png",
        "pneumonia/p2/b.png",
    ]
    labels_from_folders(project, "chest")  # a patient's folder is no class: normal is
    with Store.open(project) as store:
        assert set(store.latest_labels(1, "folders").values()) == {"normal", "pneumonia"}

    png(patient / "solo.png", 20)  # the patient's folder alone, added to the dataset
    assert run(project, patient, name="chest", add=True)["new"] == 1
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        roots = sorted(r[0] for r in store.conn.execute("SELECT path FROM roots"))
    assert roots == [str(folder), str(folder / "normal" / "[redacted]")]


def early_end(how: str, after: int, monkeypatch) -> tuple[StopToken, type[BaseException] | None]:
    """Make the next import end after ``after`` files were committed: ``killed`` (the
    process dies: nothing more reaches the database), ``full disk`` (the cache cannot
    grow) or ``stopped`` (the Stop button). Returns the stop token and what it raises."""
    from ssl_studio.core.data import cache, import_decoding, import_writing

    monkeypatch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
    stop = StopToken()
    real_commit = import_writing.ImportWriting._commit
    real_append = cache._Appender.append
    committed = []

    def commit(self, batch, writer):
        real_commit(self, batch, writer)
        committed.extend(batch)
        if len(committed) >= after and how == "killed":
            raise KeyboardInterrupt  # as a kill: the database gets nothing more
        if len(committed) >= after and how == "stopped":
            stop.stop()

    def append(self, data):
        if len(committed) >= after:
            raise OSError(28, "No space left on device")
        return real_append(self, data)

    monkeypatch.setattr(import_writing.ImportWriting, "_commit", commit)
    if how == "full disk":
        monkeypatch.setattr(cache._Appender, "append", append)
    raises = {"killed": KeyboardInterrupt, "full disk": SSLStudioError}.get(how)
    return stop, raises


@pytest.mark.parametrize("how", ["killed", "full disk", "stopped"])
@pytest.mark.parametrize("after", [2, 4])
def test_an_import_that_ends_early_stores_no_name_and_the_next_one_names_it(
    project, tmp_path, dicom_file, monkeypatch, how, after
):
    """Files are decoded largest first: a broken PNG and a PNG named after their patient
    before the DICOM file that says who that is (after=2), or after it (after=4). Neither
    the early end nor the import that finishes the work stores the name; the finishing
    import reads only the identifiers of the files already recorded (their items and
    cache stay)."""
    folder = tmp_path / "CompressedSamples_CT1"  # CT_small's patient
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")
    noise = np.random.default_rng(0).integers(0, 255, (256, 256), np.uint8)
    Image.fromarray(noise).save(folder / "CompressedSamples_big.png")  # larger than ct.dcm
    for i in range(4):
        png(folder / f"CompressedSamples_{i}.png", 30 * i)
    broken = b"\x89PNG\r\n\x1a\n" + bytes(300_000)  # the largest; Pillow quotes its path
    (folder / "CompressedSamples_note.png").write_bytes(broken)
    with monkeypatch.context() as patch:
        stop, raises = early_end(how, after, patch)
        cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
        if raises:
            with pytest.raises(raises):
                import_data(cfg, stop=stop)
        else:
            assert import_data(cfg, stop=stop)["cancelled"]
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["(importing)"]
        early = {i["id"]: i for i in store.items(1)}
        paths = [r[0] for r in store.conn.execute("SELECT rel_path FROM files")]
        [error] = store.import_errors(1)
    assert 0 < len(early) < len(paths) <= after and set(paths) == {"[redacted]"}
    assert error["path"] == "[redacted]" and "[redacted]" in error["message"]

    summary = run(project, folder, name="chest", workers=1)
    assert (summary["dataset"], summary["unchanged"]) == ("chest", len(paths))
    assert summary["imported"] + summary["failed"] == 7 - len(paths)
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        items = store.items(1)
        assert [e["path"] for e in store.import_errors(1)] == ["[redacted]_note.png"]
        [root] = store.conn.execute("SELECT path FROM roots").fetchall()
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM imports")]
    assert sorted(i["rel_path"] for i in items) == [
        "[redacted]_0.png",
        "[redacted]_1.png",
        "[redacted]_2.png",
        "[redacted]_3.png",
        "[redacted]_big.png",
        "ct.dcm",
    ]
    assert root[0] == str(tmp_path / "[redacted]")
    assert statuses[-1] == "done" and statuses[0] != "done"
    for item in items:  # the early files' items were not decoded (nor cached) again
        if item["id"] in early:
            assert item["cache_index"] == early[item["id"]]["cache_index"]
    pngs = sorted(i["cache_index"] for i in items if i["rel_path"].endswith(".png"))
    assert pngs == [0, 1, 2, 3, 4]


def patient_folder(tmp_path: Path, dicom_file) -> Path:
    """study/CompressedSamples_CT1 (CT_small's patient): the DICOM file, the largest, so
    decoded first; a .dcm file that holds no DICOM header, next; then PNGs without names."""
    folder = tmp_path / "study" / "CompressedSamples_CT1"
    folder.mkdir(parents=True)
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")
    (folder / "broken.dcm").write_text("this is not a scan " * 100)  # no DICOM header
    for i in range(3):
        png(folder / f"scan{i}.png", 40 * i)
    return folder.parent


def killed_after(project: Path, study: Path, after: int, monkeypatch) -> None:
    """Import ``study`` and kill the import once ``after`` files were recorded."""
    with monkeypatch.context() as patch:
        stop, raises = early_end("killed", after, patch)
        with pytest.raises(raises):
            run(project, study, cache_size=16, workers=1)
    assert b"CompressedSamples" not in project_bytes(project)


def test_a_file_left_out_by_kind_still_names_its_neighbours(project, tmp_path, dicom_file):
    """With --kind image the DICOM file is left out, but its header says whose folder the
    PNGs lie in."""
    study = patient_folder(tmp_path, dicom_file)
    summary = run(project, study, cache_size=16, kind="image", workers=1)
    assert (summary["imported"], summary["skipped"]) == (3, 2)
    assert b"CompressedSamples" not in project_bytes(project)
    # (the upgrade's copy of the old database held the names too: removed with them)
    assert not list(project.glob("project.db.schema-*.bak"))
    with Store.open(project) as store:
        paths = sorted(i["rel_path"] for i in store.items(1))
        problems = sorted((e["path"], e["code"], e["severity"]) for e in store.import_errors(1))
    assert paths == [f"[redacted]/scan{i}.png" for i in range(3)]
    assert problems == [  # (why the identifiers of a file left out could not be read, too)
        ("[redacted]/broken.dcm", "dicom-invalid", "skipped"),
        ("[redacted]/broken.dcm", "kind-filter", "skipped"),
        ("[redacted]/ct.dcm", "kind-filter", "skipped"),
    ]


def test_a_re_import_that_leaves_out_a_file_an_unfinished_import_recorded_names_nothing_it_hid(
    project, tmp_path, dicom_file, monkeypatch
):
    """The killed import recorded the DICOM file; the next one asks for images only: the
    DICOM file is left out, but its identifiers are read again to name the PNGs' paths."""
    study = patient_folder(tmp_path, dicom_file)
    killed_after(project, study, 1, monkeypatch)
    summary = run(project, study, kind="image", workers=1)
    assert (summary["dataset"], summary["unchanged"], summary["unnamed"]) == ("study", 1, 0)
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        paths = sorted(r[0] for r in store.conn.execute("SELECT rel_path FROM files"))
    assert paths[-3:] == [f"[redacted]/scan{i}.png" for i in range(3)]


def test_the_unnamed_note_gives_the_advice_of_the_cause_recorded():
    from ssl_studio.core.data.import_tally import unnamed_note

    def note(unread=None):
        return unnamed_note({"unnamed": 2, **({"unread": unread} if unread else {})})

    damaged = note({"damaged": 2})
    assert "(they no longer read as they did (damaged, or replaced by another file))" in damaged
    assert "copy them again from the source, or move them out of the folder" in damaged
    assert "readable" not in damaged
    moved = note({"broken-link": 1, "unreadable": 1})  # two files, two causes
    assert "moved or removed" in moved and "put them back where they were" in moved
    assert "permission denied" in moved and "give read access" in moved
    assert "empty now (0 bytes)" in note({"empty": 1})
    assert "more memory" in note({"too-large": 1})
    old = note()  # an import recorded before the causes were kept: every cause
    assert "(unreadable, moved, or damaged)" in old and "put back any that moved" in old


def unreadable_ct(task):
    """The decoder, on a machine where ct.dcm can no longer be read (its permissions
    changed: its size and modification time did not)."""
    from ssl_studio.core.data.decode import decode
    from ssl_studio.core.data.records import DecodedFile, ImportProblem

    if task.path.endswith("ct.dcm"):
        return DecodedFile("dicom", problems=[ImportProblem("unreadable", "Permission denied")])
    return decode(task)


def test_a_file_an_unfinished_import_recorded_that_no_longer_reads_keeps_paths_hidden(
    project, tmp_path, dicom_file, monkeypatch
):
    """Its identifiers are lost, so the import names nothing and stays unfinished; the
    next import reads it again and names everything. A damaged file that failed as it
    fails now told nothing then either: it keeps nothing unnamed."""
    from ssl_studio.core.data.importer import Importer

    study = patient_folder(tmp_path, dicom_file)
    killed_after(project, study, 2, monkeypatch)  # ct.dcm imported, broken.dcm failed
    events: list = []
    cfg = ImportConfig(project=project, paths=[study], workers=1)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, events.append, StopToken(), decoder=unreadable_ct).run()
    assert (summary["unchanged"], summary["imported"], summary["unnamed"]) == (2, 3, 1)
    assert not summary["cancelled"] and summary["dataset"] == "(importing)"
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        paths = {r[0] for r in store.conn.execute("SELECT rel_path FROM files")}
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM imports")]
    assert paths == {"[redacted]"} and statuses[-1] == "unnamed"
    said = [e.text for e in events if hasattr(e, "text")]
    [told] = [t for t in said if "1 file(s) that an earlier import" in t]
    assert "read again: reading them was refused (permission denied)" in told
    assert "Give read access to them" in told and "damaged" not in told  # its own cause
    with Store.open(project) as store:  # info and the Data panel say it, not only the import
        last = store.dataset_summary(1)["last_import"]
    note = unfinished_note(last)
    assert note.startswith("Import unfinished: 1 file(s) recorded by an")
    assert "(reading them was refused (permission denied)" in note  # the recorded cause
    assert "give read access to them" in note and "move damaged ones out" not in note

    summary = run(project, study, workers=1)  # readable again
    assert (summary["dataset"], summary["unchanged"], summary["unnamed"]) == ("study", 5, 0)
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        paths = sorted(r[0] for r in store.conn.execute("SELECT rel_path FROM files"))
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM imports")]
    assert paths == ["[redacted]/broken.dcm", "[redacted]/ct.dcm"] + [
        f"[redacted]/scan{i}.png" for i in range(3)
    ]
    assert statuses[-1] == "done"
    with Store.open(project) as store:
        assert unfinished_note(store.dataset_summary(1)["last_import"]) is None


def test_importing_the_folder_that_holds_an_unfinished_dataset_s_folder_finishes_it(
    project, tmp_path, dicom_file, monkeypatch
):
    """The import of study/CompressedSamples_CT1 was killed; the user imports study: the
    unfinished dataset is finished (its items, their cache and labels kept) and named
    'study', instead of a second dataset beside an '(importing)' one left for good."""
    study = patient_folder(tmp_path, dicom_file)
    png(study / "other" / "x.png", 99)
    with monkeypatch.context() as patch:
        stop, raises = early_end("killed", 2, patch)
        with pytest.raises(raises):
            run(project, study / "CompressedSamples_CT1", cache_size=16, workers=1)
    with Store.open(project, write=True) as store:
        early = {i["id"]: i for i in store.items(1)}
        store.add_label_set(1, "hand", "test", {i: "a" for i in early})
    assert len(early) == 1  # ct.dcm (broken.dcm failed)

    summary = run(project, study, workers=1)
    assert (summary["dataset"], summary["unchanged"], summary["new"]) == ("study", 2, 4)
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["study"]
        items = {i["id"]: i for i in store.items(1)}
        assert store.latest_labels(1, "hand") == {i: "a" for i in early}
        paths = sorted(r[0] for r in store.conn.execute("SELECT rel_path FROM files"))
        roots = sorted(r[0] for r in store.conn.execute("SELECT path FROM roots"))
        assert unfinished_note(store.last_import(1)) is None  # (the killed one's folder too)
    for item_id, item in early.items():  # not decoded (nor cached) again
        assert items[item_id]["cache_index"] == item["cache_index"]
    assert paths == ["[redacted]/broken.dcm", "[redacted]/ct.dcm"] + [
        f"[redacted]/scan{i}.png" for i in range(3)
    ] + ["other/x.png"]
    assert roots == [str(study), str(study / "[redacted]")]


def test_an_unfinished_dataset_that_does_not_match_the_import_is_named_with_what_to_do(
    project, tmp_path, dicom_file, monkeypatch
):
    """Cached at another size than the one asked for now: it cannot take these files in,
    so a new dataset is made, and a warning names the unfinished one and its folder."""
    study = patient_folder(tmp_path, dicom_file)
    with monkeypatch.context() as patch:
        stop, raises = early_end("killed", 2, patch)
        with pytest.raises(raises):
            run(project, study / "CompressedSamples_CT1", cache_size=16, workers=1)
    events: list = []
    cfg = ImportConfig(project=project, paths=[study], cache_size=32, workers=1)
    summary = import_data(cfg, report=events.append)
    assert (summary["dataset"], summary["new"]) == ("study", 5)
    assert b"CompressedSamples" not in project_bytes(project)
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["(importing)", "study"]
    [said] = [e.text for e in events if getattr(e, "level", "") == "warning"]
    assert said.startswith(
        f"Dataset '(importing)' (image data cached at 16 px) holds files of "
        f"'{study / '[redacted]'}' from an import that did not finish"
    )


def test_an_empty_dataset_left_by_an_import_killed_before_its_first_commit_is_removed(
    project, tmp_path, monkeypatch
):
    """Killed before it recorded a file, the import left a dataset with no folder: no
    import finishes it, so the next import removes it (with its cache folder) and says
    so. A leftover that recorded files stays: it is finished by an import of its folder."""
    from ssl_studio.core.data import import_writing

    folder = tmp_path / "scans"
    png(folder / "a.png", 10)
    png(folder / "b.png", 20)
    with monkeypatch.context() as patch:

        def killed(self, batch, cache):
            raise KeyboardInterrupt  # as a kill before anything was committed

        patch.setattr(import_writing.ImportWriting, "_commit", killed)
        for _ in range(2):  # (the second removes the first, and is killed in turn)
            with pytest.raises(KeyboardInterrupt):
                run(project, folder, cache_size=16, workers=1)
    with Store.open(project) as store:
        assert [(d["id"], d["name"]) for d in store.datasets()] == [(1, "(importing)")]
        assert not store.root_keys(1) and not store.items(1)
    stray = project / "cache" / "dataset-1" / "written-before-the-kill"
    stray.write_bytes(b"x" * 100)  # cache bytes whose rows were never committed

    other = tmp_path / "other"
    png(other / "c.png", 30)
    events: list = []
    import_data(ImportConfig(project=project, paths=[other], cache_size=16), report=events.append)
    with Store.open(project) as store:  # (dataset ids are used again: its cache went)
        assert [(d["id"], d["name"]) for d in store.datasets()] == [(1, "other")]
        assert [r[0] for r in store.conn.execute("SELECT status FROM imports")] == ["done"]
    assert not stray.exists()
    said = [e.text for e in events if hasattr(e, "text")]
    assert (
        "Removed 1 empty dataset(s) ('(importing)') left by imports that ended before they "
        "recorded a file." in said
    )

    study = tmp_path / "study"
    for i in range(3):
        png(study / f"s{i}.png", 40 * i)
    killed_after(project, study, 1, monkeypatch)  # it recorded a file: it stays
    import_data(ImportConfig(project=project, paths=[other], cache_size=16))
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["other", "(importing)"]


def walk_problems(project: Path) -> list[tuple[str, str]]:
    """(path, code) of the problems of the walk the project holds, by path."""
    with Store.open(project) as store:
        rows = store.conn.execute(
            "SELECT path, code FROM import_errors WHERE file_id IS NULL ORDER BY path, id"
        )
        return [(r[0], r[1]) for r in rows]


def test_an_import_replaces_the_walk_problems_of_the_folders_it_walked_only(
    project, tmp_path, monkeypatch
):
    """A broken link in each of two folders of a dataset. The import of the second is
    stopped: its problem is kept [redacted]. A finished import of the first, whose link
    was mended meanwhile, forgets the first folder's problem, but not the second's;
    the finished import of the second names it."""
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, value in ((one, 10), (two, 60)):
        for i in range(3):
            png(folder / f"{folder.name}{i}.png", value + 10 * i)
        (folder / "dangling.png").symlink_to(folder / "gone.png")
    run(project, one, name="scans", cache_size=16)
    assert walk_problems(project) == [("dangling.png", "broken-link")]

    with monkeypatch.context() as patch:
        stop, _ = early_end("stopped", 1, patch)
        cfg = ImportConfig(project=project, paths=[two], name="scans", add=True, workers=1)
        assert import_data(cfg, stop=stop)["cancelled"]
    stopped = ("[redacted]", "broken-link")
    assert walk_problems(project) == [stopped, ("dangling.png", "broken-link")]

    (one / "dangling.png").unlink()  # mended
    run(project, one, name="scans")
    assert walk_problems(project) == [stopped]

    run(project, two, name="scans", add=True)
    assert walk_problems(project) == [("dangling.png", "broken-link")]
    with Store.open(project) as store:
        [row] = store.conn.execute(
            "SELECT roots.path FROM import_errors JOIN roots ON roots.id = import_errors.root_id"
        ).fetchall()
    assert row[0] == str(two)


def identifiers_unread(task):
    """The decoder of SSL Studio before it read the identifiers of DICOM files left out:
    they told nothing."""
    from ssl_studio.core.data.decode import decode
    from ssl_studio.core.data.records import DecodedFile

    return DecodedFile("dicom") if task.identifiers_only else decode(task)


def schema_4_flaw(project: Path, tmp_path: Path, dicom_file) -> Path:
    """A patient folder imported with --kind image as SSL Studio did before it read the
    identifiers of DICOM files left out, into a schema-4 project; returns the study."""
    from ssl_studio.core.data.importer import Importer

    study = patient_folder(tmp_path, dicom_file)
    cfg = ImportConfig(project=project, paths=[study], cache_size=16, kind="image", workers=1)
    with Store.open(project, write=True) as store:
        Importer(store, cfg, lambda _: None, StopToken(), decoder=identifiers_unread).run()
    assert b"CompressedSamples" in project_bytes(project)  # the flaw, as it was
    conn = sqlite3.connect(project / "project.db")  # back to schema 4
    if "reread" in {r[1] for r in conn.execute("PRAGMA table_info(files)")}:
        conn.execute("ALTER TABLE files DROP COLUMN reread")
    if "content_hash" in {r[1] for r in conn.execute("PRAGMA table_info(items)")}:
        conn.execute("ALTER TABLE items DROP COLUMN content_hash")
    conn.execute("PRAGMA user_version=4")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return study


def test_left_out_dicom_files_that_went_missing_are_told_with_what_to_do_about_them(
    project, tmp_path, dicom_file
):
    """A re-import cannot read marked DICOM files that are missing: the note says so and
    asks for them back, instead of asking (again) for the re-import just done."""
    study = schema_4_flaw(project, tmp_path, dicom_file)
    with Store.open(project, write=True) as store:  # the upgrade marks them
        marked = store.dataset_summary(1)["unread_dicom"]
    for dcm in study.rglob("*.dcm"):
        dcm.unlink()
    run(project, study, kind="image", workers=1)
    with Store.open(project) as store:
        d = store.dataset_summary(1)
    assert (d["unread_dicom"], d["unread_dicom_missing"]) == (0, marked)
    note = unread_dicom_note(d["unread_dicom"], d["unread_dicom_missing"])
    assert f"{marked} DICOM file(s) (missing)" in note and "put the missing files back" in note
    assert unread_dicom_note(0, 0) is None
    assert "1 of them missing" in unread_dicom_note(2, 1)


def test_a_re_import_repairs_the_paths_an_import_that_never_read_left_out_dicom_files_named(
    project, tmp_path, dicom_file
):
    """An import with --kind image from before DICOM files left out had their identifiers
    read stored the PNGs' paths with their patient's name. Migration 5 marks the left-out
    DICOM files, so the next import reads their headers and redacts every stored path."""
    study = schema_4_flaw(project, tmp_path, dicom_file)
    with Store.open(project, write=True) as store:  # the upgrade marks them; info says so
        marked = store.dataset_summary(1)["unread_dicom"]
    assert marked > 0 and "import the dataset's folder again" in unread_dicom_note(marked)

    summary = run(project, study, kind="image", workers=1)
    assert (summary["unchanged"], summary["new"], summary["unnamed"]) == (5, 0, 0)
    with Store.open(project) as store:
        assert store.dataset_summary(1)["unread_dicom"] == 0
    assert b"CompressedSamples" not in project_bytes(project)
    # (the upgrade's copy of the old database held the names too: removed with them)
    assert not list(project.glob("project.db.schema-*.bak"))
    with Store.open(project) as store:
        paths = sorted(i["rel_path"] for i in store.items(1))
        assert not [r for r in store.conn.execute("SELECT id FROM files WHERE reread")]
    assert paths == [f"[redacted]/scan{i}.png" for i in range(3)]

    run(project, study, kind="image", workers=1)  # read once: the next import does not
    with Store.open(project) as store:
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM imports")]
    assert statuses == ["done", "done", "done"]


def test_walk_problems_recorded_before_they_knew_their_folder_are_replaced_not_doubled(
    project, tmp_path
):
    """A dataset of two folders, each with a broken link, imported by a version whose
    walk problems did not know their folder (schema 3: root_id NULL). Importing one
    folder again records its link once, and after the link is removed, forgets it; the
    other folder's problem stays."""
    one, two = tmp_path / "one", tmp_path / "two"
    for folder, value in ((one, 10), (two, 60)):
        for i in range(3):
            png(folder / f"{folder.name}{i}.png", value + 10 * i)
        (folder / f"broken_{folder.name}.png").symlink_to(folder / "gone.png")
    run(project, one, name="scans", cache_size=16)
    run(project, two, name="scans", add=True)
    with Store.open(project, write=True) as store, store.transaction():
        store.conn.execute("UPDATE import_errors SET root_id = NULL WHERE file_id IS NULL")
    both = [("broken_one.png", "broken-link"), ("broken_two.png", "broken-link")]
    assert walk_problems(project) == both

    run(project, one, name="scans")
    assert walk_problems(project) == both

    (one / "broken_one.png").unlink()
    run(project, one, name="scans")
    assert walk_problems(project) == [("broken_two.png", "broken-link")]


def test_files_an_unfinished_import_recorded_are_read_again_as_it_read_them(
    project, tmp_path, monkeypatch
):
    """An import with --csv-layout columns stopped after one file; the next import, with
    --csv-layout rows, reads the recorded file's identifiers as the first read it: that
    its layout refuses the file does not make it unreadable, nor the import unnamed."""
    folder = tmp_path / "vitals"
    folder.mkdir()
    for i in range(4):
        rows = "\n".join(f"{t},{60 + t + i},{95 + t % 3}" for t in range(20))
        (folder / f"v{i}.csv").write_text(f"time,hr,spo2\n{rows}\n")
    with monkeypatch.context() as patch:
        stop, _ = early_end("stopped", 1, patch)
        cfg = ImportConfig(project=project, paths=[folder], csv_layout="columns", workers=1)
        assert import_data(cfg, stop=stop)["cancelled"]
    events: list = []
    cfg = ImportConfig(project=project, paths=[folder], csv_layout="rows")
    import_data(cfg, report=events.append)
    said = " ".join(e.text for e in events if hasattr(e, "text"))
    assert "could not be read again" not in said
    with Store.open(project) as store:
        statuses = [r[0] for r in store.conn.execute("SELECT status FROM imports ORDER BY id")]
    assert statuses[-1] != "unnamed"
