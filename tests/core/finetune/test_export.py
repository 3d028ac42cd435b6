"""Export folders: every format reproduces PyTorch, the card is complete and holds no
identifiers, and predict needs nothing but the folder."""

from __future__ import annotations

import csv
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pydicom
import pytest
import torch
from finetune_projects import export_series_model, quick_train
from safetensors import safe_open
from safetensors.torch import load_file

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.metrics import SCALARS, metric_title
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS
from ssl_studio.core.export.writer import TOLERANCE
from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


@pytest.fixture(scope="module")
def image_export(image_project, tmp_path_factory):
    project, run = image_project
    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run,
            labels="folders",
            protocol="knn",
            n_boot=20,
            train=quick_train(steps=2),
        )
    )
    out = tmp_path_factory.mktemp("exports") / "shapes-model"
    card = export(project, result["run_id"], out)
    return project, result, out, card


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_every_format_gives_the_pytorch_probabilities(image_export):
    project, result, out, card = image_export
    assert {p.name for p in out.iterdir()} == {
        "model.pt",
        "model.onnx",
        "model.safetensors",
        "golden.npz",
        "model_card.json",
        "MODEL_CARD.md",
    }
    golden = np.load(out / "golden.npz")
    expected = golden["probabilities"]
    assert expected.shape == (4, 2) and np.allclose(expected.sum(1), 1, atol=1e-5)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    assert np.abs(session.run(None, {"x": golden["x"]})[0] - expected).max() <= TOLERANCE
    scripted = torch.jit.load(str(out / "model.pt"))
    got = scripted(torch.from_numpy(golden["x"])).detach().numpy()
    assert np.abs(got - expected).max() <= TOLERANCE
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
        exports = store.exports(result["run_id"])
    model, _ = load_model(folder / MODEL_FILE)
    weights = load_file(str(out / "model.safetensors"))
    assert weights.keys() == model.state_dict().keys()
    with safe_open(str(out / "model.safetensors"), "pt") as f:  # the network to build
        meta = f.metadata()
    assert (meta["backbone"], json.loads(meta["options_in_effect"])) == (
        "cnn-small",
        {"stem_stride": 1},
    )
    assert json.loads(meta["classes"]) == ["circle", "square"]
    assert card["parity"]["batches"] == 2  # the golden batch and real held-out items
    graph = onnx.load(str(out / "model.onnx")).graph
    assert not [p for node in graph.node for p in node.metadata_props]  # no stack traces
    assert card["parity"]["onnx_max_difference"] <= TOLERANCE
    assert exports[0]["formats"] == ["torchscript", "onnx", "safetensors"]


def test_the_card_says_what_a_user_needs_and_no_identifiers(image_export):
    project, result, out, card = image_export
    saved = json.loads((out / "model_card.json").read_text())
    assert saved["classes"] == ["circle", "square"]
    steps = saved["preprocessing"]  # the images' own size (conftest): not 224 px
    assert steps["image_size"] == 32 and steps["cache_size"] == 32
    assert "the longer side is 32 px" in steps["letterbox"]
    assert "normalisation" in saved["preprocessing"] and "window" in saved["preprocessing"]
    assert saved["metrics"]["test"]["roc_auc"]["low"] is not None
    assert saved["metrics"]["baseline_from_scratch"]["n"] == saved["metrics"]["test"]["n"]
    assert saved["training"]["data_fingerprint"]["sha256_128"]
    assert saved["versions"]["torch"] and saved["training"]["pretext_task"] == "simclr"
    counts = saved["training"]["train_counts"]  # per class, as the training split had them
    assert set(counts) == {"circle", "square"} and sum(counts.values()) == result["train_labels"]
    assert saved["training"]["train_patients"] is None  # (PNG files name no patients)
    assert saved["architecture"]["options_in_effect"] == {"stem_stride": 1}  # (32 px)
    text = (out / "MODEL_CARD.md").read_text()
    assert "Not for clinical diagnosis" in text and "From-scratch baseline" in text
    for name in SCALARS:  # every metric, in both tables, binary: no "macro"
        assert text.count(f"| {metric_title(name, saved['classes'])} | ") == 2
    assert "| Sensitivity (recall of square) |" in text
    assert "macro" not in text
    assert "circle/" not in json.dumps(saved) + text  # no file paths of the data
    assert str(project) not in json.dumps(saved) + text  # nor of the project


def test_the_human_card_is_sentences_and_tables_not_python_dicts(image_export):
    _, result, out, card = image_export
    text = (out / "MODEL_CARD.md").read_text()
    assert not [line for line in text.splitlines() if "{'" in line or "[[" in line]
    k = card["training"]["chosen"]["k"]  # knn: its k in words, nothing of other protocols
    assert f"class of its k = {k} nearest training labels" in text and "C = " not in text
    assert f"holds the embeddings of the {result['train_labels']} training labels" in text
    assert f"Trained on {result['train_labels']} labeled PNG images; data fingerprint " in text
    counts = card["training"]["train_counts"]
    assert f"on {result['train_labels']} labels (circle {counts['circle']}, square " in text
    assert f"{card['parity']['inputs']} inputs in 2 batches" in text
    assert "Parity: the TorchScript and ONNX programs gave the PyTorch model's" in text
    assert f"| torch | {card['versions']['torch']} |" in text
    assert "| truth \\ predicted | circle | square |" in text


