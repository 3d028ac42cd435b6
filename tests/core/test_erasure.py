"""Erasing single files or one patient's files from a dataset (a patient withdrew consent):
their rows, labels, import history and cached bytes go, the other items keep their bytes
and ids, the import skips the erased files while they are still on disk, the patient ID
given is never stored or shown, and runs that learned from the data must go too."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from ssl_studio.cli import EXIT_OK, EXIT_USAGE, main
from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.privacy import patient_key
from ssl_studio.core.erasure import erase, plan_erasure
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data, pretrain
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.upgrade import make_backup

PATIENT = "Qzx-4471-Withdrawn"  # the patient who withdraws (a made-up ID, easy to find)


def pngs(folder: Path, n: int = 4) -> Path:
    """``n`` different 32 px grayscale PNGs, none all zero."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        pixels = rng.integers(1, 255, (32, 32), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"scan_{i}.png")
    return folder


def dicoms(folder: Path) -> Path:
    """Copies of pydicom's CT_small.dcm: two of PATIENT, two of another patient."""
    folder.mkdir(parents=True)
    source = get_testdata_file("CT_small.dcm")
    for i, who in enumerate([PATIENT, PATIENT, "OTHER-0001", "OTHER-0001"]):
        ds = pydicom.dcmread(source)
        ds.PatientID = who
        ds.SOPInstanceUID = f"{ds.SOPInstanceUID}.{i}"
        ds.save_as(folder / f"slice_{i}.dcm")
    return folder


def rows(store: Store, sql: str, *args: object) -> list[tuple]:
    return [tuple(r) for r in store.conn.execute(sql, args).fetchall()]


def stored(project: Path, dataset_id: int) -> dict[int, bytes]:
    """Item id -> its cached bytes, read from the cache as training reads it."""
    with Store.open(project) as store:
        items = store.items(dataset_id)
        reader = CacheReader(store.paths.dataset_cache(dataset_id), store.cache_extents(dataset_id))
        return {item["id"]: reader.stored_image(item).tobytes() for item in items}


