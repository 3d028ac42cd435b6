"""End to end: a fine-tuning run on DICOM files with several items per patient keeps
every patient on one side of its split (README: "no patient is ever on both sides")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
from finetune_projects import quick_train
from pydicom.uid import generate_uid

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store

CT = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"


def write_patients(folder: Path, patients: int = 12, per_patient: int = 4) -> None:
    """normal/ and abnormal/: half the patients each, every patient ``per_patient`` CTs
    (own pixels and instance UID, the patient's ID)."""
    for p in range(patients):
        cls = "normal" if p % 2 else "abnormal"
        (folder / cls).mkdir(parents=True, exist_ok=True)
        for i in range(per_patient):
            ds = pydicom.dcmread(CT)
            ds.PatientID = f"PAT{p:03d}"
            ds.PatientName = f"Patient^Number{p}"
            ds.SOPInstanceUID = generate_uid()
            pixels = ds.pixel_array.astype(np.int32) + 300 * (cls == "abnormal") + 11 * i + p
            ds.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
            ds.save_as(folder / cls / f"{p:02d}-{i}.dcm")


def sides(project: Path, run_id: int) -> dict[str, set[str]]:
    """The patient keys on each side (train, val, test) of the run's split.json."""
    with Store.open(project) as store:
        keys = {i["id"]: i["patient_key"] for i in store.items(1)}
        folder = project / store.run(run_id)["folder"]
    split = json.loads((folder / "split.json").read_text())
    return {
        part: {keys[int(i)] for i in split[part]}
        for part in ("train", "val", "test")
        if split.get(part)
    }


def test_no_patient_is_on_both_sides_of_a_fine_tuning_split(tmp_path):
    write_patients(tmp_path / "scans")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=32))
    labels_from_folders(project, "scans")
    with Store.open(project) as store:
        items = store.items(1)
    assert len(items) == 48 and len({i["patient_key"] for i in items}) == 12
    run = pretrain(
        PretrainConfig(project=project, dataset="scans", image_size=32, train=quick_train())
    )["run_id"]

    def tuned(**options) -> dict[str, set[str]]:
        cfg = FinetuneConfig(
            project=project, run=run, labels="folders", protocol="linear", n_boot=20,
            baseline=False, folds=1, test_fraction=0.25, val_fraction=0.25,
            threshold="youden", train=quick_train(), **options,
        )  # fmt: skip
        return sides(project, finetune(cfg)["run_id"])

    kept = tuned()
    assert set(kept) == {"train", "val", "test"} and all(len(s) >= 2 for s in kept.values())
    assert not kept["train"] & kept["test"]
    assert not kept["train"] & kept["val"] and not kept["val"] & kept["test"]
    # split by item instead, the same data puts patients on both sides: the check above
    # can see a patient shared
    by_item = tuned(group_by_patient=False)
    assert by_item["train"] & by_item["test"]
