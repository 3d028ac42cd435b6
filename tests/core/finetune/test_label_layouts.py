"""Labels on real PACS-like layouts: patient folders (named after PatientName, so stored
redacted) with study and series folders below them, with or without class folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest
from finetune_projects import write_shapes

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_csv, labels_from_folders
from ssl_studio.core.project.store import Store

DICOM = Path(pydicom.__file__).parent / "data" / "test_files"
# file, its PatientName as a folder, its study folder (StudyDate_Modality)
PATIENTS = {
    "CT": ("CT_small.dcm", "CompressedSamples_CT1", "20040119_CT"),
    "MR": ("MR_small.dcm", "CompressedSamples_MR1", "20040826_MR"),
    "US": ("examples_rgb_color.dcm", "CompressedSamples_US1", "20040826_US"),
}


def write_pacs(root: Path, classes: dict[str, list[str]] | None = None) -> list[str]:
    """root/[class/]<patient>/<study>/series<N>/<file>, two series per patient; returns
    the files' paths relative to ``root``, as a user writes them."""
    written = []
    for cls, patients in (classes or {"": list(PATIENTS)}).items():
        for patient in patients:
            source, folder, study = PATIENTS[patient]
            for series in ("series1", "series2"):
                rel = Path(cls, folder, study, series, source)
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(DICOM / source, root / rel)
                written.append(rel.as_posix())
    return written


def imported(tmp_path: Path, data: Path, name: str) -> Path:
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], name=name, cache_size=32, workers=1))
    return project


def test_csv_next_to_the_imported_folder_with_paths_relative_to_it(tmp_path):
    rels = write_pacs(tmp_path / "PACS2")
    project = imported(tmp_path, tmp_path / "PACS2", "PACS2")
    with Store.open(project) as store:
        stored = [i["rel_path"] for i in store.items(1)]
    assert all(p.startswith("[redacted]/") for p in stored)  # patient folders never stored
    csv = tmp_path / "dx.csv"  # next to PACS2, not inside it
    labels = {"CT": "fracture", "MR": "fracture", "US": "normal"}
    csv.write_text("path,label\n" + "".join(f"{r},{labels[r.split('/')[-3][-2:]]}\n" for r in rels))
    report = labels_from_csv(project, "PACS2", csv)
    assert report.labeled == len(rels) and report.classes == {"fracture": 4, "normal": 2}
    assert not [w for w in report.warnings if "not in dataset" in w]
    # the same from any current folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(csv, elsewhere / "dx.csv")
    report = labels_from_csv(project, "PACS2", elsewhere / "dx.csv", name="moved")
    assert report.labeled == len(rels)
    assert b"CompressedSamples" not in (project / "project.db").read_bytes()


def test_class_folders_above_patients_and_a_hint_one_can_type(tmp_path):
    classes = {"fracture": ["CT", "MR"], "normal": ["US"]}
    rels = write_pacs(tmp_path / "CLS", classes)
    project = imported(tmp_path, tmp_path / "CLS", "CLS")
    csv = tmp_path / "dx.csv"
    csv.write_text("path,label\n" + "".join(f"{r},{r.split('/')[0]}\n" for r in rels))
    report = labels_from_csv(project, "CLS", csv)
    assert report.classes == {"fracture": 4, "normal": 2}
    csv.write_text("path,label\nnormal/Somebody/20040826_US/series9/x.dcm,normal\n")
    with pytest.raises(ConfigError) as refused:
        labels_from_csv(project, "CLS", csv, name="typo")
    said = str(refused.value)
    assert "[redacted]" not in said and "CompressedSamples" not in said
    assert "<patient folder>/" in said and "the real name on disk" in said
    csv.write_text(f"path,label\n{rels[0]},fracture\n{rels[-1]},normal\nnope/x.dcm,normal\n")
    report = labels_from_csv(project, "CLS", csv, name="partly")
    text = " ".join(report.warnings)
    assert "1 row(s) name files" in text and "<patient folder>/" in text
    assert "[redacted]" not in text


