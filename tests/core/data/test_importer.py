"""The import job end to end on small real folders: kinds, re-import, cancel, crashes."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer, NothingToImport
from ssl_studio.core.data.privacy import patient_key
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import Finished, Progress, Started, StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store

DICOMS = ["CT_small.dcm", "MR_small.dcm", "SC_rgb_rle.dcm", "rtdose.dcm", "rtplan.dcm"]


def make_folder(root: Path, dicom_file, n_png: int = 6) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in DICOMS:
        shutil.copy(dicom_file(name), root / name)
    (root / "pngs").mkdir(exist_ok=True)
    for i in range(n_png):
        pixels = np.full((20, 30), i * 10, np.uint8)
        Image.fromarray(pixels).save(root / "pngs" / f"img{i}.png")
    (root / "labels.csv").write_text("path,label\npngs/img0.png,a\n")
    (root / "README.txt").write_text("study notes\n")
    return root


def grey_pngs(folder: Path, n: int, side: int = 16) -> Path:
    """``n`` flat grey PNGs 00.png, 01.png, ... of value i in ``folder`` (made)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full((side, side), i, np.uint8)).save(folder / f"{i:02d}.png")
    return folder


def run(project: Path, *paths: Path, **options) -> dict:
    events = []
    summary = import_data(
        ImportConfig(project=project, paths=list(paths), **options), report=events.append
    )
    assert isinstance(events[0], Started) and isinstance(events[-1], Finished)
    assert any(isinstance(e, Progress) for e in events)
    return summary


def errors_by_path(project: Path, dataset: str) -> dict[str, str]:
    with Store.open(project) as store:
        return {e["path"]: e["code"] for e in store.import_errors(store.dataset(dataset)["id"])}