def test_the_card_says_what_the_test_is_held_out_from_and_how_sure_its_figures_are(
    image_export,
):
    """The test items' labels are held out, but the encoder was pretrained on their
    images; the card said 'never used for training'. It also names the datasets, the
    split, the test's classes, how the intervals were computed and what the baseline
    comparison shows."""
    _, result, out, card = image_export
    test_n = card["metrics"]["test"]["n"]
    assert card["data"]["dataset"] == "shapes"
    assert card["data"]["pretraining_dataset"] == "shapes"
    assert card["data"]["test_items_in_pretraining"] == {
        "test_items": test_n,
        "in_pretraining": test_n,
        "pretraining_items": card["training"]["pretraining_data_fingerprint"]["items"],
        "exact": True,
    }
    text = (out / "MODEL_CARD.md").read_text()
    assert "(held-out split, never used for training" not in text
    assert f"All of the {test_n} test items were among the " in text
    assert "not from self-supervised pretraining" in text
    assert "- Split: 20 % of the labeled items held out for testing, stratified" in text
    assert "No file had a patient ID" in text  # (PNG shapes)
    counts = [sum(row) for row in card["metrics"]["test"]["confusion"]]
    assert f"Test items: {test_n} (circle {counts[0]}, square {counts[1]}; prevalence" in text
    assert "95 % intervals: percentile bootstrap, 20 resamples of items (seed 0)" in text
    assert text.count("Calibration error (ECE): the most probable class") == 1
    # the baseline comparison is paired: the difference on the same test items
    paired = card["metrics"]["test"]["versus_baseline"]
    assert paired["baseline_run_id"] == result["baseline"]["run_id"]
    assert "this model minus the baseline" in text and "(paired bootstrap over the" in text
    pretrained = card["training"]["pretraining"]  # how the encoder was made, in words too
    assert pretrained["task"] == "simclr" and pretrained["steps"] >= 1
    assert "project" not in json.dumps(pretrained)  # (its folder may name a person)
    assert f"(SSL Studio run {card['training']['pretraining_run']}: {pretrained['steps']} " in text
    assert "augmentations: the defaults for the modality" in text
    assert {"numpy", "scikit-learn", "onnxruntime"} <= set(card["exported_with"])
    assert f"| onnxruntime | {card['exported_with']['onnxruntime']} |" in text


def test_the_card_s_recipe_and_worked_examples_reproduce_predict(image_export, tmp_path):
    from card_recipe import model_input
    from PIL import Image

    from ssl_studio.core.export.preprocess import read_inputs

    _, _, out, card = image_export
    pre, spec = card["preprocessing"], card["spec"]
    said = " ".join(str(v) for v in pre.values())
    for fact in ("Image.Resampling.BICUBIC, reducing_gap=2.0", "uint8", "uint16", "16384",
                 "0.5th and 99.5th percentiles", "align_corners=False", "without antialiasing",
                 "canvas of level 0", "(u - 0.5) * 4", "example_<name>_input"):  # fmt: skip
        assert fact in said, fact
    golden = np.load(out / "golden.npz")  # no pickles: plain arrays only
    names = [str(n) for n in golden["example_names"]]
    inputs = np.stack([golden[f"example_{n}_input"] for n in names])
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    assert np.abs(session.run(None, {"x": inputs})[0] - golden["example_probabilities"]).max() < (
        TOLERANCE
    )
    for name, x in zip(names, inputs, strict=True):
        pixels = golden[f"example_{name}_pixels"]
        ours = model_input(pixels, spec["cache_size"], spec["image_size"], spec["in_channels"])
        assert np.abs(ours - x).max() < 1e-4, name  # the card's text, followed literally
        Image.fromarray(pixels).save(tmp_path / f"{name}.png")
        [item] = read_inputs([tmp_path / f"{name}.png"], spec)  # what predict feeds the model
        assert np.abs(item.x - x).max() < 1e-6, name


def machine_paths_in(folder: Path, *places: Path) -> list[str]:
    """'file: path' for every path of this machine (the working folder, the Python
    installation, the home folder, ``places``) found in a file of ``folder``; zip archives
    (model.pt, golden.npz) are read member by member, uncompressed."""
    needles = {os.getcwd(), sys.prefix, str(Path.home()), *map(str, places)}
    needles = {n.encode() for n in needles if len(n) > 4}  # not "/" nor "/tmp"
    found = []
    for path in sorted(folder.iterdir()):
        parts = {path.name: path.read_bytes()}
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                parts = {f"{path.name}:{n}": archive.read(n) for n in archive.namelist()}
        found += [f"{name}: {n.decode()}" for name, data in parts.items() for n in needles
                  if n in data]  # fmt: skip
    return found


