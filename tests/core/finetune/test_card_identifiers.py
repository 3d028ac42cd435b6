"""Card details never carry a patient ID the project knows (refused, by salted key: the
project keeps no IDs), and what looks like an identifier is warned about; no message
quotes what it found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from finetune_projects import quick_train
from pydicom.uid import generate_uid

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.card_details import (
    CardDetails,
    remember_card_details,
    remembered_card_details,
)
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store

CT = Path(pydicom.__file__).parent / "data" / "test_files" / "CT_small.dcm"
IDS = ("MRN0012345", "4711", "AB-778", "Q17", "ZX-9", "P-0042", "K-51", "R2D2")


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    """(project, fine-tuning run): eight CTs of eight patients (IDS) in two class folders."""
    root = tmp_path_factory.mktemp("ids")
    for n, patient in enumerate(IDS):
        folder = root / "scans" / ("a" if n % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        ds = pydicom.dcmread(CT)
        ds.PatientID, ds.SOPInstanceUID = patient, generate_uid()
        pixels = ds.pixel_array.astype(np.int32) + 300 * (n % 2) + 5 * n
        ds.PixelData = pixels.astype(ds.pixel_array.dtype).tobytes()
        ds.save_as(folder / f"scan{n}.dcm")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "scans"], cache_size=32, workers=1))
    labels_from_folders(project, "scans")
    source = pretrain(
        PretrainConfig(project=project, dataset="scans", image_size=32, train=quick_train())
    )["run_id"]
    cfg = FinetuneConfig(
        project=project, run=source, labels="folders", protocol="knn", n_boot=10,
        baseline=False, test_fraction=0.5, train=quick_train(),
    )  # fmt: skip
    return project, finetune(cfg)["run_id"]


@pytest.mark.parametrize(
    "text", ["Scans of MRN0012345.", "see case #4711 first", "case AB-778", "x/P-0042/y"]
)
def test_a_known_patient_id_is_refused_without_being_named(scans, text):
    project, _ = scans
    with pytest.raises(ConfigError) as caught:
        remember_card_details(project, CardDetails(data_source=f"Our study. {text}"))
    said = str(caught.value)
    assert said.startswith("Data source holds the patient ID of a patient in this project")
    assert not any(patient in said for patient in IDS)
    assert remembered_card_details(project) == CardDetails()


def test_other_numbers_are_kept_and_ids_are_not_stored_to_check_them(scans):
    project, _ = scans
    details = CardDetails(ethics_approval="IRB 2024-117, amended 4712", model_version="1.2")
    remember_card_details(project, details)
    assert remembered_card_details(project) == details
    remember_card_details(project, CardDetails())
    db = (project / "project.db").read_bytes()
    assert not any(patient.encode() in db for patient in IDS)


def test_an_export_refuses_kept_details_that_hold_a_known_id(scans, tmp_path):
    """Details kept before the check existed are checked when a card is written."""
    project, run_id = scans
    with Store.open(project, write=True) as store:
        store.set_card_details({"caveats": "Excludes patient Q17."})
    with pytest.raises(ConfigError, match="Known caveats holds the patient ID") as caught:
        export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert "Q17" not in str(caught.value) and not (tmp_path / "model").exists()
    with Store.open(project, write=True) as store:
        store.set_card_details({})


def test_id_like_text_is_warned_about_by_field_and_place_never_quoted():
    details = CardDetails(
        data_source="Record 00123456 of the archive",
        caveats="Born 15.03.1970; also 1970-03-15",
        ethics_approval="IRB 2024-117 of 2024-05-02",
        contact="+41 44 123 45 67",
    )
    said = details.warnings()
    assert len(said) == 3 and not any(
        v in " ".join(said) for v in ("00123456", "15.03.1970", "2024-05-02")
    )
    assert said[0].startswith("Data source holds a long number") and "character 8" in said[0]
    assert said[1].startswith("Ethics approval / data-use agreement holds a full date")
    assert said[2].startswith("Known caveats holds a full date (a date of birth?) at character 6")
    assert CardDetails(model_version="1.2", caveats="IRB 2024-117").warnings() == []


def test_the_command_line_warns_and_saves_or_refuses_and_says_why(scans, tmp_path, capsys):
    project, _ = scans
    file = tmp_path / "card.toml"
    file.write_text('caveats = "Birth dates like 01/02/1990 were removed."\n', encoding="utf-8")
    assert main(["card-details", str(project), "--set", str(file)]) == 0
    out = capsys.readouterr()
    assert "warning: Known caveats holds a full date" in out.err and "01/02/1990" not in out.err
    assert remembered_card_details(project).caveats.startswith("Birth dates")
    file.write_text('data_source = "Patient 4711 only"\n', encoding="utf-8")
    assert main(["card-details", str(project), "--set", str(file)]) != 0
    out = capsys.readouterr()
    assert "Data source holds the patient ID" in out.err and "4711" not in out.err + out.out
    assert remembered_card_details(project).data_source is None
    remember_card_details(project, CardDetails())


@pytest.mark.parametrize(
    ("text", "at"),
    [("see **12345**", 7), ("see `AB12345`", 6), ("see ID=12345", 8), ("see 12345!", 5),
     ("see (12345).", 6), ("see ..12345", 7), ("see UKB-2019-03-12-001.", 5),
     ("see 1.2.840.113619.7", 5)],
)  # fmt: skip
def test_an_id_wrapped_in_any_punctuation_is_found_at_its_place(text, at):
    import os

    from ssl_studio.core.data.privacy import patient_key
    from ssl_studio.core.export.card_identifiers import refuse_known_patient_ids

    salt = os.urandom(16)
    known = next(
        (k for k in ("AB12345", "UKB-2019-03-12-001", "1.2.840.113619.7") if k in text), "12345"
    )  # (IDs of more pieces than a run joins are tried as the whole word)
    said = f"Known caveats holds the patient ID .* character {at}\\)"
    with pytest.raises(ConfigError, match=said):
        refuse_known_patient_ids({"Known caveats": text}, salt, {patient_key(salt, known)})


def test_each_candidate_is_derived_once_for_all_fields_and_runs_are_bounded(monkeypatch):
    import os

    from ssl_studio.core.export import card_identifiers as ci

    calls = []
    monkeypatch.setattr(ci, "patient_key", lambda salt, word: calls.append(word) or "k")
    salt = os.urandom(16)
    texts = {"Data source": "cohort 2019-2021, n=1234", "Known caveats": "n=1234 (2019-2021)"}
    ci.refuse_known_patient_ids(texts, salt, {"other"})
    assert sorted(calls) == sorted(set(calls)) and len(calls) == ci.candidate_count(texts)
    assert len(calls) == 5  # 2019, 2021, 2019-2021, n=1234, 1234: once each
    long_word = ".".join(f"a{i}" for i in range(20))  # 20 pieces: runs of at most 4
    assert ci.candidate_count({"x": long_word}) == 20 + 19 + 18 + 17  # (69 characters)
    shorter = ".".join(f"a{i}" for i in range(12))  # 12 pieces, 35 characters
    assert ci.candidate_count({"x": shorter}) == 12 + 11 + 10 + 9 + 1  # and the whole word
    tokens = " ".join(f"scan_{i}.dcm" for i in range(200))  # filename-like, 2000+ chars
    assert ci.candidate_count({"x": tokens}) == 200 * 4  # scan_i, scan_i.dcm, i, i.dcm


def test_details_checked_when_saved_are_not_derived_again_at_export(scans, monkeypatch):
    """Saving records a digest of the details and of the patients they were checked
    against; the export's check derives nothing while both are unchanged, and checks
    again once the patients change."""
    from ssl_studio.core.export import card_identifiers as ci
    from ssl_studio.core.export.card_details import refuse_patient_ids

    project, _ = scans
    details = CardDetails(caveats="Cohort 2019-2021, scanner v4.2, n=8")
    remember_card_details(project, details)
    calls = []
    real = ci.patient_key
    monkeypatch.setattr(ci, "patient_key", lambda salt, word: calls.append(1) or real(salt, word))
    with Store.open(project) as store:
        refuse_patient_ids(store, remembered_card_details(project), kept=True)
    assert calls == []
    with Store.open(project, write=True) as store:  # a patient more (as an import would)
        [(was,)] = store.conn.execute("SELECT patient_key FROM items WHERE id = 1")
        store.conn.execute("UPDATE items SET patient_key = 'ffff' WHERE id = 1")
        store.conn.commit()
    try:
        with Store.open(project) as store:
            refuse_patient_ids(store, remembered_card_details(project), kept=True)
        assert len(calls) == ci.candidate_count(details.titled()) > 0
    finally:
        with Store.open(project, write=True) as store:
            store.conn.execute("UPDATE items SET patient_key = ? WHERE id = 1", (was,))
            store.conn.commit()
        remember_card_details(project, CardDetails())


def test_kept_details_holding_an_id_say_where_to_edit_them(scans):
    from ssl_studio.core.export.card_details import refuse_patient_ids

    project, _ = scans
    with Store.open(project) as store:
        with pytest.raises(ConfigError) as caught:
            refuse_patient_ids(store, CardDetails(caveats="Excludes Q17."), kept=True)
    said = str(caught.value)
    assert "card details kept in the project" in said and "Card details… dialog" in said
    assert "ssl-studio card-details" in said and "--set FILE" in said and "Q17" not in said


def test_details_given_to_an_export_are_kept_with_their_check(scans, tmp_path):
    """An export given details keeps them with the marker of their check, so the next
    export does not derive their keys again (it dropped the marker)."""
    from ssl_studio.core.export.card_details import checked_marker

    project, run = scans
    details = CardDetails(caveats="Cohort 2019-2021, n=8")
    export(project, run, tmp_path / "model", formats=("safetensors",), details=details)
    with Store.open(project) as store:
        assert store.card_details_checked() == checked_marker(details, store.patient_keys())
    remember_card_details(project, CardDetails())
