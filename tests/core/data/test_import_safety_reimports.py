"""Re-imports never lose labels nor store a patient's name: a file that stops decoding
keeps its items and labels, changed and new files are redacted with their neighbours'
names, walk problems are replaced per folder, and the paths older versions stored with
names are repaired."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from import_endings import early_end, patient_folder, png, project_bytes, run, touch_later

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.import_tally import unread_dicom_note
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


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