def test_an_export_holds_no_path_of_the_exporting_machine(image_export):
    project, _, out, _ = image_export
    assert machine_paths_in(out, project, out) == []  # TorchScript had them in *.debug_pkl
    with zipfile.ZipFile(out / "model.pt") as archive:
        assert not [n for n in archive.namelist() if n.endswith(".debug_pkl")]


def test_export_refuses_a_used_folder_and_runs_that_are_not_classifiers(image_export):
    project, result, out, _ = image_export
    with pytest.raises(ConfigError, match="not empty"):
        export(project, result["run_id"], out)
    with pytest.raises(ConfigError, match="is a pretraining run; to export, give a fine-tuning"):
        export(project, 1, out.parent / "other")
    with pytest.raises(ConfigError, match="Unknown export format"):
        export(project, result["run_id"], out.parent / "other", ("pickle",))


def test_predict_on_real_dicom_gives_one_row_per_file(image_export, tmp_path):
    _, _, out, card = image_export
    files = [PYDICOM_FILES / name for name in ("CT_small.dcm", "MR_small.dcm", "rtplan.dcm")]
    result = predict(out, files, tmp_path / "predictions.csv")
    rows = list(csv.DictReader((tmp_path / "predictions.csv").open(encoding="utf-8-sig")))
    out_csv = str(tmp_path / "predictions.csv")
    said = {"out": out_csv, "cancelled": False, "disclaimer": NOT_FOR_DIAGNOSIS}
    assert result == {"items": 2, "errors": 1, "notes": 2, **said}
    names = [r["path"].rsplit("/", 1)[-1] for r in rows]  # in path order, errors too
    assert names == ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm"]
    files.reverse()  # given in another order, or found in a folder: the same table
    predict(out, files, tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_text() == (tmp_path / "predictions.csv").read_text()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="No files found under .*empty: nothing to predict"):
        predict(out, [tmp_path / "empty"], tmp_path / "none.csv")
    assert not (tmp_path / "none.csv").exists()
    for row in rows:
        if row["error"]:
            assert "without pixel data" in row["error"] and row["predicted"] == ""
            continue
        p = float(row["p_circle"]) + float(row["p_square"])
        assert p == pytest.approx(1, abs=1e-4) and row["predicted"] in card["classes"]


def test_a_stopped_prediction_writes_nothing(image_export, tmp_path):
    from ssl_studio.core.events import Progress, StopToken

    _, _, out, _ = image_export
    stop = StopToken()
    seen = []

    def report(event):
        seen.append(event)
        if isinstance(event, Progress):
            stop.stop()  # after the first batch

    files = [PYDICOM_FILES / "CT_small.dcm"] * 3 + [PYDICOM_FILES / "MR_small.dcm"]
    result = predict(out, files, tmp_path / "p.csv", report=report, stop=stop)
    assert result["cancelled"] and result["out"] is None and seen
    assert not list(tmp_path.iterdir())  # neither the table nor its temporary file


