"""An export read without SSL Studio or its card: the programs carry the classes, the
decision rule and the input; the card lists checksums of reproducible files; a series
card says the model standardises its input itself."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import pytest
import torch
from finetune_projects import quick_train, written_card
from safetensors import safe_open

import ssl_studio
from ssl_studio.core.export.card_text import decision_sentence, fingerprint_sentence
from ssl_studio.core.export.input_checks import missing_limit
from ssl_studio.core.export.self_description import PROGRAM_KEYS
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune
from ssl_studio.core.labels import labels_from_folders


@pytest.fixture(scope="module")
def thresholded(image_project, tmp_path_factory):
    """(run id, project, folder, card): shapes, kNN, a threshold chosen by Youden's J."""
    project, run = image_project
    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(project=project, run=run, labels="folders", protocol="knn",
                       n_boot=10, baseline=False, val_fraction=0.3, threshold="youden",
                       train=quick_train(steps=2))
    )  # fmt: skip
    out = tmp_path_factory.mktemp("self-describing") / "model"
    return result["run_id"], project, out, export(project, result["run_id"], out)


@pytest.fixture(scope="module")
def series_export(series_project, tmp_path_factory):
    """(folder, card) of a linear probe on the waves, default threshold."""
    project, run = series_project
    result = finetune(
        FinetuneConfig(project=project, run=run, labels="imported", protocol="linear",
                       baseline=False, n_boot=10)
    )  # fmt: skip
    out = tmp_path_factory.mktemp("self-describing-series") / "model"
    return out, export(project, result["run_id"], out)


def _program_keys(out):
    """(ONNX metadata_props, TorchScript extra files) of the export ``out``."""
    onnx_meta = {p.key: p.value for p in onnx.load(str(out / "model.onnx")).metadata_props}
    extra = dict.fromkeys(PROGRAM_KEYS, "")
    torch.jit.load(str(out / "model.pt"), _extra_files=extra)
    return onnx_meta, {k: v.decode() if isinstance(v, bytes) else v for k, v in extra.items()}


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_both_programs_say_classes_threshold_rule_and_input(thresholded):
    _, _, out, card = thresholded
    onnx_meta, extra = _program_keys(out)
    assert onnx_meta == extra  # the same keys and values in both
    assert json.loads(onnx_meta["classes"]) == card["classes"] == ["circle", "square"]
    assert onnx_meta["positive_class"] == "square"
    threshold = card["threshold"]
    assert threshold is not None and float(onnx_meta["threshold"]) == threshold
    assert onnx_meta["decision_rule"] == card["decision_rule"]
    assert f"p(square) >= {threshold:.6g}" in onnx_meta["decision_rule"]
    assert onnx_meta["input"] == "x: float32 [N, 1, 32, 32] (batch, channels, rows, columns)"
    assert "[-2, 2]" in onnx_meta["preprocessing"]
    assert onnx_meta["ssl_studio_version"] == ssl_studio.__version__
    assert onnx_meta["model_name"] == card["name"]


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_re_exporting_gives_the_same_files_and_the_card_s_checksums_match(thresholded, tmp_path):
    run_id, project, out, card = thresholded
    again = export(project, run_id, tmp_path / "again")
    for name in ("model.pt", "model.onnx", "model.safetensors", "golden.npz"):
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert card["sha256"]["files"][name] == digest, name
        # (TorchScript numbers its classes per process and gives each archive a random id)
        assert again["sha256"]["files"][name] == digest or name == "model.pt", name
    assert "sha256sum" in card["sha256"]["how_to_check"]
    _, text = written_card(out)
    assert f"- `golden.npz`: `{card['sha256']['files']['golden.npz']}`" in text
    assert "sha256sum model.pt" in text
    weights = export(project, run_id, tmp_path / "weights-only", formats=("safetensors",))
    # (the command names the files this export has: sha256sum fails on a missing one)
    assert weights["sha256"]["how_to_check"].startswith("sha256sum model.safetensors golden.npz (")
    first, second = written_card(out)[0], written_card(tmp_path / "again")[0]
    for saved in (first, second):
        del saved["created"], saved["sha256"]["files"]["model.pt"]
    assert first == second


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_torchscript_needs_no_no_grad_and_the_weights_name_version_and_size(thresholded):
    _, _, out, card = thresholded
    golden = np.load(out / "golden.npz")
    got = torch.jit.load(str(out / "model.pt"))(torch.from_numpy(golden["x"]))
    assert not got.requires_grad and got.grad_fn is None
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        meta = f.metadata()
    assert meta["ssl_studio_version"] == ssl_studio.__version__ and meta["image_size"] == "32"
    assert "series_length" not in card["spec"]  # (an image model's card)


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_a_default_threshold_is_written_with_its_rule(series_export):
    out, card = series_export
    saved, text = written_card(out)
    assert saved["threshold"] == 0.5 and saved["threshold_is_default"] is True
    assert saved["decision_rule"] == (
        "square (positive) when p(square) > p(sine), else sine (the more probable class, "
        "so p(square) > 0.5; a tie of exactly 0.5 goes to sine)"
    )  # (the argmax the test report scored, which predict uses too)
    assert "greater than that of sine (the default threshold" in text
    assert _program_keys(out)[0]["threshold"] == "0.5"


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_a_series_card_says_the_model_standardises_each_channel_itself(series_export):
    out, card = series_export
    pre = card["preprocessing"]
    assert pre["normalisation"].startswith("do not normalise; feed raw values")
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        mean = f.get_tensor("encoder.input_shift").tolist()
        std = f.get_tensor("encoder.input_scale").tolist()
    scaling = pre["channel_standardisation"]
    assert np.allclose(scaling["mean"], mean, rtol=1e-5) and np.allclose(scaling["std"], std)
    assert len(scaling["channels"]) == len(mean) and std != [1.0] * len(std)
    _, text = written_card(out)
    assert "| channel | mean | std |" in text and "do not normalise" in text
    assert "standardises each channel" in _program_keys(out)[0]["preprocessing"]
    with safe_open(str(out / "model.safetensors"), "pt") as f:
        assert f.metadata()["series_length"] == str(card["spec"]["series_length"])


