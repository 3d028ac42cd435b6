"""The import job on time-series folders: CSV and NPY files, columns aligned by name,
layouts, notes in the import report, Excel's Unicode Text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from import_folders import errors_by_path, run
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.importer import Importer
from ssl_studio.core.events import StopToken
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


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
    assert "rec: 1 note on imported files\n  [warning] short.csv: It was read one series" in out
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