def test_predict_reads_files_as_training_read_the_cache(image_export, tmp_path):
    from ssl_studio.core.finetune.data import predict_proba
    from ssl_studio.core.finetune.setup import labeled_data

    project, result, out, _ = image_export
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
        model, state = load_model(folder / MODEL_FILE)
        data = labeled_data(store, "shapes", "folders", state["spec"], 3000, None)
        root = store.conn.execute("SELECT path FROM roots").fetchone()[0]
    expected = predict_proba(model, data, np.arange(len(data.items)), torch.device("cpu"))
    by_path = {item["rel_path"]: p for item, p in zip(data.items, expected, strict=True)}
    predict(out, [Path(root)], tmp_path / "all.csv")
    rows = list(csv.DictReader((tmp_path / "all.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 40 and not any(r["error"] for r in rows)
    for row in rows:
        want = by_path[Path(row["path"]).relative_to(root).as_posix()]
        got = [float(row["p_circle"]), float(row["p_square"])]
        assert np.abs(np.array(got) - want).max() < 1e-4, row["path"]


def test_a_series_model_exports_with_any_length(series_project, tmp_path):
    project, run = series_project
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run,
            labels="imported",
            protocol="linear",
            baseline=False,
            n_boot=10,
        )
    )
    card = export(project, result["run_id"], tmp_path / "waves-model")
    assert card["parity"]["onnx_max_difference"] <= TOLERANCE
    assert machine_paths_in(tmp_path / "waves-model", project, tmp_path) == []
    session = onnxruntime.InferenceSession(str(tmp_path / "waves-model" / "model.onnx"))
    for length in (17, 90):
        x = np.sin(np.arange(length, dtype=np.float32) / 4)[None, None]
        observed = np.ones_like(x)
        p = session.run(None, {"x": x, "observed": observed})[0]
        assert p.shape == (1, 2) and np.isclose(p.sum(), 1, atol=1e-5)
    series = tmp_path / "new.csv"
    series.write_text("\n".join(f"{np.sin(i / 8):.4f}" for i in range(50)) + "\n")
    predict(tmp_path / "waves-model", [series], tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert len(rows) == 1 and rows[0]["predicted"] in ("sine", "square")
    # CSVs are read with the layout of the import (recorded in the card), or the one given
    assert card["spec"]["csv_layout"] == "auto" and "layout" in card["preprocessing"]["csv_layout"]
    table = tmp_path / "table.csv"  # five recordings of 30 steps, one per row (none flat)
    table.write_text(
        "\n".join(",".join(f"{np.sin(i * j / 8):.3f}" for j in range(30)) for i in range(1, 6))
    )
    predict(tmp_path / "waves-model", [table], tmp_path / "rows.csv", layout="rows")
    rows = list(csv.DictReader((tmp_path / "rows.csv").open()))
    assert len(rows) == 5 and not any(r["error"] for r in rows)
    predict(tmp_path / "waves-model", [table], tmp_path / "cols.csv", layout="columns")
    [row] = list(csv.DictReader((tmp_path / "cols.csv").open()))
    assert "This series has 30 channels; the model reads 1" in row["error"]  # not 1 of 30
    assert "--layout" not in row["error"]  # no such flag where predict is called (the app)


def test_series_predictions_bound_their_memory(series_project, tmp_path, monkeypatch):
    from ssl_studio.core.export import predict_job as export_job
    from ssl_studio.core.export import preprocess

    project, run = series_project
    result = finetune(
        FinetuneConfig(project=project, run=run, labels="imported", protocol="knn",
                       baseline=False, n_boot=10)
    )  # fmt: skip
    out = tmp_path / "model"
    export(project, result["run_id"], out)
    folder = tmp_path / "recordings"
    folder.mkdir()
    for i in range(5):  # five recordings of one length: they could share a batch
        (folder / f"r{i}.csv").write_text(
            "\n".join(f"{np.sin(t / (3 + i)):.3f}" for t in range(400))
        )
    batches = []
    real_run = export_job._run
    monkeypatch.setattr(export_job, "STEPS_AT_ONCE", 1000)  # 2 recordings of 400 steps
    monkeypatch.setattr(export_job, "_run", lambda s, items, *a: batches.append(len(items))
                        or real_run(s, items, *a))  # fmt: skip
    predict(out, [folder], tmp_path / "p.csv")
    assert batches == [2, 2, 1]
    monkeypatch.setattr(preprocess, "free_memory", lambda: 2_000_000)  # 2 MB free
    predict(out, [folder / "r0.csv"], tmp_path / "q.csv")
    [row] = list(csv.DictReader((tmp_path / "q.csv").open()))
    assert "This recording has 400 steps" in row["error"] and "Split it" in row["error"]


def test_predictions_hide_a_patient_s_name_in_the_paths_of_every_file_read(image_export, tmp_path):
    """A PNG has no names of its own: in its patient's folder (named after the patient in
    CT_small.dcm's header, "CompressedSamples^CT1") its path is redacted with the names
    of the other files of the prediction, as the import redacts it."""
    from PIL import Image

    _, _, out, _ = image_export
    folder = tmp_path / "CompressedSamples_CT1"
    folder.mkdir()
    (folder / "ct.dcm").write_bytes((PYDICOM_FILES / "CT_small.dcm").read_bytes())
    scan = np.add.outer(np.arange(32), np.arange(32)).astype(np.uint8) * 4  # (not flat)
    Image.fromarray(scan).save(folder / "scan.png")
    (folder / "CompressedSamples_note.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    predict(out, [folder], tmp_path / "p.csv")
    text = (tmp_path / "p.csv").read_text(encoding="utf-8-sig")
    assert "CompressedSamples" not in text
    rows = list(csv.DictReader(text.splitlines()))
    assert sorted(Path(r["path"]).name for r in rows) == [
        "[redacted]_note.png",
        "ct.dcm",
        "scan.png",
    ]
    assert {Path(r["path"]).parent.name for r in rows} == {"[redacted]"}
    assert sum(bool(r["error"]) for r in rows) == 1


def test_predictions_are_numbered_by_file_where_hidden_names_make_paths_alike(
    image_export, tmp_path
):
    """Two patients' folders holding files of the same name read alike once their names
    are hidden: rows keep the order of the real paths and a file number tells them apart."""
    _, _, out, _ = image_export
    for patient, source in (("Doe^Jane", "CT_small.dcm"), ("Roe^Rick", "MR_small.dcm")):
        ds = pydicom.dcmread(PYDICOM_FILES / source)
        ds.PatientName = patient
        folder = tmp_path / "in" / patient.replace("^", "_")
        folder.mkdir(parents=True)
        ds.save_as(folder / "scan.dcm")
        (tmp_path / patient[:3]).mkdir()
        ds.save_as(tmp_path / patient[:3] / "scan.dcm")  # alone, in a neutral folder
    predict(out, [tmp_path / "in"], tmp_path / "p.csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    assert [Path(r["path"]).parent.name for r in rows] == ["[redacted]", "[redacted]"]
    assert [r["file_number"] for r in rows] == ["1", "2"]  # Doe_Jane/ before Roe_Rick/
    for row, alone in zip(rows, ("Doe", "Roe"), strict=True):
        predict(out, [tmp_path / alone], tmp_path / f"{alone}.csv")
        [own] = list(csv.DictReader((tmp_path / f"{alone}.csv").open()))
        assert own["file_number"] == "1"
        assert (own["p_circle"], own["note"]) == (row["p_circle"], row["note"])
    # (told apart: the MR file's window tags were set aside, the CT file has none)
    assert "tags were set aside" not in rows[0]["note"]
    assert "tags were set aside" in rows[1]["note"]


def test_a_model_trained_without_window_tags_reads_a_file_s_tags_as_absent(image_export, tmp_path):
    """MR_small.dcm's tags (600/1600) window it unlike the PNG training images: it is read
    as it would be without them, as they were, and the card says to do so."""
    _, _, out, card = image_export
    assert card["spec"]["training_images"]["windows"]["tags"] == 0
    assert "ignoring WindowCenter/WindowWidth" in card["preprocessing"]["window"]
    ds = pydicom.dcmread(PYDICOM_FILES / "MR_small.dcm")
    assert ds.WindowCenter is not None
    (tmp_path / "tags").mkdir()
    ds.save_as(tmp_path / "tags" / "mr.dcm")
    del ds.WindowCenter, ds.WindowWidth
    (tmp_path / "none").mkdir()
    ds.save_as(tmp_path / "none" / "mr.dcm")
    found = {}
    for name in ("tags", "none"):
        predict(out, [tmp_path / name], tmp_path / f"{name}.csv")
        [found[name]] = list(csv.DictReader((tmp_path / f"{name}.csv").open()))
    probabilities = [k for k in found["tags"] if k.startswith("p_")]
    assert [found["tags"][k] for k in probabilities] == [found["none"][k] for k in probabilities]
    assert "tags were set aside" in found["tags"]["note"]
    assert "tags were set aside" not in found["none"]["note"]


def test_an_export_can_be_shared_but_holds_no_predictions(image_export, tmp_path):
    _, _, out, _ = image_export
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0o700
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o666 & ~umask}
    with pytest.raises(ConfigError, match="save them outside it"):
        predict(out, [PYDICOM_FILES / "CT_small.dcm"], out / "sub" / "predictions.csv")
    assert not (out / "sub").exists()


def test_a_patch_transformer_predicts_whole_long_series_as_in_the_app(tmp_path):
    from finetune_projects import quick_train
    from series_data import write_waves

    from ssl_studio.core.config import ImportConfig, PretrainConfig
    from ssl_studio.core.export.preprocess import series_input
    from ssl_studio.core.jobs import create_project, import_data, pretrain

    write_waves(tmp_path / "waves")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "waves"], workers=1))
    run = pretrain(  # windows of 40 steps; predictions read whole series (as evaluation)
        PretrainConfig(
            project=project,
            dataset="waves",
            backbone="ts-patch",
            series_length=40,
            train=quick_train(),
        )
    )["run_id"]
    cfg = FinetuneConfig(
        project=project, run=run, labels="imported", protocol="linear", baseline=False, n_boot=5
    )
    result = finetune(cfg)
    card = export(project, result["run_id"], tmp_path / "model")
    assert card["parity"]["batches"] == 6  # golden, held-out items, 4 more lengths
    assert "whole series" in card["preprocessing"]["length_handling"]
    lengths = (150, 67, 4103)  # not multiples of the patch stride; one over 512 patches
    rng = np.random.default_rng(1)
    for n, length in enumerate(lengths):
        wave = np.sign(np.sin(np.arange(length) / 8 + rng.uniform(0, 6)))
        wave[: length // 2] = np.sin(np.arange(length // 2) / 8)  # starts sine, ends square
        (tmp_path / f"s{n}.csv").write_text("\n".join(f"{v:.4f}" for v in wave) + "\n")
    predict(tmp_path / "model", [tmp_path / f"s{n}.csv" for n in range(3)], tmp_path / "p.csv")
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    with Store.open(project) as store:
        folder = project / store.run(result["run_id"])["folder"]
    model, _ = load_model(folder / MODEL_FILE)
    model.eval()
    for n in range(3):
        values = np.loadtxt(tmp_path / f"s{n}.csv", dtype=np.float32)[None]
        x, observed = series_input(values, card["spec"])
        with torch.no_grad():
            logits = model(torch.from_numpy(x)[None], torch.from_numpy(observed)[None])
        want = torch.softmax(logits, 1)[0].numpy()
        got = [float(rows[f"s{n}.csv"][f"p_{c}"]) for c in card["classes"]]
        assert np.abs(np.array(got) - want).max() < 1e-4, lengths[n]


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_a_full_disk_during_an_export_leaves_nothing_behind(image_export, monkeypatch):
    project, result, out, _ = image_export
    real = Path.write_bytes

    def disk_full(self, data):
        if self.name == "model.safetensors":
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    target = out.parent / "second"
    with pytest.raises(ConfigError, match="the disk is full"):
        export(project, result["run_id"], target)
    assert not target.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".second-")]
    assert sorted(p.name for p in out.iterdir()) == sorted(  # the first export is intact
        ["MODEL_CARD.md", "golden.npz", "model.onnx", "model.pt", "model.safetensors",
         "model_card.json"]
    )  # fmt: skip
    with Store.open(project) as store:
        assert [e["folder"] for e in store.exports()] == [str(out.resolve())]