def test_the_card_names_the_fingerprint_for_what_it_is(thresholded):
    _, _, out, card = thresholded
    found = card["training"]["data_fingerprint"]
    assert len(found["sha256_128"]) == 32 and "sha256" not in found
    assert "first 128 bits" in found["digest"]
    _, text = written_card(out)
    assert f"data fingerprint {found['sha256_128']} (" in text
    assert "the first 128 bits of a SHA-256 digest" in text
    # cards of earlier versions (the app shows them again) still read
    said = fingerprint_sentence({"items": 3, "sha256": "ab" * 16, "content": True}, "image")
    assert f"data fingerprint {'ab' * 16} (" in said
    old = {"positive_class": "b", "threshold": None}  # the default threshold, then
    assert "greater than that of the other class (the default threshold" in decision_sentence(old)


def test_the_card_keeps_how_many_validation_items_chose_the_threshold(thresholded):
    card = thresholded[3]
    choice = card["threshold_choice"]  # the run's record, not only method and items
    assert choice["method"] == "youden" and choice["val_counted"] == "items"
    assert choice["val_positives"] + choice["val_negatives"] == choice["val_items"]
    assert choice["note"].startswith("The threshold was chosen on only")


def test_a_series_card_records_the_largest_missing_share_of_its_training_recordings(
    series_export,
):
    """predict's note on a series with gaps compares its missing share with this."""
    folder, card = series_export
    most = card["spec"]["most_missing"]
    assert 0 < most < 1  # the waves have gaps
    assert most == round(most, 3)
    markdown = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")  # said on it too
    assert (
        f"- Missing values: a training recording had at most {100 * most:.0f} % of its "
        f"values missing; predict gives no answer for a recording (or window) missing more "
        f"than {100 * missing_limit(most):.0f} %"
    ) in markdown
