"""Labels for items whose paths need care: files in folders named after patients, the
same relative path in two imported folders, series in rows and series named by the app."""

from __future__ import annotations

import numpy as np
import pytest
from finetune_projects import write_shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_csv, labels_from_folders
from ssl_studio.core.project.store import Store


def test_files_in_folders_named_after_patients_can_be_labeled(tmp_path):
    import shutil
    from pathlib import Path

    import pydicom

    dicom = Path(pydicom.__file__).parent / "data" / "test_files"
    data = tmp_path / "scans"
    for cls, source, patient in (
        ("normal", "CT_small.dcm", "CompressedSamples_CT1"),  # its PatientName, as a folder
        ("abnormal", "MR_small.dcm", "CompressedSamples_MR1"),
    ):
        (data / cls / patient).mkdir(parents=True)
        for i in range(2):
            shutil.copy(dicom / source, data / cls / patient / f"{patient}_{i}.dcm")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], cache_size=32, workers=1))
    with Store.open(project) as store:
        stored = sorted(i["rel_path"] for i in store.items(1))
    assert stored[0] == "abnormal/[redacted]/[redacted]_0.dcm"  # names never stored
    report = labels_from_folders(project, "scans")  # the class folder above the patient's
    assert report.classes == {"abnormal": 2, "normal": 2}
    csv = data / "labels.csv"  # paths as the user sees them, relative to the label file
    csv.write_text(
        "path,label\n"
        "normal/CompressedSamples_CT1/CompressedSamples_CT1_0.dcm,normal\n"
        "abnormal/CompressedSamples_MR1/CompressedSamples_MR1_1.dcm,abnormal\n"
    )
    report = labels_from_csv(project, "scans", csv)
    assert report.labeled == 2 and not report.warnings[1:]


def test_the_same_relative_path_in_two_imported_folders_is_told_apart(tmp_path):
    for site in ("siteA", "siteB"):
        write_shapes(tmp_path / site, n=6)
    project = create_project(tmp_path / "project")
    for site in ("siteA", "siteB"):
        import_data(
            ImportConfig(project=project, paths=[tmp_path / site], name="xr", add=True,
                         cache_size=32, workers=1)
        )  # fmt: skip
    rows = "path,label\ncircle/circle001.png,round\nsquare/square000.png,angular\n"
    (tmp_path / "siteA" / "labels.csv").write_text(rows)
    report = labels_from_csv(project, "xr", tmp_path / "siteA" / "labels.csv")
    assert report.labeled == 2  # siteA's two files only, not siteB's as well
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "labels.csv").write_text(rows)
    with pytest.raises(ConfigError, match="2 row\\(s\\) of labels.csv name a path found in more"):
        labels_from_csv(project, "xr", tmp_path / "elsewhere" / "labels.csv")
    both = "path,label\nsiteA/circle/circle001.png,round\nsiteB/circle/circle001.png,square\n"
    (tmp_path / "both.csv").write_text(both)  # named from their common parent folder
    report = labels_from_csv(project, "xr", tmp_path / "both.csv", name="both")
    assert report.classes == {"round": 1, "square": 1}


def test_series_in_rows_are_labeled_by_their_row_or_index(tmp_path):
    data = tmp_path / "beats"
    data.mkdir()
    rows = (",".join(f"{(i + 1) * j % 7}.5" for j in range(10)) for i in range(6))  # 6 of 10
    (data / "beats.csv").write_text("\n".join(rows) + "\n")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    csv = tmp_path / "labels.csv"  # "row N" as the app names the series: the file's line N
    csv.write_text("path,row,label\nbeats.csv,1,a\nbeats.csv,2,b\nbeats.csv,6,a\nbeats.csv,7,b\n")
    report = labels_from_csv(project, "beats", csv)
    with Store.open(project) as store:
        items = {i["id"]: i["idx"] for i in store.items(1)}
        labels = {items[k]: v for k, v in store.latest_labels(1, "labels").items()}
    assert labels == {0: "a", 1: "b", 5: "a"}  # index = row - 1
    assert "beats.csv: no item on row 7; its items are row 1 to row 6" in report.warnings[0]
    assert report.warnings[0].startswith(  # the file is there: only the item is not
        "1 row(s) name an item that its file in dataset 'beats' does not have and were left "
        "out: line 5 (beats.csv: no item on row 7;"
    )
    assert not any("name files that are not in dataset" in w for w in report.warnings)
    csv.write_text("path,row,label\nbeats.csv,1,a\nbeats.csv,8,b\ngone.csv,1,b\n")  # both
    report = labels_from_csv(project, "beats", csv, name="both-cases")
    said = " ".join(report.warnings)
    assert "1 row(s) name an item that its file in dataset 'beats' does not have" in said
    assert "1 row(s) name files that are not in dataset 'beats' and were left out: " in said
    assert "line 4 (gone.csv). Check the paths, or import those files first." in said
    csv.write_text("path,row,label\nbeats.csv,8,a\n")  # no row matches: the file was found
    with pytest.raises(ConfigError) as refused:
        labels_from_csv(project, "beats", csv, name="none")
    assert (
        "Their files are in it, but not the items named: line 2 (beats.csv: no item on row 8"
        in (str(refused.value))
    )
    assert "Paths are relative" not in str(refused.value)
    csv.write_text("path,index,label\nbeats.csv,0,a\nbeats.csv,6,b\nbeats.csv,1,b\n")
    report = labels_from_csv(project, "beats", csv, name="by-index")
    assert report.labeled == 2 and "no item at index 6" in report.warnings[0]


def test_series_are_labeled_by_the_names_the_app_gives_them(tmp_path):
    data = tmp_path / "beats"
    data.mkdir()
    rows = (",".join(f"{(i + 1) * j % 7}.5" for j in range(10)) for i in range(6))  # 6 of 10
    (data / "beats.csv").write_text("\n".join(rows) + "\n")
    np.save(data / "more.npy", np.arange(30, dtype=np.float32).reshape(3, 10))
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    with Store.open(project) as store:
        items = {i["id"]: (i["rel_path"], i["idx"]) for i in store.items(1)}

    def labeled(name):
        with Store.open(project) as store:
            return {items[k]: v for k, v in store.latest_labels(1, name).items()}

    csv = tmp_path / "labels.csv"  # the row column as the app shows the series: "row 2"
    csv.write_text("path,row,label\nbeats.csv,row 1,a\nbeats.csv,Row 2,b\nbeats.csv,row 6,a\n")
    labels_from_csv(project, "beats", csv, name="rows")
    assert labeled("rows") == {("beats.csv", 0): "a", ("beats.csv", 1): "b", ("beats.csv", 5): "a"}
    csv.write_text(  # an item column beside the path: the item's name, or its item id
        "path,item,label\nbeats.csv,row 3,a\nbeats.csv,row  4,b\nmore.npy,more[2],b\n"
        f"more.npy,{next(k for k, v in items.items() if v == ('more.npy', 0))},a\n"
        "beats.csv,row 9,b\n"
    )
    report = labels_from_csv(project, "beats", csv, name="items")
    assert labeled("items") == {
        ("beats.csv", 2): "a", ("beats.csv", 3): "b", ("more.npy", 2): "b", ("more.npy", 0): "a"
    }  # fmt: skip
    assert "beats.csv: no item 'row 9'; its items are row 1 to row 6" in report.warnings[0]
    csv.write_text("item,label\nrow 1,a\nrow 2,b\n")  # a name without its file
    with pytest.raises(ConfigError, match="such as 'row 2', needs a path column naming the file"):
        labels_from_csv(project, "beats", csv, name="lost")