def test_mixed_folder_becomes_an_image_dataset_with_a_report(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    s = run(project, folder, name="study", cache_size=32)
    with Store.open(project) as store:  # rtplan's institution is "Here": "there" stays
        messages = [e["message"] for e in store.import_errors(1)]
    assert any("so there is nothing to read" in m for m in messages), messages
    assert s["modality"] == "image"
    assert (s["files_seen"], s["imported"], s["failed"], s["skipped"]) == (13, 10, 0, 3)
    assert s["items"] == 3 + 15 + 6  # rtdose has 15 frames
    assert errors_by_path(project, "study") == {
        "rtplan.dcm": "dicom-no-pixels",
        "labels.csv": "other-modality",
        "README.txt": "not-data",
    }
    with Store.open(project) as store:
        items = store.items(store.dataset("study")["id"])
    by_kind = {i["source_kind"] for i in items}
    assert by_kind == {"dicom", "image"}
    reader = CacheReader(project / "cache" / f"dataset-{items[0]['dataset_id']}")
    batch = reader.images(items, channels=1)
    assert batch.shape == (24, 1, 32, 32) and np.isfinite(batch).all()
    png0 = next(i for i in items if i["rel_path"] == "pngs/img3.png")
    box = reader.images([png0])[
        0, 0, png0["box_y0"] : png0["box_y1"], png0["box_x0"] : png0["box_x1"]
    ]
    assert (box == 30).all()


def test_reimport_reads_only_what_changed_and_keeps_item_ids(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    run(project, folder, name="study", cache_size=32)
    with Store.open(project) as store:
        before = {i["rel_path"]: i["id"] for i in store.items(1)}

    again = run(project, folder, name="study")
    assert (again["unchanged"], again["new"], again["changed"], again["items"]) == (13, 0, 0, 0)

    Image.fromarray(np.full((20, 30), 250, np.uint8)).save(folder / "pngs" / "img1.png")
    os.utime(folder / "pngs" / "img1.png", ns=(1, 10**18))
    (folder / "pngs" / "img2.png").unlink()
    Image.fromarray(np.full((8, 8), 7, np.uint8)).save(folder / "pngs" / "new.png")
    third = run(project, folder, name="study")
    assert (third["changed"], third["missing"], third["new"], third["imported"]) == (1, 1, 1, 2)
    with Store.open(project) as store:
        items = {i["rel_path"]: i for i in store.items(1)}
        missing = [i["rel_path"] for i in store.items(1, status="missing")]
    assert items["pngs/img1.png"]["id"] == before["pngs/img1.png"]  # labels stay attached
    assert missing == ["pngs/img2.png"]
    reader = CacheReader(project / "cache" / "dataset-1")
    assert reader.images([items["pngs/img1.png"]]).max() == 250

    (folder / "pngs" / "img3.png").unlink()  # only a deletion
    fourth = run(project, folder, name="study")
    assert (fourth["missing"], fourth["imported"], fourth["unchanged"]) == (1, 0, 12)


def test_series_folder_becomes_a_time_series_dataset_with_labels(project, tmp_path):
    folder = tmp_path / "ecg"
    folder.mkdir()
    rows = ["label,v1,v2,v3,v4", "ok,1,2,3,4", "af,1,,3,4", "ok,5,6", "af,1,2,3,4"]
    (folder / "beats.csv").write_text("\n".join(rows) + "\n")
    np.save(folder / "more.npy", np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "plot.png")
    s = run(project, folder)
    assert s["dataset"] == "ecg" and s["modality"] == "timeseries"
    assert (s["imported"], s["skipped"], s["items"]) == (2, 1, 6)
    with Store.open(project) as store:
        items = store.items(1)
        [labels] = store.label_sets(1)
        assert labels["name"] == "imported" and labels["n_labels"] == 4
        assert store.dataset("ecg")["cache_size"] is None
    csv_items = [i for i in items if i["modality"] == "CSV"]
    assert [i["length"] for i in csv_items] == [4, 4, 2, 4]
    assert [i["n_missing"] for i in csv_items] == [0, 1, 0, 0]
    values, mask = CacheReader(project / "cache" / "dataset-1").series(csv_items[1])
    assert values.tolist() == [[1, 0, 3, 4]] and mask.tolist() == [[True, False, True, True]]
    npy = [i for i in items if i["modality"] == "NPY"]
    assert [(i["channels"], i["length"]) for i in npy] == [(3, 4), (3, 4)]


def test_series_columns_in_another_order_are_aligned_by_name(project, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "a.csv").write_text("time,ecg,resp\n0,1,10\n1,2,20\n2,3,30\n")
    (folder / "b.csv").write_text("time,resp,ecg\n0,40,4\n1,50,5\n2,60,6\n")  # swapped
    (folder / "c.csv").write_text("time,spo2,hr\n0,97,60\n1,98,61\n2,99,62\n")  # others
    (folder / "d.csv").write_text("time,RESP,Ecg\n0,70,7\n1,80,8\n2,90,9\n")  # capitals
    events = []
    import_data(ImportConfig(project=project, paths=[folder], workers=1), report=events.append)
    said = [e.text for e in events if hasattr(e, "text")]
    assert any("had their columns in another order" in t for t in said)
    assert any("1 file(s) of the dataset name their columns otherwise than most" in t for t in said)
    with Store.open(project) as store:
        items = {i["rel_path"]: i for i in store.items(1)}
    reader = CacheReader(project / "cache" / "dataset-1")
    names = [n.lower() for n in json.loads(items["a.csv"]["meta"])["channel_names"]]  # first met
    assert [n.lower() for n in json.loads(items["b.csv"]["meta"])["channel_names"]] == names
    first, second = (reader.series(items[f])[0].tolist() for f in ("a.csv", "b.csv"))
    assert dict(zip(names, first, strict=True)) == {"ecg": [1, 2, 3], "resp": [10, 20, 30]}
    assert dict(zip(names, second, strict=True)) == {"ecg": [4, 5, 6], "resp": [40, 50, 60]}
    third = reader.series(items["d.csv"])[0].tolist()  # the same columns in other capitals
    assert dict(zip(names, third, strict=True)) == {"ecg": [7, 8, 9], "resp": [70, 80, 90]}


def slow_on_a(task: DecodeTask):
    """A decoder that finishes a.csv last, whichever worker took it first."""
    if Path(task.path).name == "a.csv":
        import time

        time.sleep(1.0)
    return decode(task)


def test_the_channel_order_is_the_first_file_in_path_order_with_workers(project, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "a.csv").write_text("time,ecg,resp\n0,1,10\n1,2,20\n")  # smallest, slowest
    (folder / "b.csv").write_text("time,ecg,resp\n" + "".join(f"{t},1,2\n" for t in range(9)))
    for name in "cdef":  # larger files, columns the other way round
        rows = "".join(f"{t},{t + 40},{t}\n" for t in range(30))
        (folder / f"{name}.csv").write_text("time,resp,ecg\n" + rows)
    cfg = ImportConfig(project=project, paths=[folder], workers=2)
    with Store.open(project, write=True) as store:
        Importer(store, cfg, lambda e: None, StopToken(), decoder=slow_on_a).run()
    with Store.open(project) as store:
        items = {i["rel_path"]: i for i in store.items(1)}
        notes = {e["path"]: e["code"] for e in store.import_errors(1)}
    for name in "abcdef":
        assert json.loads(items[f"{name}.csv"]["meta"])["channel_names"] == ["ecg", "resp"]
    assert notes == {f"{name}.csv": "columns-reordered" for name in "cdef"}
    values = CacheReader(project / "cache" / "dataset-1").series(items["c.csv"])[0]
    assert values[:, :2].tolist() == [[0, 1], [40, 41]]  # ecg first, then resp


def test_files_reordered_to_match_one_odd_first_file_are_told_so(project, tmp_path):
    """a0.csv, first in path order, is the odd one out: nine files were reordered to match
    it, not to match "the dataset's other files"."""
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "a0.csv").write_text("time,resp,hr\n0,10,60\n1,11,61\n")
    for i in range(1, 10):
        (folder / f"b{i}.csv").write_text("time,hr,resp\n0,60,10\n1,61,11\n")
    events: list = []
    import_data(ImportConfig(project=project, paths=[folder], workers=1), report=events.append)
    [said] = [e.text for e in events if hasattr(e, "text") and "another order" in e.text]
    assert said.startswith(
        "9 file(s) (first: b1.csv) had their columns in another order than a0.csv, the "
        "first file in path order, whose order the dataset keeps (resp, hr);"
    )
    assert "the dataset's other files" not in said
    with Store.open(project) as store:
        notes = {e["path"]: e["message"] for e in store.import_errors(1)}
    assert len(notes) == 9 and "the dataset's other files" not in notes["b1.csv"]
    assert "that of the first file in path order" in notes["b1.csv"]
    # imported again with one more file: the order is now the dataset's own
    (folder / "c.csv").write_text("time,hr,resp\n0,60,10\n1,61,11\n")
    events.clear()
    import_data(ImportConfig(project=project, paths=[folder], workers=1), report=events.append)
    with Store.open(project) as store:
        notes = {e["path"]: e["message"] for e in store.import_errors(1)}
    assert "that of its files imported before" in notes["c.csv"]


def test_the_import_report_keeps_which_files_name_other_columns(project, tmp_path, capsys):
    folder = tmp_path / "rec"
    folder.mkdir()
    rows = "".join(f"{t},{t + 1},{t + 2}\n" for t in range(5))
    (folder / "a.csv").write_text("time,ecg,resp\n" + rows)
    (folder / "b.csv").write_text("time,ecg,resp\n" + rows)
    (folder / "c.csv").write_text("time,resp,ecg\n" + rows)  # reordered at import
    (folder / "d.csv").write_text("time,ecg,spo2\n" + rows)  # spo2 where the others' resp is
    (folder / "e.csv").write_text("time,ecg\n" + "".join(f"{t},{t}\n" for t in range(5)))
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        stored = {e["path"]: e for e in store.import_errors(1)}
        assert store.dataset_summary(1)["errors"] == 0  # notes, not errors
    assert {p: (e["code"], e["severity"]) for p, e in stored.items()} == {
        "c.csv": ("columns-reordered", "info"),
        "d.csv": ("columns-differ", "warning"),
        "e.csv": ("columns-differ", "info"),
    }
    assert stored["c.csv"]["message"] == (
        "Its columns came in another order (resp, ecg) than the one the dataset keeps "
        "(ecg, resp), that of the first file in path order; they were put in the dataset's "
        "order."
    )
    assert "its 'spo2' stands where they have 'resp'" in stored["d.csv"]["message"]
    assert "it lacks 'resp' (read as missing values)" in stored["e.csv"]["message"]
    assert main(["report", str(project)]) == 0  # not "every file was imported" and no more
    out = capsys.readouterr().out
    assert "rec: 0 files left out\nrec: 3 notes on imported files\n" in out
    assert "[warning] d.csv: Its columns are ecg, spo2; most of the dataset's files (3)" in out
    # an unchanged re-import keeps the notes; a file renamed to match loses its own
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    (folder / "d.csv").write_text("time,ecg,resp\n" + rows)
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        assert [e["path"] for e in store.import_errors(1)] == ["c.csv", "e.csv"]


def test_a_second_time_column_is_noted_in_the_import_report(project, tmp_path, capsys):
    folder = tmp_path / "rec"
    folder.mkdir()
    rows = "".join(f"{t * 10},{t / 100},{t % 3}\n" for t in range(6))
    (folder / "a.csv").write_text("time_ms,time_s,ecg\n" + rows)
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        [note] = store.import_errors(1)
        [item] = store.items(1)
    assert (note["path"], note["code"], note["severity"]) == ("a.csv", "csv-time-extra", "info")
    assert json.loads(item["meta"])["channel_names"] == ["ecg"] and item["channels"] == 1
    assert main(["report", str(project)]) == 0
    assert "[info] a.csv: column 'time_s' of a.csv was left out" in capsys.readouterr().out


def test_csv_files_read_in_different_layouts_are_pointed_out(project, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "long.csv").write_text("".join(f"{i},{i + 1},{i + 2}\n" for i in range(20)))
    (folder / "short.csv").write_text("1,2,3\n4,5,6\n")  # 2 steps of 3 channels, or not?
    events = []
    import_data(ImportConfig(project=project, paths=[folder], workers=1), report=events.append)
    [warning] = [e.text for e in events if getattr(e, "level", "") == "warning"]
    assert "1 one series per file (columns), 1 one series per row (rows)" in warning
    assert "the CSV layout set to columns or rows (--layout" in warning


def test_csv_files_read_in_other_layouts_keep_a_note_in_the_import_report(
    project, tmp_path, capsys
):
    folder = tmp_path / "rec"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.csv").write_text("".join(f"{i},{i + 1},{i + 2}\n" for i in range(20)))
    (folder / "short.csv").write_text("1,2,3\n4,5,6\n")  # read one series per row
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        [note] = store.import_errors(1)
    assert (note["path"], note["code"], note["severity"]) == (
        "short.csv",
        "layouts-differ",
        "warning",
    )
    assert note["message"].startswith(
        "It was read one series per row (rows), while most of the dataset's CSV files (2) "
        "were read one series per file (columns)."
    )
    assert main(["report", str(project)]) == 0
    out = capsys.readouterr().out
    assert "rec: 1 notes on imported files\n  [warning] short.csv: It was read one series" in out
    (folder / "short.csv").write_text("".join(f"{i},{i}\n" for i in range(9)))  # now a recording
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        assert store.import_errors(1) == []  # recomputed over the dataset: the note is gone


def test_how_series_were_read_is_counted_in_files_not_series(project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    for i in range(5):  # five recordings, one series each
        (folder / f"r{i}.csv").write_text("a,b\n" + "".join(f"{t},{t + i}\n" for t in range(30)))
    rows = "".join(f"{'xy'[r % 2]},{r},{r + 1},{r + 2},{r + 3}\n" for r in range(12))
    (folder / "table.csv").write_text(rows)  # one table of 12 labeled series, one per row
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        shapes = store.series_shapes(1)
    assert shapes[0] == ("columns", ["a", "b"], 5) and shapes[1][0] == "rows"
    assert shapes[1][2] == 1  # one file, not 12
    for i in range(5):  # five unnamed recordings: columns still outnumber rows files
        (folder / f"u{i}.csv").write_text("".join(f"{t},{t + 1}\n" for t in range(30)))
    for i in range(6):  # six tables: more rows files than any one columns group has
        (folder / f"t{i}.csv").write_text(rows)
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        assert store.preferred_layout(1) == "columns"  # 10 files against 7, summed by layout


def test_files_added_later_are_read_as_the_dataset_was(project, tmp_path):
    folder = tmp_path / "rec"
    folder.mkdir()
    for i in range(3):  # recordings of 6 channels, one per file
        (folder / f"r{i}.csv").write_text(
            "".join(f"{t},{t + i},1,2,3,{t % 4}\n" for t in range(30))
        )
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    (folder / "short.csv").write_text("1,2,3,4,5,6\n7,8,9,1,2,3\n4,5,6,7,8,9\n")  # 3 steps
    import_data(ImportConfig(project=project, paths=[folder], workers=1))  # re-import: adds it
    with Store.open(project) as store:
        short = [i for i in store.items(1) if i["rel_path"] == "short.csv"]
    assert [(i["channels"], i["length"]) for i in short] == [(6, 3)]  # not 3 series of 6


def test_kind_filter_leaves_other_files_out(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file)
    s = run(project, folder, name="only-dicom", kind="dicom", cache_size=16)
    assert s["imported"] == 4
    codes = errors_by_path(project, "only-dicom")
    assert codes["pngs/img0.png"] == "kind-filter"


def test_folder_without_data_is_refused_and_creates_nothing(project, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.txt").write_text("hello")
    (tmp_path / "docs" / "empty.dcm").write_bytes(b"")
    with pytest.raises(NothingToImport, match=r"2 files looked at: 1 not-data, 1 empty"):
        import_data(ImportConfig(project=project, paths=[tmp_path / "docs"]))
    with Store.open(project) as store:
        assert store.datasets() == []


def test_bad_options_are_refused_before_any_work(project, tmp_path):
    with pytest.raises(ConfigError, match="Not found"):
        import_data(ImportConfig(project=project, paths=[tmp_path / "nowhere"]))
    with pytest.raises(ConfigError, match="Unknown kind"):
        import_data(ImportConfig(project=project, paths=[tmp_path], kind="video"))


def test_an_existing_dataset_keeps_its_cache_size_and_kind(project, tmp_path, dicom_file):
    folder = make_folder(tmp_path / "study", dicom_file, n_png=1)
    run(project, folder, name="s", cache_size=32)
    with pytest.raises(SSLStudioError, match="cached at 32 px"):
        import_data(ImportConfig(project=project, paths=[folder], name="s", cache_size=64))
    with pytest.raises(SSLStudioError, match="holds image data.*another name"):
        import_data(ImportConfig(project=project, paths=[folder], name="s", kind="timeseries"))


def test_cancel_leaves_a_consistent_project_and_the_next_import_finishes(project, tmp_path):
    folder = grey_pngs(tmp_path / "many", 40, side=64)
    stop = StopToken()

    def report(event):
        if isinstance(event, Progress) and event.phase == "decode" and event.done > 0:
            stop.stop()

    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=2)
    with Store.open(project, write=True) as store:
        importer = Importer(store, cfg, report, stop, decoder=slow_decode)
        summary = importer.run()
    assert summary["cancelled"] and 0 < summary["imported"] < 40
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT status FROM imports").fetchone()[0] == "cancelled"
    n_files, n_items = conn.execute(
        "SELECT (SELECT COUNT(*) FROM files), (SELECT COUNT(*) FROM items)"
    ).fetchone()
    assert n_files == n_items == summary["imported"]
    rest = run(project, folder)
    assert (rest["unchanged"], rest["imported"], rest["missing"]) == (n_files, 40 - n_files, 0)


def slow_decode(task: DecodeTask):
    import time

    time.sleep(0.05)
    return decode(task)


def crash_on_name(task: DecodeTask):
    """A decoder that kills its process on one file, like a segfaulting codec would."""
    if "crash" in Path(task.path).name:
        os._exit(3)
    return decode(task)


def test_a_decoder_that_kills_its_process_costs_only_that_file(project, tmp_path):
    folder = grey_pngs(tmp_path / "imgs", 12, side=8)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "05-crash.png")
    cfg = ImportConfig(project=project, paths=[folder], cache_size=8, workers=2)
    with Store.open(project, write=True) as store:
        summary = Importer(store, cfg, lambda e: None, StopToken(), decoder=crash_on_name).run()
    assert (summary["imported"], summary["failed"]) == (12, 1)
    assert errors_by_path(project, "imgs") == {"05-crash.png": "decoder-crashed"}


def slow_crash_on_name(task: DecodeTask):
    """A decoder that takes a while (a starting worker on a busy machine) before killing
    its process on one file."""
    import time

    if "crash" in Path(task.path).name:
        time.sleep(0.8)
        os._exit(3)
    return decode(task)


def test_a_decoder_that_is_slow_to_kill_its_process_costs_only_that_file(project, tmp_path):
    """The suspect retried alone took longer than one wait of the loop, other files
    joined it, its crash broke them again, and so on for ever (a busy machine, where
    workers start slowly, hung this way)."""
    import threading

    folder = grey_pngs(tmp_path / "imgs", 12, side=8)
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "05-crash.png")
    cfg = ImportConfig(project=project, paths=[folder], cache_size=8, workers=2)
    stop = StopToken()
    deadline = threading.Timer(60, stop.stop)  # the old loop never ended
    deadline.start()
    try:
        with Store.open(project, write=True) as store:
            summary = Importer(store, cfg, lambda e: None, stop, decoder=slow_crash_on_name).run()
    finally:
        deadline.cancel()
    assert not summary["cancelled"]
    assert (summary["imported"], summary["failed"]) == (12, 1)
    assert errors_by_path(project, "imgs") == {"05-crash.png": "decoder-crashed"}