def test_a_patient_folder_imported_alone_is_found_again_on_disk(tmp_path):
    write_pacs(tmp_path / "CLS", {"fracture": ["CT"], "normal": ["US"]})
    patient = tmp_path / "CLS" / "normal" / "CompressedSamples_US1"
    series = patient / "20040826_US" / "series1"
    shutil.copy(series / "examples_rgb_color.dcm", series / "CompressedSamples_US1_0.dcm")
    project = imported(tmp_path, patient, "one")
    with Store.open(project) as store:
        [root] = [r[0] for r in store.conn.execute("SELECT path FROM roots")]
    assert root.endswith("normal/[redacted]")  # the imported folder's own name is hidden
    (tmp_path / "labels").mkdir()
    csv = tmp_path / "labels" / "dx.csv"
    csv.write_text(  # a file named after the patient, in the folder named after them
        "path,label\n20040826_US/series1/CompressedSamples_US1_0.dcm,normal\n"
        "CompressedSamples_US1/20040826_US/series2/examples_rgb_color.dcm,other\n"
        "20040826_US/series1/examples_rgb_color.dcm,normal\n"
    )
    report = labels_from_csv(project, "one", csv)
    assert report.classes == {"normal": 2, "other": 1}


def classes_of(project: Path, name: str) -> set[str]:
    with Store.open(project) as store:
        return set(store.latest_labels(1, name).values())


def test_folder_names_skip_patient_study_and_series_folders(tmp_path, capsys):
    write_pacs(tmp_path / "PACS2")
    project = imported(tmp_path, tmp_path / "PACS2", "PACS2")
    with pytest.raises(ConfigError) as refused:  # no class folders: not series1/series2
        labels_from_folders(project, "PACS2")
    said = str(refused.value)
    assert "No folder level of dataset 'PACS2' looks like classes" in said
    assert "level 1: folders named after patients" in said
    assert "level 3 ('series1', 'series2'): series, study, date or number folders" in said
    assert "Label with a CSV" in said and "--folder-level N" in said
    assert "[redacted]" not in said and "CompressedSamples" not in said

    write_pacs(tmp_path / "CLS", {"fracture": ["CT", "MR"], "normal": ["US"]})
    project = imported(tmp_path / "cls", tmp_path / "CLS", "CLS")
    report = labels_from_folders(project, "CLS")  # the class folders above the patients
    assert report.classes == {"fracture": 4, "normal": 2} and not report.warnings
    assert main(["labels", str(project), "--dataset", "CLS", "--from-folders",
                 "--folder-level", "2", "--name", "patients"]) == 1  # fmt: skip
    said = capsys.readouterr().err
    assert "level 2 of dataset 'CLS' cannot be classes: folders named after patients" in said
    assert "[redacted]" not in said and "CompressedSamples" not in said
    assert main(["labels", str(project), "--dataset", "CLS", "--folder-level", "1"]) == 1
    assert "add --from-folders" in capsys.readouterr().err
    assert main(["labels", str(project), "--dataset", "CLS", "--from-folders",
                 "--folder-level", "4", "--name", "series"]) == 0  # fmt: skip
    assert classes_of(project, "series") == {"series1", "series2"}  # asked for: so be it
    assert b"CompressedSamples" not in (project / "project.db").read_bytes()


def test_split_folders_are_no_classes_and_an_ambiguous_level_is_said(tmp_path):
    for split, seed in (("train", 0), ("test", 1)):
        write_shapes(tmp_path / "xr" / split, n=6, seed=seed)
    project = imported(tmp_path, tmp_path / "xr", "xr")
    report = labels_from_folders(project, "xr")
    assert report.classes == {"circle": 6, "square": 6} and not report.warnings

    for site, seed in (("siteA", 0), ("siteB", 1)):
        write_shapes(tmp_path / "sites" / site, n=6, seed=seed)
    project = imported(tmp_path / "s", tmp_path / "sites", "sites")
    report = labels_from_folders(project, "sites")  # sites or shapes: both could be
    assert report.classes == {"circle": 6, "square": 6}
    [note] = report.warnings
    assert "The classes are the folder names at level 2 ('circle', 'square')" in note
    assert "level 1 ('siteA', 'siteB') could be classes too" in note
    assert "--folder-level N" in note
    report = labels_from_folders(project, "sites", level=1, name="sites")
    assert report.classes == {"siteA": 6, "siteB": 6} and not report.warnings
    with pytest.raises(ConfigError, match="No file of dataset 'sites' is in a folder at level 3"):
        labels_from_folders(project, "sites", level=3)