def test_a_damaged_export_or_a_bad_output_place_is_a_message(image_export, tmp_path):
    import json as json_module
    import shutil

    _, _, out, _ = image_export
    image = PYDICOM_FILES / "CT_small.dcm"
    with pytest.raises(ConfigError, match="is a folder; give --out a file name"):
        predict(out, [image], tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="afile is a file, not a folder. Give --out a file"):
        predict(out, [image], tmp_path / "afile" / "p.csv")
    with pytest.raises(ConfigError, match="typo does not exist. Give --out a file in a folder"):
        predict(out, [image], tmp_path / "typo" / "p.csv")  # (a typo makes no folder)
    assert not (tmp_path / "typo").exists()
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    card = json_module.loads((broken / "model_card.json").read_text())
    assert card["card_format"] == 1
    for text, said in (
        ("{not json", "cannot be read"),
        ("[]", "lacks its spec or classes"),
        (json_module.dumps({**card, "classes": ["a", "b", "c"]}), "gives 2 class probabilities"),
        # (a crafted card: every image would take 6 GB before anything failed)
        (
            json_module.dumps({**card, "spec": {**card["spec"], "cache_size": 40_000}}),
            "gives cache_size = 40000, where 8 to 2048 are possible: it is damaged",
        ),
        (
            json_module.dumps({**card, "spec": {**card["spec"], "in_channels": "3"}}),
            "gives in_channels = '3', where 1 to 4 are possible",
        ),
        (  # a newer SSL Studio's card, whatever else it holds
            json_module.dumps({"card_format": 2, "spec": {"modality": "volume"}}),
            r"written by a newer SSL Studio \(card format 2; this version .* reads format 1",
        ),
    ):
        (broken / "model_card.json").write_text(text)
        with pytest.raises(ConfigError, match=said):
            predict(broken, [image], tmp_path / "p.csv")
    (broken / "model_card.json").write_text(json_module.dumps(card))
    (broken / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="model.onnx in .* differ from the checksums on the"):
        predict(broken, [image], tmp_path / "p.csv")  # (a copy cut short, say)
    del card["sha256"]  # (a card without checksums: the damage is found by loading)
    (broken / "model_card.json").write_text(json_module.dumps(card))
    with pytest.raises(ConfigError, match="cannot be loaded .* export the model again"):
        predict(broken, [image], tmp_path / "p.csv")