def test_a_paused_import_waits_with_its_work_saved_and_then_finishes(project, tmp_path):
    import threading

    folder = grey_pngs(tmp_path / "scans", 40)
    stop = StopToken()
    stop.pause()
    cfg = ImportConfig(project=project, paths=[folder], cache_size=16, workers=1)
    done: list[dict] = []
    worker = threading.Thread(target=lambda: done.append(import_data(cfg, stop=stop)))
    worker.start()
    worker.join(timeout=1.5)
    assert worker.is_alive() and not done  # it waits
    with Store.open(project) as store:
        rows = store.conn.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert rows < 40  # what was decoded before the pause took hold is saved, no more
    stop.resume()
    worker.join(timeout=60)
    assert done and done[0]["imported"] == 40


def test_the_project_never_imports_its_own_files(tmp_path):
    from ssl_studio.core.jobs import create_project

    study = tmp_path / "study"
    grey_pngs(study / "scans", 3)
    project = create_project(study / "project")  # the project lives inside the study
    (project / "exports").mkdir(exist_ok=True)
    (project / "exports" / "predictions.csv").write_text("path,p\na.png,0.5\nb.png,0.7\n")
    events: list = []
    cfg = ImportConfig(project=project, paths=[study], cache_size=16)
    summary = import_data(cfg, report=events.append)
    assert (summary["files_seen"], summary["imported"], summary["failed"]) == (3, 3, 0)
    assert any("project's own folder is left out" in getattr(e, "text", "") for e in events)
    with pytest.raises(ConfigError, match="is this project's own folder"):
        import_data(ImportConfig(project=project, paths=[project], name="itself"))


