"""Links in the folder imported: one back to the folder (``ln -s ..``) is left out and
reported, one to data elsewhere (another disk) is followed and noted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView


def _image(path: Path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((16, 16), value, np.uint8)).save(path)


def _report(project: Path, name: str) -> dict[str, dict[str, str]]:
    with Store.open(project) as store:
        rows = store.import_errors(store.dataset(name)["id"])
    return {row["path"]: row for row in rows}


def test_a_link_to_the_parent_folder_imports_only_the_folder_and_is_reported(
    project, tmp_path, capsys
):
    """The chaos test: ``ln -s .. weird/loop`` imported every image of the parent folder
    and its siblings (other studies, other patients) into the dataset, unsaid."""
    data = tmp_path / "data"
    _image(data / "weird" / "x.png", 1)
    _image(data / "other_study" / "y.png", 2)
    _image(data / "beside.png", 3)
    os.symlink("..", data / "weird" / "loop")
    assert main(["import", str(project), str(data / "weird"), "--workers", "1"]) == 0
    said = capsys.readouterr().out
    items = DatasetView.open(project, "weird").items
    assert [item["rel_path"] for item in items] == ["x.png"]
    row = _report(project, "weird")["loop"]
    assert (row["code"], row["severity"]) == ("link-up", "skipped")
    assert "not followed" in row["message"]
    assert "1 file seen, 1 imported (1 item), " in said and "1 skipped" in said
    assert "1 link back to the folder imported or a folder holding it not followed" in said
    assert main(["report", str(project)]) == 0
    report = capsys.readouterr().out
    assert "loop: A link to a folder that holds the folder you chose" in report
    assert "weird: 0 files left out" in report  # (a link is no file)
    assert "weird: 1 link to folders (not followed back up, or followed elsewhere)" in report


def test_a_link_to_a_folder_elsewhere_is_followed_and_noted(project, tmp_path, capsys):
    _image(tmp_path / "study" / "own.png", 1)
    other = tmp_path / "disk2" / "scans"
    for i in range(3):
        _image(other / f"{i}.png", 10 + i)
    os.symlink(other, tmp_path / "study" / "more")
    assert main(["import", str(project), str(tmp_path / "study"), "--workers", "1"]) == 0
    said = capsys.readouterr().out
    names = sorted(item["rel_path"] for item in DatasetView.open(project, "study").items)
    assert names == ["more/0.png", "more/1.png", "more/2.png", "own.png"]
    assert "0 failed, 0 skipped" in said
    assert (
        "Followed 1 link to folders outside the folder imported (3 files found through it)" in said
    )
    row = _report(project, "study")["more"]
    assert (row["code"], row["severity"]) == ("link-outside", "info")
    assert str(other) in row["message"] and "3 files found through it" in row["message"]
    with Store.open(project) as store:
        summary = store.dataset_summary(store.dataset("study")["id"])
    assert summary["errors"] == 0 and summary["skipped"] == 0  # a note, not a failure
    again = import_data(ImportConfig(project=project, paths=[tmp_path / "study"]))
    assert again["links_followed"] == 1 and again["files_via_links"] == 3
    assert list(_report(project, "study")) == ["more"]  # noted once, not once per import


def test_where_a_link_points_is_redacted_like_the_paths(project, tmp_path, dicom_file):
    """The note names where the link points: a folder there named after its patient
    (pydicom's MR_small.dcm: PatientID 4MR1) is hidden, as in the stored paths."""
    _image(tmp_path / "study" / "own.png", 1)
    other = tmp_path / "disk2" / "4MR1"
    other.mkdir(parents=True)
    shutil.copy(dicom_file("MR_small.dcm"), other / "scan.dcm")
    os.symlink(other, tmp_path / "study" / "more")
    summary = import_data(ImportConfig(project=project, paths=[tmp_path / "study"]))
    assert summary["imported"] == 2 and summary["links_followed"] == 1
    row = _report(project, "study")["more"]
    assert "4MR1" not in row["message"] and "[redacted]" in row["message"]