@pytest.fixture
def labelled(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A project with one dataset of 4 PNGs, all labelled (two versions of a label set)."""
    folder = pngs(tmp_path / "scans")
    import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    with Store.open(project, write=True) as store:
        ids = [r[0] for r in rows(store, "SELECT id FROM items ORDER BY id")]
        store.add_label_set(1, "finding", "test", {i: "a" for i in ids})
        store.add_label_set(1, "finding", "test", {i: "b" for i in ids})
    return project, folder


def test_erasing_one_file_deletes_its_rows_labels_and_cached_bytes_only(labelled):
    project, folder = labelled
    gone = folder / "scan_1.png"
    with Store.open(project) as store:
        (item,) = [i for i in store.items(1) if i["rel_path"] == "scan_1.png"]
        slots = {i["id"]: (i["cache_file"], i["cache_index"]) for i in store.items(1)}
    before = stored(project, 1)
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", files=[str(gone)])
    text = plan.describe()
    assert text.startswith("Erases 1 item of 1 file from dataset 'scans'")
    assert "label set 'finding' (version 1) loses 1 label" in text
    assert "label set 'finding' (version 2) loses 1 label" in text
    assert "exported models" in text and "the files themselves" in text

    result = erase(project, plan)
    assert (result["files"], result["items"], result["runs"]) == (1, 1, [])
    assert result["cache_bytes_zeroed"] > 0 and result["left"] == []
    with Store.open(project) as store:
        assert rows(store, "SELECT COUNT(*) FROM items WHERE id = ?", item["id"]) == [(0,)]
        assert rows(store, "SELECT COUNT(*) FROM labels WHERE item_id = ?", item["id"]) == [(0,)]
        assert rows(store, "SELECT COUNT(*) FROM files") == [(3,)]
        fid = item["file_id"]
        assert rows(store, "SELECT COUNT(*) FROM files WHERE id = ?", fid) == [(0,)]
        assert rows(store, "SELECT COUNT(*) FROM import_errors WHERE file_id = ?", fid) == [(0,)]
        assert rows(store, "SELECT COUNT(*) FROM labels") == [(6,)]  # 3 items x 2 versions
        after = {i["id"]: (i["cache_file"], i["cache_index"]) for i in store.items(1)}
        cache = store.paths.dataset_cache(1) / item["cache_file"]
    # the other items keep their ids, slots and bytes, and are read as training reads them
    assert after == {i: s for i, s in slots.items() if i != item["id"]}
    assert stored(project, 1) == {i: b for i, b in before.items() if i != item["id"]}
    data = np.fromfile(cache, np.uint8).reshape(len(slots), -1)
    assert not data[item["cache_index"]].any(), "the erased item's cached pixels stay"
    assert all(data[s].any() for _, s in after.values())
    assert gone.exists(), "the file on disk is the user's: it is never touched"
    for name in ("project.db", "project.db-wal"):
        path = project / name
        assert b"scan_1.png" not in (path.read_bytes() if path.exists() else b""), name


def test_importing_the_folder_again_skips_the_erased_file_and_says_why(labelled):
    project, folder = labelled
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", files=[str(folder / "scan_1.png")])
    erase(project, plan)
    said: list[str] = []
    summary = import_data(
        ImportConfig(project=project, paths=[folder], name="scans"),
        report=lambda e: said.append(getattr(e, "text", "")),
    )
    assert (summary["files_seen"], summary["skipped"], summary["erased"]) == (4, 1, 1)
    assert (summary["unchanged"], summary["imported"], summary["new"]) == (3, 0, 0)
    note = next(t for t in said if "erased on request" in t)
    assert note.startswith("scan_1.png: erased on request on 20")
    assert note.endswith("not imported again; delete or move the file.")
    with Store.open(project) as store:
        assert len(store.items(1)) == 3
        assert rows(store, "SELECT COUNT(*) FROM files") == [(3,)]
    # moved out of the folder, it is simply not there (and not missing)
    shutil.move(folder / "scan_1.png", folder.parent / "kept_elsewhere.png")
    summary = import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    assert (summary["files_seen"], summary["skipped"], summary["missing"]) == (3, 0, 0)


def test_an_erased_file_stays_out_of_other_datasets_and_outlives_its_own(labelled, tmp_path):
    project, folder = labelled
    import_data(ImportConfig(project=project, paths=[folder], name="again"))  # (same files)
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", files=[str(folder / "scan_1.png")])
    assert "Dataset 'again' also holds files at these paths" in plan.describe()
    assert erase(project, plan)["elsewhere"] == ["again"]
    summary = import_data(ImportConfig(project=project, paths=[folder], name="again"))
    assert (summary["erased"], summary["unchanged"]) == (0, 4)  # (erased from 'scans' only)
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", files=[str(folder / "scan_0.png")])
    erase(project, plan)
    copy = pngs(tmp_path / "copy")  # (other paths: not erased)
    main(["remove", str(project), "--dataset", "scans", "--yes"])
    summary = import_data(ImportConfig(project=project, paths=[folder, copy], name="third"))
    assert (summary["erased"], summary["imported"]) == (2, 6)


def test_the_command_line_asks_first_and_says_what_went(labelled, capsys):
    project, folder = labelled
    gone = str(folder / "scan_2.png")
    args = ["remove", str(project), "--dataset", "scans", "--file", gone]
    assert main(args) == EXIT_USAGE  # (no terminal, no --yes: nothing erased)
    err = capsys.readouterr().err
    assert "Erases 1 item of 1 file" in err and "nothing was erased" in err
    with Store.open(project) as store:
        assert len(store.items(1)) == 4
    assert main([*args, "--yes", "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    assert result["items"] == 1 and result["labels_lost"] == [["finding", 1, 1], ["finding", 2, 1]]
    assert "exported models" in result["outside"]
    # an import met it again and said "1 skipped": info says why the count differs
    import_data(ImportConfig(project=project, paths=[Path(gone).parent], name="scans"))
    assert main(["info", str(project)]) == EXIT_OK
    assert "1 erased on request (skipped when met again)" in capsys.readouterr().out


def test_an_unknown_file_is_named_with_what_to_check(labelled, capsys):
    project, folder = labelled
    args = ["remove", str(project), "--dataset", "scans", "--file", str(folder / "nope.png")]
    assert main([*args, "--yes"]) != EXIT_OK
    err = capsys.readouterr().err
    assert "Dataset 'scans' has no file at the path given as --file" in err
    assert "nope.png" not in err and str(folder) not in err, "a path may name a patient"
    two = [*args, str(folder / "scan_1.png"), str(folder / "Doe_John.png"), "--yes"]
    assert main(two) != EXIT_OK
    err = capsys.readouterr().err
    assert "given as the 1st --file, the 3rd --file" in err and "Doe_John" not in err
    assert "as it was imported" in err and "Nothing was erased" in err
    assert main(["remove", str(project), "--run", "1", "--file", "x.png"]) == EXIT_USAGE
    assert "--dataset NAME" in capsys.readouterr().err


def test_runs_on_the_dataset_stop_the_erasure_unless_they_go_too(labelled):
    project, folder = labelled
    with Store.open(project, write=True) as store:
        run = store.create_run(1, "pretrain", {"task": "simclr"})
        (store.paths.run_folder(run) / "last.pt").write_bytes(b"\0" * 100)
        store.finish_run(run, "done")
        with pytest.raises(
            ConfigError,
            match=r"Run 1 was trained on dataset 'scans'.*"
            r"--with-dependents\), or keep the items\.",
        ):
            plan_erasure(store, "scans", files=[str(folder / "scan_0.png")])
        plan = plan_erasure(
            store, "scans", files=[str(folder / "scan_0.png")], with_dependents=True
        )
    assert (
        plan.run_ids == (1,) and "It removes run 1 too (run 1: pretraining run)" in plan.describe()
    )
    result = erase(project, plan)
    assert result["runs"] == [1]
    with Store.open(project) as store:
        assert store.runs() == [] and not store.paths.run_folder(run).exists()
        assert len(store.items(1)) == 3


def test_a_patient_s_files_go_and_the_id_is_nowhere(project, tmp_path, capsys):
    folder = dicoms(tmp_path / "ct")
    import_data(ImportConfig(project=project, paths=[folder], name="ct"))
    with Store.open(project) as store:
        key = patient_key(store.salt, PATIENT)
        keys = rows(store, "SELECT patient_key, COUNT(*) FROM items GROUP BY patient_key")
        assert dict(keys)[key] == 2 and len(keys) == 2
    files = [project / n for n in ("project.db", "project.db-wal")]
    before = b"".join(f.read_bytes() for f in files if f.exists())
    assert key.encode() in before, "the check below would prove nothing"
    args = ["remove", str(project), "--dataset", "ct", "--patient", PATIENT]
    assert main(args) == EXIT_USAGE  # the question first
    assert "new files of the same patient" in capsys.readouterr().err
    # a program that has the project open (as the app or 'info' would), reading nothing
    watcher = sqlite3.connect(f"file:{project / 'project.db'}?mode=ro", uri=True)
    try:
        watcher.execute("SELECT COUNT(*) FROM items").fetchone()
        assert main([*args, "--yes"]) == EXIT_OK
        out, err = capsys.readouterr()
        assert "Erased 2 items of 2 files from dataset 'ct'" in out
        assert PATIENT not in out + err, "the patient ID given is shown"
        for path in files:
            data = path.read_bytes() if path.exists() else b""
            assert PATIENT.encode() not in data, f"the patient ID is in {path.name}"
            assert key.encode() not in data, f"the erased patient's key stays in {path.name}"
    finally:
        watcher.close()
    with Store.open(project) as store:
        assert rows(store, "SELECT COUNT(*) FROM items WHERE patient_key = ?", key) == [(0,)]
        assert len(store.items(1)) == 2
    # the other patient is untouched, and an unknown patient is refused without its ID
    assert main([*args, "--yes"]) != EXIT_OK
    err = capsys.readouterr().err
    assert "No item of dataset 'ct' belongs to the patient ID given" in err
    assert "Patient ID" in err and PATIENT not in err
    assert "may have been erased already" in err
    assert main([*args[:-1], " ", "--yes"]) != EXIT_OK
    assert "The patient ID given is empty" in capsys.readouterr().err
    summary = import_data(ImportConfig(project=project, paths=[folder], name="ct"))
    assert (summary["erased"], summary["unchanged"], summary["imported"]) == (2, 2, 0)


def test_a_series_file_s_values_and_mask_are_zeroed_and_the_others_read_as_before(
    project, tmp_path
):
    folder = tmp_path / "ecg"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        values = rng.normal(5, 1, (50, 2))
        lines = ["lead1,lead2", *(f"{a:.3f},{b:.3f}" for a, b in values)]
        (folder / f"rec_{i}.csv").write_text("\n".join(lines) + "\n")
    import_data(ImportConfig(project=project, paths=[folder], name="ecg", sampling_rate=100.0))
    with Store.open(project) as store:
        items = store.items(1)
        reader = CacheReader(store.paths.dataset_cache(1))
        before = {i["id"]: reader.series(i)[0].tobytes() for i in items}
        plan = plan_erasure(store, "ecg", files=[str(folder / "rec_1.csv")])
        cache = store.paths.dataset_cache(1)
    (gone,) = [i for i in items if i["rel_path"] == "rec_1.csv"]
    erase(project, plan)
    with Store.open(project) as store:
        reader = CacheReader(cache, store.cache_extents(1))
        after = {i["id"]: reader.series(i)[0].tobytes() for i in store.items(1)}
    assert after == {i: b for i, b in before.items() if i != gone["id"]}
    span = slice(gone["cache_index"], gone["cache_index"] + gone["channels"] * gone["length"])
    assert not np.fromfile(cache / "series-values.f32", np.float32)[span].any()
    assert not np.fromfile(cache / "series-mask.u8", np.uint8)[span].any()


def test_an_upgrade_copy_holding_the_dataset_is_named_and_deleted(labelled):
    """Restoring a copy made before an upgrade would bring the erased items back."""
    project, folder = labelled
    with Store.open(project, write=True) as store:
        holding = make_backup(store.conn, store.paths.db, 5)
        plan = plan_erasure(store, "scans", files=[str(folder / "scan_3.png")])
    assert plan.copies == (holding.name,)
    assert f"({holding.name}) still holds what this erases and is deleted too" in plan.describe()
    result = erase(project, plan)
    assert result["copies_removed"] == [holding.name] and not holding.exists()


def test_a_file_that_failed_goes_with_its_problem_and_its_line_in_the_import_summary(labelled):
    project, folder = labelled
    (folder / "broken_scan.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    summary = import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    assert [e["path"] for e in summary["errors"]] == ["broken_scan.png"]
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", files=[str(folder / "broken_scan.png")])
    assert plan.describe().startswith("Erases 0 items of 1 file")
    erase(project, plan)
    with Store.open(project) as store:
        assert rows(store, "SELECT COUNT(*) FROM import_errors WHERE file_id IS NOT NULL") == [(0,)]
        texts = [r[0] for r in rows(store, "SELECT summary FROM imports")]
    assert not any("broken_scan" in (text or "") for text in texts)
    for name in ("project.db", "project.db-wal"):
        path = project / name
        assert b"broken_scan" not in (path.read_bytes() if path.exists() else b""), name


def test_the_dataset_still_trains_on_what_stays(project, tmp_path):
    folder = pngs(tmp_path / "many", 10)
    import_data(ImportConfig(project=project, paths=[folder], name="many"))
    with Store.open(project) as store:
        plan = plan_erasure(store, "many", files=[str(folder / "scan_0.png")])
    erase(project, plan)
    cfg = PretrainConfig(
        project=project,
        dataset="many",
        task="simclr",
        backbone="cnn-small",
        image_size=32,
        train=TrainConfig(steps=1, batch_size=4, log_every_seconds=0.0),
    )
    assert pretrain(cfg)["status"] == "done"
    with Store.open(project) as store:
        (run,) = store.runs()
    assert run["fingerprint"]["items"] == 9