def test_patient_names_in_folder_names_are_redacted(project, tmp_path, dicom_file):
    # CT_small.dcm belongs to patient "CompressedSamples^CT1"
    folder = tmp_path / "CompressedSamples_CT1" / "study"
    folder.mkdir(parents=True)
    shutil.copy(dicom_file("CT_small.dcm"), folder / "CompressedSamples.dcm")
    shutil.copy(dicom_file("MR_small.dcm"), folder / "other.dcm")
    run(project, tmp_path / "CompressedSamples_CT1", name="p", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        items = sorted(store.items(1), key=lambda i: i["rel_path"])
        salt = store.salt
    assert [i["rel_path"] for i in items] == ["study/[redacted].dcm", "study/other.dcm"]
    assert items[0]["patient_key"] == patient_key(salt, "1CT1")  # PatientID of CT_small
    # an import that decodes nothing (all unchanged) knows no names: it keeps the redaction
    assert run(project, tmp_path / "CompressedSamples_CT1", name="p")["unchanged"] == 2
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw


def test_identifiers_inside_sequences_and_of_physicians_are_redacted(project, tmp_path, dicom_file):
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    folder = tmp_path / "scans"
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    other, referenced = Dataset(), Dataset()
    other.PatientID = "ZQXOTHERID"
    referenced.PatientName = "Zqxref^Patient"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.ReferencedPatientSequence = Sequence([referenced])
    ds.PhysiciansOfRecord = "Zqxphys^Doctor"
    for name in ("ZQXOTHERID", "Zqxref_Patient", "Doctor Zqxphys"):
        (folder / name).mkdir(parents=True)
        ds.save_as(folder / name / f"{name}.dcm")
    run(project, folder, name="scans", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert not any(v in raw.lower() for v in (b"zqxotherid", b"zqxref", b"zqxphys"))
    with Store.open(project) as store:
        assert len(store.items(1)) == 3


def test_reading_only_the_identifiers_finds_those_inside_sequences_too(tmp_path, dicom_file):
    """A file an unfinished import recorded is read again for its identifiers only, to
    name its path and its neighbours': it must give every identifier a full decode gives."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    other = Dataset()
    other.PatientID = "ZQXOTHERID"
    ds.OtherPatientIDsSequence = Sequence([other])
    ds.save_as(tmp_path / "scan.dcm")
    full = decode(DecodeTask(str(tmp_path / "scan.dcm"), "dicom", 16, b"salt"))
    only = decode(
        DecodeTask(str(tmp_path / "scan.dcm"), "dicom", 16, b"salt", identifiers_only=True)
    )
    assert "ZQXOTHERID" in full.identifiers and not only.items
    assert sorted(only.identifiers) == sorted(full.identifiers)


def test_the_decoding_worker_hands_on_the_salted_patient_key_not_the_id(dicom_file):
    salt = b"project salt 123"
    out = decode(DecodeTask(str(dicom_file("CT_small.dcm")), "dicom", 16, salt))
    (item,) = out.items
    assert "patient_id" not in item.fields  # the slow key is made in parallel, in the worker
    assert item.fields["patient_key"] == patient_key(salt, "1CT1")


def test_a_dataset_named_after_a_patient_folder_is_stored_redacted(project, tmp_path, dicom_file):
    # CT_small.dcm belongs to patient "CompressedSamples^CT1"
    folder = tmp_path / "CompressedSamples_CT1_knee"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")
    shutil.copy(dicom_file("MR_small.dcm"), folder / "b.dcm")
    events: list = []
    cfg = ImportConfig(project=project, paths=[folder], cache_size=16)
    summary = import_data(cfg, report=events.append)  # named after the folder
    assert summary["dataset"] == "[redacted]_knee"
    assert any("stored as '[redacted]_knee'" in getattr(e, "text", "") for e in events)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    # the same folder again, or a file of it, goes into that dataset (found by its folder)
    assert run(project, folder)["unchanged"] == 2
    assert run(project, folder / "a.dcm", add=True)["dataset"] == "[redacted]_knee"
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["[redacted]_knee"]


def test_files_without_names_of_their_own_are_redacted_with_their_patients_names(
    project, tmp_path, dicom_file
):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "ct.dcm")  # "CompressedSamples^CT1"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "CompressedSamples_photo.png")
    (folder / "CompressedSamples_note.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    summary = run(project, folder, cache_size=16)
    assert (summary["imported"], summary["failed"]) == (2, 1)
    assert summary["errors"][0]["path"] == "[redacted]_note.png"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        paths = sorted(i["rel_path"] for i in store.items(1))
    assert paths == ["[redacted]_photo.png", "ct.dcm"]


def test_a_name_given_with_a_patient_identifier_is_stored_redacted(project, tmp_path, dicom_file):
    folder = tmp_path / "scans"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")
    run(project, tmp_path / "scans", name="x", cache_size=16)  # '[redacted]' is taken next
    with Store.open(project, write=True) as store:
        store.rename_dataset(1, "[redacted] chest")
    summary = run(project, folder, name="CompressedSamples chest", cache_size=16)
    assert summary["dataset"] == "[redacted] chest 2"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw  # nor in the import's stored options


def test_an_import_killed_before_naming_its_dataset_leaves_no_folder_name(
    project, tmp_path, dicom_file, monkeypatch
):
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    shutil.copy(dicom_file("CT_small.dcm"), folder / "a.dcm")

    def killed(self, dataset, created, complete=True):
        raise KeyboardInterrupt  # as if the process died before the dataset got its name

    with monkeypatch.context() as patch:
        patch.setattr(Importer, "_redact_names", killed)
        with pytest.raises(KeyboardInterrupt):
            run(project, folder, name="CompressedSamples_CT1", cache_size=16)
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["(importing)"]
    # importing again finishes that dataset instead of starting another, and names it
    summary = run(project, folder, name="CompressedSamples_CT1")
    assert summary["unchanged"] == 1 and summary["dataset"] == "[redacted]"
    assert run(project, folder, retry_failed=True)["dataset"] == "[redacted]"
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["[redacted]"]


def test_a_series_named_after_its_patient_file_is_stored_redacted(project, tmp_path):
    folder = tmp_path / "ecgs"
    folder.mkdir()
    rows = "".join(f"{t},Roe Rick,{60 + t % 7}\n" for t in range(40))
    (folder / "ecg_Rick.csv").write_text("time,subject,hr\n" + rows)  # one series per file
    run(project, folder, name="ecgs")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Rick" not in raw  # not in the path, nor in the series' name
    with Store.open(project) as store:
        [item] = store.items(1)
    assert item["rel_path"] == "ecg_[redacted].csv" and "[redacted]" in item["meta"]


def test_series_id_columns_become_patient_keys_never_text(project, tmp_path):
    folder = tmp_path / "Doe_Jane_followup"
    folder.mkdir()
    text = "subject,v0,v1,v2,label\nDoe Jane,1,2,3,a\nDoe Jane,4,5,6,b\nRoe Rick,7,8,9,a\n"
    text += ",1,1,2,b\n"  # no subject: a patient of its own
    (folder / "visits.csv").write_text(text)
    run(project, folder, name="visits")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Jane" not in raw and b"Rick" not in raw
    with Store.open(project) as store:
        keys = [i["patient_key"] for i in store.items(1)]
        [root] = store.conn.execute("SELECT path FROM roots").fetchall()
        patients = store.patients_per_class(1, "imported")
    assert keys[0] == keys[1] != keys[2] and all(keys[:3]) and not keys[3]
    assert patients == {"a": 2, "b": 2}  # a: Jane, Rick; b: Jane and the unnamed one
    assert root[0].endswith("[redacted]_followup")  # "Doe_Jane" as one joined name


def test_a_full_disk_stops_the_import_and_keeps_what_was_imported(project, tmp_path, monkeypatch):
    folder = tmp_path / "scans"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(np.full((16, 16), i * 40, np.uint8)).save(folder / f"{i}.png")
    from ssl_studio.core.data import cache, import_decoding

    monkeypatch.setattr(import_decoding, "_COMMIT_SECONDS", -1.0)  # one commit per file
    real_append = cache._Appender.append
    calls = []

    def fills_up(self, data):
        calls.append(len(data))
        if len(calls) == 4:
            self.file.write(data[: len(data) // 2])  # half of it reached the disk
            raise OSError(28, "No space left on device")
        return real_append(self, data)

    monkeypatch.setattr(cache._Appender, "append", fills_up)
    with pytest.raises(SSLStudioError, match="The disk is full: free some space"):
        import_data(ImportConfig(project=project, paths=[folder], cache_size=16, workers=1))
    conn = sqlite3.connect(project / "project.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    with Store.open(project) as store:
        kept = store.items(store.dataset("(importing)")["id"])  # named when it finishes
    assert len(kept) == 3  # the files written before the disk filled up

    monkeypatch.setattr(cache._Appender, "append", real_append)  # space was freed
    summary = import_data(ImportConfig(project=project, paths=[folder], workers=1))
    assert (summary["imported"], summary["unchanged"]) == (3, 3)
    with Store.open(project) as store:
        items = sorted(store.items(store.dataset("scans")["id"]), key=lambda i: i["rel_path"])
    pixels = CacheReader(project / "cache" / "dataset-1").images(items)
    assert [int(p.max()) for p in pixels] == [i * 40 for i in range(6)]  # every item intact


def test_a_problem_with_a_cell_never_quotes_the_cell(project, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    rows = "".join(f"{t},{60 + t % 7},{t}\n" for t in range(20))
    (folder / "a.csv").write_text("time,hr,extra\n" + rows + "20,61,Quixote Zebulon\n")
    summary = run(project, folder, name="mixed")
    [error] = summary["errors"]
    assert "mixes numbers and text (first text on line 22" in error["message"]
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Quixote" not in raw and "Quixote" not in str(summary)


def test_a_file_that_fails_is_still_stored_redacted(project, tmp_path, dicom_file):
    import pydicom

    # CT_small.dcm belongs to patient "CompressedSamples^CT1"; this copy lost its pixels
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    del ds.PixelData
    ds.save_as(folder / "CompressedSamples_scan.dcm")
    summary = run(project, folder, name="lost")
    assert summary["failed"] == 1 and summary["errors"][0]["code"] == "dicom-truncated"
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"CompressedSamples" not in raw and "CompressedSamples" not in str(summary)


@pytest.mark.parametrize(
    "header",
    ["patient", "Participant", "MRN", "case", "Patient Name", "PatientName", "patient_name"]
    + ["Surname", "Medical Record Number", "Date of birth", "Nachname"],
)
def test_patient_columns_are_grouping_keys_never_labels(project, tmp_path, header):
    folder = tmp_path / "visits"
    folder.mkdir()
    values = ",".join(str(v) for v in range(12))  # rows of 12 steps: one series per row
    rows = "".join(f"Quixote Zebulon,{values}\n" for _ in range(3)) + f"Xanthe Wil,{values}\n"
    header_row = ",".join([header, *(f"v{t}" for t in range(12))])
    (folder / "v.csv").write_text(header_row + "\n" + rows)
    run(project, folder, name="visits")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Quixote" not in raw and b"Xanthe" not in raw  # not a class label either
    with Store.open(project) as store:
        keys = [i["patient_key"] for i in store.items(1)]
    assert keys[0] == keys[1] == keys[2] != keys[3]


def test_messages_keep_their_own_words_when_a_name_part_is_an_ordinary_word(
    project, tmp_path, dicom_file
):
    """A station "Not connected" and a patient "Test^Phantom" made every message of the
    import lose "not" and "test" ("[redacted] a DICOM file"). Whole values still go from
    every message, and a name part from the paths the messages quote (Pillow quotes the
    absolute path, here through a folder named after the patient)."""
    folder = tmp_path / "Phantom_scans"
    folder.mkdir()
    ds = pydicom.dcmread(dicom_file("CT_small.dcm"))
    ds.StationName, ds.PatientName = "Not connected", "Test^Phantom"
    ds.save_as(folder / "ct.dcm")
    (folder / "readme.txt").write_text("an image, a test pattern")  # skipped: not data
    (folder / "blank.dcm").write_bytes(bytes(200))
    (folder / "Phantom_photo.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    summary = run(project, folder, cache_size=16)
    with Store.open(project) as store:
        stored = {e["path"]: e["message"] for e in store.import_errors(1)}
    shown = {e["path"]: e["message"] for e in summary["errors"]}
    assert stored.keys() == {"readme.txt", "blank.dcm", "[redacted]_photo.png"}
    assert shown.keys() == {"blank.dcm", "[redacted]_photo.png"}
    for messages in (stored, shown):
        assert messages["blank.dcm"].startswith("Not a DICOM file:")
        assert "[redacted]_photo.png" in messages["[redacted]_photo.png"]
        assert "Phantom" not in messages["[redacted]_photo.png"]
    assert stored["readme.txt"].startswith("Not a DICOM file, an image")
    raw = b"".join(p.read_bytes() for p in project.rglob("*") if p.is_file())
    assert b"Phantom" not in raw and b"Not connected" not in raw


def slow_on_first(task: DecodeTask):
    """A decoder that finishes big.png (the largest: the first handed out) last."""
    if Path(task.path).name == "big.png":
        import time

        time.sleep(1.0)
    return decode(task)


def test_images_are_numbered_in_a_fixed_order_whichever_worker_ends_first(project, tmp_path):
    """Item ids follow the files' sizes, then their paths, never the workers' timing: the
    same folder imported again gets the same ids, so the same seed gives the same split."""
    folder = grey_pngs(tmp_path / "imgs", 12)
    noise = np.random.default_rng(0).integers(0, 255, (16, 16), dtype=np.uint8)
    Image.fromarray(noise).save(folder / "big.png")
    cfg = ImportConfig(project=project, paths=[folder], workers=2)
    with Store.open(project, write=True) as store:
        Importer(store, cfg, lambda e: None, StopToken(), decoder=slow_on_first).run()
    with Store.open(project) as store:
        by_id = [i["rel_path"] for i in sorted(store.items(1), key=lambda i: i["id"])]
    expected = sorted(by_id, key=lambda name: (-(folder / name).stat().st_size, name))
    assert by_id == expected
    assert by_id[0] == "big.png"


def test_excel_unicode_text_is_read_as_a_series_and_other_text_files_are_not(project, tmp_path):
    """Excel's "Unicode Text" (UTF-16 with its BOM, tab-separated) is saved as .txt: it
    was skipped as not data, and only renaming it to .tsv helped."""
    folder = tmp_path / "vitals"
    folder.mkdir()
    rows = "".join(f"{t}\t{70 + t % 3},5\t{36 + t % 2},1\n" for t in range(30))
    text = "Zeit\tPuls\tTemperatur °C\n" + rows
    (folder / "patient1.txt").write_bytes(text.encode("utf-16"))
    (folder / "notes.txt").write_text("Frau Muster, Befund folgt\n", encoding="utf-8")
    # Notepad's "Unicode" is UTF-16 with its BOM too: a name and numbers, no tabs
    (folder / "notiz.txt").write_bytes("Hans Mueller\r\n12\r\n13\r\n".encode("utf-16"))
    s = run(project, folder, name="vitals", kind="timeseries")
    assert (s["modality"], s["imported"], s["skipped"]) == ("timeseries", 1, 2)
    assert errors_by_path(project, "vitals") == {"notes.txt": "not-data", "notiz.txt": "not-data"}
    with Store.open(project) as store:
        (item,) = store.items(store.dataset("vitals")["id"])
    meta = json.loads(item["meta"])
    assert meta["channel_names"] == ["Puls", "Temperatur °C"]
    assert (item["channels"], item["length"]) == (2, 30)