def test_class_folders_numbered_from_0_are_classes_and_series_numbers_are_not(tmp_path):
    """Datasets written for training name their class folders 0/, 1/ (MedMNIST, image
    folder exports): they were refused as "number folders"."""
    write_shapes(tmp_path / "indexed", n=4, seed=0)
    for shape, number in (("circle", "0"), ("square", "1")):
        (tmp_path / "indexed" / shape).rename(tmp_path / "indexed" / number)
    project = imported(tmp_path, tmp_path / "indexed", "indexed")
    report = labels_from_folders(project, "indexed")
    assert report.classes == {"0": 2, "1": 2} and not report.warnings  # n=4: two of each


def test_class_folders_numbered_from_1_are_classes_unless_they_are_series_folders(tmp_path):
    """BI-RADS 1..5 or grades 1..4 are folders numbered from 1, as are the series folders
    of a study exported from a scanner: numbered folders holding the files, with nothing
    above them that names patients or studies, are classes unless each holds one series."""
    write_shapes(tmp_path / "grades", n=4, seed=1)
    for shape, number in (("circle", "1"), ("square", "2")):
        (tmp_path / "grades" / shape).rename(tmp_path / "grades" / number)
    project = imported(tmp_path / "g", tmp_path / "grades", "grades")
    report = labels_from_folders(project, "grades")
    assert report.classes == {"1": 2, "2": 2}
    assert report.warnings == [
        "The classes are the numbered folders at level 1 ('1', '2') (as grades or BI-RADS "
        "categories are named). If they are a scanner's series folders instead, label with "
        "a CSV."
    ]
    birads = tmp_path / "birads" / "train"  # DICOM class folders: several series in each
    for number, sources in (("1", ("CT", "MR")), ("2", ("MR", "US"))):
        (birads / number).mkdir(parents=True)
        for patient in sources:
            shutil.copy(DICOM / PATIENTS[patient][0], birads / number / f"{patient}.dcm")
    project = imported(tmp_path / "b", tmp_path / "birads", "birads")
    assert labels_from_folders(project, "birads").classes == {"1": 2, "2": 2}

    study = tmp_path / "study"  # one study exported alone: series 1/ and 2/
    for number, source in (("1", "CT_small.dcm"), ("2", "MR_small.dcm")):
        (study / number).mkdir(parents=True)
        for i in range(2):
            shutil.copy(DICOM / source, study / number / f"IM{i:04d}.dcm")
    project = imported(tmp_path / "s", study, "study")
    with pytest.raises(ConfigError) as refused:
        labels_from_folders(project, "study")
    said = str(refused.value)
    assert "series, study, date or number folders" in said
    assert "level 1 were not taken as classes: each holds a single DICOM series" in said
    assert said.endswith("choose folder level 1 (--folder-level 1, or 'Folder level' in the app).")
    assert labels_from_folders(project, "study", level=1).classes == {"1": 2, "2": 2}

    pacs = tmp_path / "pacs"  # <patient>/<study>/<series number>/: a PACS export
    for patient in ("CT", "MR"):
        source, folder, date = PATIENTS[patient]
        for number in ("1", "2"):
            (pacs / folder / date / number).mkdir(parents=True)
            shutil.copy(DICOM / source, pacs / folder / date / number / source)
    project = imported(tmp_path / "p", pacs, "pacs")
    with pytest.raises(ConfigError, match="inside patient, study or series folders") as refused:
        labels_from_folders(project, "pacs")
    assert "[redacted]" not in str(refused.value) and "--folder-level 3" in str(refused.value)
