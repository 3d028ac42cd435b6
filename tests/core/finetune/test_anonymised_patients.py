"""Files anonymised with one PatientID for all: named before training, and fine-tuned
knowingly by item (group_by_patient off) with the caveat in the results and the card."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from finetune_projects import quick_train
from pydicom.uid import generate_uid

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.patient_groups import ITEM_SPLIT_CAVEAT
from ssl_studio.core.events import Message
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import (
    create_project,
    evaluate,
    export,
    finetune,
    import_data,
    label_efficiency,
    pretrain,
)
from ssl_studio.core.labels import labels_from_folders, set_labels
from ssl_studio.core.project.store import Store

CT = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
SAME_ID = "All 30 labeled items carry the same patient ID (the files were probably anonymised"


def write_scans(folder: Path) -> None:
    """normal/ and abnormal/: 15 CTs each, every one with PatientID ANONYMOUS; other/: 15
    CTs of 15 distinct patients. Each file has its own pixels and instance UID."""
    for cls, offset in (("normal", 0), ("abnormal", 400), ("other", 800)):
        (folder / cls).mkdir(parents=True)
        for i in range(15):
            ds = pydicom.dcmread(CT)
            ds.PatientID = f"P{i:03d}" if cls == "other" else "ANONYMOUS"
            ds.SOPInstanceUID = generate_uid()
            pixels = ds.pixel_array.astype(np.int32) + offset + 7 * i
            ds.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
            ds.save_as(folder / cls / f"{cls}{i:02d}.dcm")


@pytest.fixture(scope="module")
def anonymised(tmp_path_factory):
    """(project, pretraining run): label set 'anon' (normal/abnormal, one patient key for
    all 30) and 'folders' (the three folders: 'other' has 15 patients)."""
    root = tmp_path_factory.mktemp("anonymised")
    write_scans(root / "scans")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "scans"], cache_size=32, workers=1))
    labels_from_folders(project, "scans")
    with Store.open(project) as store:
        items = store.items(1)
    anon = {i["id"]: i["rel_path"].split("/")[0] for i in items if "other" not in i["rel_path"]}
    set_labels(project, "scans", anon, name="anon")
    run = pretrain(
        PretrainConfig(project=project, dataset="scans", image_size=32, train=quick_train())
    )["run_id"]
    return project, run


def cfg(project, run, **options):
    defaults = {"labels": "anon", "protocol": "linear", "n_boot": 50, "baseline": False}
    return FinetuneConfig(project=project, run=run, train=quick_train(), **{**defaults, **options})


def test_one_id_for_all_is_named_before_training_with_the_way_on(anonymised):
    project, run = anonymised
    for job in (finetune, label_efficiency):
        with pytest.raises(ConfigError) as caught:
            job(cfg(project, run))
        message = str(caught.value)
        assert SAME_ID in message and "no split can keep patients apart" in message
        assert "--no-patient-groups" in message and "only one patient" not in message
    with Store.open(project) as store:
        assert not [r for r in store.runs() if r["kind"] != "pretrain"]  # nothing started


def test_a_class_from_one_patient_among_many_is_named_the_same_way(anonymised):
    project, run = anonymised
    with pytest.raises(ConfigError) as caught:
        finetune(cfg(project, run, labels="folders"))
    message = str(caught.value)
    assert "the classes 'abnormal' (15 items), 'normal' (15 items) carry the same patient" in (
        message
    )
    assert "'other'" not in message and "--no-patient-groups" in message


def test_splitting_by_item_is_recorded_with_its_caveat(anonymised, tmp_path):
    project, run = anonymised
    events = []
    result = finetune(cfg(project, run, group_by_patient=False), report=events.append)
    lines = [e.text for e in events if isinstance(e, Message)]
    assert any(f"6 held out for testing (20%). {ITEM_SPLIT_CAVEAT}" in t for t in lines)
    assert result["status"] == "done" and result["evaluation"] == "test split"
    assert result["test"]["patients_kept_apart"] is False
    assert result["test"]["note"].startswith(ITEM_SPLIT_CAVEAT)
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
        assert store.run(result["run_id"])["config"]["group_by_patient"] is False
    assert json.loads((folder / "config.json").read_text())["group_by_patient"] is False
    assert ITEM_SPLIT_CAVEAT in evaluate(project, result["run_id"])["note"]
    export(project, result["run_id"], tmp_path / "by-item", formats=("safetensors",))
    card = (tmp_path / "by-item" / "MODEL_CARD.md").read_text()
    assert ITEM_SPLIT_CAVEAT in card
    # every item its own group: the card counted them as patients ("24 patients")
    assert " patients)" not in card and "stratified by class (split by item)" in card
    # a run reusing that split (its own config grouped by patient) keeps the caveat in
    # evaluate too: patients are on both sides of the split it reused
    reused = finetune(cfg(project, run, split_from=result["run_id"]))
    assert reused["test"]["patients_kept_apart"] is False
    assert ITEM_SPLIT_CAVEAT in evaluate(project, reused["run_id"])["note"]


def test_the_command_line_names_it_and_goes_on_with_no_patient_groups(anonymised, capsys):
    from ssl_studio.cli import main

    project, run = anonymised
    args = ["finetune", str(project), "--run", str(run), "--labels", "anon"]
    args += ["--protocol", "linear", "--no-baseline", "--steps", "2"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert SAME_ID in err and "--no-patient-groups" in err
    assert main([*args, "--no-patient-groups"]) == 0
    assert f"note: {ITEM_SPLIT_CAVEAT}" in capsys.readouterr().out  # in the report


def test_a_test_share_that_one_patient_keeps_from_the_asked_share_is_said(anonymised):
    """The 30 anonymised scans are one patient among 36 labeled items: whole patients
    allow 3 test items (8 %), not 20 %, and the run's output and report say so."""
    project, run = anonymised
    with Store.open(project) as store:
        items = store.items(1)
    other = sorted(i["id"] for i in items if "other" in i["rel_path"])
    big = {i["id"]: "x" for i in items if "other" not in i["rel_path"]}  # one patient
    big.update({other[0]: "x", other[1]: "x"} | {i: "y" for i in other[2:6]})
    set_labels(project, "scans", big, name="big")
    events = []
    result = finetune(cfg(project, run, labels="big", folds=1), report=events.append)
    said = (
        "The test share is 8% (3 of 36 items), not the 20% asked: patients are kept "
        "whole, and no set of them with every class on both sides comes nearer (the "
        "largest has 30 items, 83%)."
    )
    assert result["test"]["n"] == 3 and result["test"]["note"].startswith(said)
    lines = [e.text for e in events if isinstance(e, Message)]
    assert any(f"3 held out for testing (8%). {said}" in line for line in lines)
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
    assert json.loads((folder / "split.json").read_text())["note"] == said
    assert evaluate(project, result["run_id"])["note"].startswith(said)  # said again
