"""Imports that end early (killed, stopped or out of disk space) store no patient's name,
and the next import finishes their dataset: what it reads again, what it says, and the
empty datasets it removes."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from import_endings import early_end, killed_after, patient_folder, png, project_bytes, run
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.import_tally import unfinished_note
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


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