def test_a_stopped_export_leaves_nothing_and_the_cli_exits_130(image_export, monkeypatch, capsys):
    from ssl_studio.cli import main
    from ssl_studio.core.events import Message, Stopped, StopToken

    project, result, out, _ = image_export
    stop = StopToken()
    said = []

    def report(event):
        if isinstance(event, Message):
            said.append(event.text)
        if said and "ONNX" in said[-1]:
            stop.stop()  # while the ONNX file is written: it stops before safetensors

    target = out.parent / "stopped"
    with pytest.raises(Stopped):
        export(project, result["run_id"], target, report=report, stop=stop)
    stages = [s for s in said if s.startswith("Writing")]
    assert [s.split()[1] for s in stages] == ["TorchScript", "ONNX"]  # never safetensors
    assert not target.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".stopped-")]
    with Store.open(project) as store:
        assert [e["folder"] for e in store.exports()] == [str(out.resolve())]

    def pressed_ctrl_c(*_):
        token = StopToken()
        token.stop()
        return token

    monkeypatch.setattr("ssl_studio.cli_output.stop_on_ctrl_c", pressed_ctrl_c)
    argv = ["export", str(project), "--run", str(result["run_id"]), "--out", str(target)]
    assert main(argv) == 130
    assert "nothing was written" in capsys.readouterr().out and not target.exists()


