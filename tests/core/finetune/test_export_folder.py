"""Export folders: every format reproduces PyTorch, the card is complete and holds no
identifiers nor paths of the exporting machine, and exports refused, damaged, stopped
or cut short by a full disk leave nothing behind."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from export_checks import PYDICOM_FILES, machine_paths_in
from safetensors import safe_open
from safetensors.torch import load_file

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.metrics import SCALARS, metric_title
from ssl_studio.core.export.writer import TOLERANCE
from ssl_studio.core.finetune.saved import MODEL_FILE, load_model
from ssl_studio.core.jobs import export, predict
from ssl_studio.core.project.store import Store


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


def test_an_export_can_be_shared_but_holds_no_predictions(image_export, tmp_path):
    _, _, out, _ = image_export
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask  # not mkdtemp's private 0o700
    assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o666 & ~umask}
    with pytest.raises(ConfigError, match="save them outside it"):
        predict(out, [PYDICOM_FILES / "CT_small.dcm"], out / "sub" / "predictions.csv")
    assert not (out / "sub").exists()


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