def test_predict_matches_series_columns_by_name_and_reads_short_recordings_as_training(
    tmp_path,
):
    rng = np.random.default_rng(0)
    data = tmp_path / "vitals"
    for kind in ("calm", "busy"):
        (data / kind).mkdir(parents=True)
        for i in range(12):
            t = np.arange(40)
            ecg = np.sin(t / (2 if kind == "busy" else 6)) + rng.normal(0, 0.1, 40)
            resp = np.cos(t / 9) * (3 if kind == "busy" else 1)
            rows = "".join(f"{a:.3f},{b:.3f}\n" for a, b in zip(ecg, resp, strict=True))
            (data / kind / f"{kind}{i}.csv").write_text("ecg,resp\n" + rows)
    out, card = export_series_model(tmp_path, data)
    assert card["spec"]["channel_names"] == ["ecg", "resp"]
    assert card["spec"]["csv_prefer"] == "columns" and card["spec"]["fewest_channels"] == 2
    lines = (data / "busy" / "busy0.csv").read_text().splitlines()
    swapped = tmp_path / "swapped.csv"  # the same recording, its columns the other way round
    swapped.write_text("\n".join(",".join(reversed(line.split(","))) for line in lines) + "\n")
    shouting = tmp_path / "shouting.csv"  # the same names in capitals: the same columns
    shouting.write_text("\n".join(["ECG,Resp", *lines[1:]]) + "\n")
    extra = tmp_path / "extra.csv"  # one more column than the model reads: left aside
    extra.write_text("\n".join(f"{line},{i}" for i, line in enumerate(lines)) + "\n")
    lacking = tmp_path / "lacking.csv"  # resp missing, which every training file had
    lacking.write_text("\n".join(line.split(",")[0] for line in lines) + "\n")
    other = tmp_path / "other.csv"  # resp missing and a column the model does not know
    other.write_text("\n".join(line.split(",")[0] + ",1" for line in lines) + "\n")
    other.write_text(other.read_text().replace("ecg,1", "ecg,spo2", 1))
    short = tmp_path / "short.csv"  # 3 steps of 2 channels: auto alone reads 2 series of 3
    short.write_text("\n".join(lines[:4]) + "\n")
    bare = tmp_path / "bare.csv"  # ecg alone, without its name: which channel is it?
    bare.write_text("\n".join(line.split(",")[0] for line in lines[1:]) + "\n")
    flat = tmp_path / "flat.npy"  # [N, T]: 3 series of one channel
    np.save(flat, np.zeros((3, 40), np.float32))
    files = [data / "busy" / "busy0.csv", swapped, shouting, extra, lacking, other, short, bare]
    result = predict(out, [*files, flat], tmp_path / "p.csv")
    assert result["errors"] == 4  # other.csv, lacking.csv, bare.csv and flat.npy (3 rows)
    rows = {
        Path(r["path"]).name: r
        for r in csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    }
    assert len(rows) == 9 and not rows["busy0.csv"]["error"]
    assert "This series has 1 channel; the model reads 2 (ecg, resp)" in rows["bare.csv"]["error"]
    assert rows["bare.csv"]["predicted"] == ""  # no sure-looking answer
    for name in ("p_busy", "p_calm"):
        same = {rows[f][name] for f in ("busy0.csv", "swapped.csv", "shouting.csv", "extra.csv")}
        assert len(same) == 1
    assert rows["lacking.csv"]["error"].startswith("This file has no column 'resp'")
    assert rows["lacking.csv"]["predicted"] == ""  # naming its columns is no way around it
    assert rows["busy0.csv"]["note"] == ""
    assert (
        "no column 'resp', and its column(s) 'spo2' the model does not know"
        in (rows["other.csv"]["error"])
    )
    assert not rows["short.csv"]["error"] and rows["short.csv"]["index"] == "0"


def test_a_recording_at_another_sampling_rate_is_refused_and_an_unknown_one_noted(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": 100.0, "csv_layout": "auto", "csv_prefer": "columns"}  # fmt: skip
    for name, step in (("same.csv", 0.01), ("half.csv", 0.02)):
        rows = "".join(f"{t * step:.2f},{np.sin(t):.3f},{np.cos(t):.3f}\n" for t in range(50))
        (tmp_path / name).write_text("time,ecg,resp\n" + rows)
    rows = "".join(f"{np.sin(t):.3f},{np.cos(t):.3f}\n" for t in range(50))
    (tmp_path / "untimed.csv").write_text("ecg,resp\n" + rows)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    assert found["same.csv"].error is None and found["same.csv"].note == ""
    assert "sampled at 50 per second; the model learned from recordings at 100" in (
        found["half.csv"].error
    )  # a confident answer from the wrong time scale would mean nothing
    assert "sampling rate is unknown" in found["untimed.csv"].note
    assert found["untimed.csv"].error is None


def test_a_headerless_csv_is_read_in_the_training_order_with_a_note(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns"}  # fmt: skip
    (tmp_path / "bare.csv").write_text("".join(f"{t},{t + 100}\n" for t in range(30)))
    (tmp_path / "named.csv").write_text(
        "resp,ecg\n" + "".join(f"{t + 100},{t}\n" for t in range(30))
    )
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    for name in ("bare.csv", "named.csv"):  # the same values, as the same channels
        assert found[name].error is None
        np.testing.assert_array_equal(found[name].x[:, :2], [[0, 1], [100, 101]])
    assert found["bare.csv"].note == (
        "It has no header row, so its columns were taken by position, in the training "
        "files' order: ecg, resp. Add a header row naming them if the order differs."
    )
    assert found["named.csv"].note == ""
    np.save(tmp_path / "arr.npy", np.stack([np.arange(30.0), np.arange(30.0) + 100])[None])
    [array] = read_inputs([tmp_path / "arr.npy"], spec)
    assert array.error is None and array.note.startswith(
        "An array has no column names, so its channels were taken by position, in the "
        "training files' order: ecg, resp."
    )
    unnamed = {**spec, "channel_names": None}  # a model whose files had no header either
    [item] = read_inputs([tmp_path / "bare.csv"], unnamed)
    assert item.error is None and item.note == ""


def test_a_series_with_other_channels_than_the_model_reads_is_refused_for_its_kind(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 2, "channel_names": ["ecg", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
            "fewest_channels": 2}  # fmt: skip
    t = np.arange(40)
    wave = np.stack([np.sin(t / 3), np.cos(t / 5)]).astype(np.float32)  # [2, T]
    (tmp_path / "named.csv").write_text(  # resp missing, by name: refused as bare.csv is
        "ecg\n" + "".join(f"{v:.3f}\n" for v in wave[0])
    )
    (tmp_path / "bare.csv").write_text("".join(f"{v:.3f}\n" for v in wave[0]))  # no header
    (tmp_path / "three.csv").write_text("".join(f"{a:.3f},{b:.3f},1\n" for a, b in wave.T))
    np.save(tmp_path / "flat.npy", wave)  # [N, T]: two series of one channel
    np.save(tmp_path / "wide.npy", np.stack([np.concatenate([wave, wave[:1]])]))  # [1, 3, T]
    np.save(tmp_path / "right.npy", wave[None])  # [1, 2, T]
    found = {(Path(i.path).name, i.index): i for i in read_inputs([tmp_path], spec)}
    named = found[("named.csv", 0)].error  # naming its columns is no way around it
    assert named.startswith("This file has no column 'resp': it has 1 of the model's 2 ")
    assert "training recordings all had 2" in named and "Give it the column 'resp'" in named
    right = found[("right.npy", 0)]  # read by position, and said so
    assert right.error is None and right.note.startswith("An array has no column names")
    bare = found[("bare.csv", 0)].error  # was read as ecg, with resp missing, and no note
    assert bare.startswith("This series has 1 channel; the model reads 2 (ecg, resp), and its ")
    assert "training recordings all had 2" in bare and "header" not in bare
    assert "Give it all 2 channels, in the training files' order (ecg, resp)" in bare
    for index in (0, 1):
        flat = found[("flat.npy", index)].error
        assert "An array [N, T] holds series of one channel" in flat
        assert "save the series as an array [N, 2, T]" in flat and "--layout" not in flat
    wide = found[("wide.npy", 0)].error
    assert wide.startswith("This series has 3 channels; the model reads 2 (ecg, resp).")
    assert "Its array [N, C, T] holds series of 3 channels" in wide and "layout" not in wide
    three = found[("three.csv", 0)].error  # the app has no --layout to point to
    assert three.startswith("This series has 3 channels; the model reads 2")
    assert "--layout" not in three and "lay it out so" in three
    [cli] = read_inputs([tmp_path / "three.csv"], spec, layout_flag="--layout")
    assert "if it holds one series per row, add --layout rows" in cli.error
    # where training recordings had as few channels, the missing ones are read as training
    # read them (unobserved), and the row says so
    narrow = {**spec, "channel_names": None, "fewest_channels": 1}
    [item] = read_inputs([tmp_path / "bare.csv"], narrow)
    assert item.error is None and item.observed[1].sum() == 0
    assert "It has 1 of the model's 2 channels, read by position" in item.note
    [item] = read_inputs([tmp_path / "named.csv"], {**spec, "fewest_channels": 1})
    assert item.error is None and item.observed[1].sum() == 0  # by name, as training had
    assert item.note == "No column 'resp': read as missing values."


def test_a_named_file_lacking_channels_every_training_recording_had_is_refused(tmp_path):
    from ssl_studio.core.export.preprocess import read_inputs

    spec = {"modality": "timeseries", "in_channels": 3, "channel_names": ["hr", "spo2", "resp"],
            "sampling_rate": None, "csv_layout": "auto", "csv_prefer": "columns",
            "fewest_channels": 3}  # fmt: skip
    rows = "".join(f"{70 + t % 5},{97 - t % 3}\n" for t in range(40))
    (tmp_path / "bare2.csv").write_text(rows)
    (tmp_path / "hdr2.csv").write_text("hr,spo2\n" + rows)
    found = {Path(i.path).name: i for i in read_inputs([tmp_path], spec)}
    bare = found["bare2.csv"].error
    assert bare.startswith("This series has 2 channels; the model reads 3 (hr, spo2, resp)")
    assert "header" not in bare  # a header row would not help
    named = found["hdr2.csv"]  # naming its columns is no way around the refusal
    assert named.x is None and named.error.startswith(
        "This file has no column 'resp': it has 2 of the model's 3 channels (hr, spo2, resp), "
        "and its training recordings all had 3"
    )
    assert named.error.endswith("Give it the column 'resp', or rename the column holding it "
                                "to match.")  # fmt: skip
    wider = {**spec, "fewest_channels": 2}  # some training recordings had 2 channels
    [item] = read_inputs([tmp_path / "hdr2.csv"], wider)
    assert item.error is None and item.note == "No column 'resp': read as missing values."
    (tmp_path / "one.csv").write_text("hr\n" + "".join(f"{70 + t % 5}\n" for t in range(40)))
    [one] = read_inputs([tmp_path / "one.csv"], wider)  # fewer than any training recording
    assert one.error.startswith("This file has no column 'spo2', 'resp': it has 1 of the ")
    assert "training recordings had at least 2" in one.error and "the columns" in one.error
