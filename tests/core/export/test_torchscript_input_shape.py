"""model.pt refuses input of a shape it was not made for, as model.onnx does: an image
model another image size (adaptive pooling would give confident, meaningless
probabilities), another channel count or number of dimensions; a series model another
channel count, or an observed mask unlike x. The message names the shape expected, as the
program's ``input`` metadata gives it, and the shape received."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from tiny_exports import SPECS, tiny_export

from ssl_studio.core.export.program_files import load_torchscript
from ssl_studio.core.export.writer import TOLERANCE, wrap
from ssl_studio.core.finetune.classifier import build_classifier

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*:FutureWarning")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """{modality: the export folder} of the two tiny models, TorchScript only."""
    root = tmp_path_factory.mktemp("torchscript-shapes")
    for modality in ("image", "timeseries"):
        tiny_export(modality, root / modality, formats=("torchscript",))
    return {m: root / m for m in ("image", "timeseries")}


def _same_model(modality):
    """The PyTorch program tiny_export exported (the same seed, the same weights)."""
    torch.manual_seed(0)
    return wrap(build_classifier(SPECS[modality]))


def _refusal(program, *inputs):
    """The message model.pt refuses ``inputs`` with."""
    with pytest.raises(torch.jit.Error) as caught:
        program(*inputs)
    return str(caught.value)


def test_an_image_model_of_the_right_shape_gives_the_pytorch_probabilities(exported):
    out = exported["image"]
    program = torch.jit.load(str(out / "model.pt"))
    assert program.original_name == "ImageShapeGuard"  # (the check wraps the traced model)
    golden = np.load(out / "golden.npz")
    got = program(torch.from_numpy(golden["x"])).numpy()
    assert np.abs(got - golden["probabilities"]).max() <= TOLERANCE
    x = torch.randn(3, 1, 32, 32)  # another batch size than the golden batch's 4
    with torch.no_grad():
        want = _same_model("image")(x)
    assert torch.allclose(load_torchscript(out / "model.pt")(x), want, atol=TOLERANCE)
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert "another shape than Input gives are refused" in card["files"]["model.pt"]


@pytest.mark.parametrize(
    ("shape", "what"),
    [
        ((2, 1, 224, 224), "image size"),  # accepted before (adaptive pooling)
        ((2, 1, 32, 48), "not square"),
        ((2, 3, 32, 32), "channels"),
        ((1, 32, 32), "no batch dimension"),
        ((2, 1, 1, 32, 32), "five dimensions"),
    ],
)
def test_an_image_model_refuses_another_shape_naming_both(exported, shape, what):
    out = exported["image"]
    extra = {"input": ""}
    program = torch.jit.load(str(out / "model.pt"), _extra_files=extra)
    assert "[N, 1, 32, 32] (batch, channels, rows, columns)" in extra["input"].decode()
    message = _refusal(program, torch.zeros(shape))
    said = (
        "model.pt expects x of shape [N, 1, 32, 32] (batch, channels, rows, columns), got "
        f"{list(shape)}: prepare the images as MODEL_CARD.md (Input) says (1 channel, "
        "resampled to 32 x 32 px)"
    )
    assert said in message, what


def test_a_series_model_takes_any_length_and_batch(exported):
    out = exported["timeseries"]
    program = load_torchscript(out / "model.pt")
    assert program.original_name == "SeriesShapeGuard"
    golden = np.load(out / "golden.npz")
    got = program(torch.from_numpy(golden["x"]), torch.from_numpy(golden["observed"]))
    assert np.abs(got.numpy() - golden["probabilities"]).max() <= TOLERANCE
    x, observed = torch.randn(3, 2, 37), torch.ones(3, 2, 37)
    with torch.no_grad():
        want = _same_model("timeseries")(x, observed)
    assert torch.allclose(program(x, observed), want, atol=TOLERANCE)


@pytest.mark.parametrize(
    ("x", "observed", "what"),
    [
        ((2, 3, 50), (2, 3, 50), "channels"),
        ((2, 1, 50), (2, 1, 50), "one channel"),
        ((2, 50), (2, 50), "no channel dimension"),
        ((2, 2, 50), (2, 2, 40), "observed of another length"),
        ((2, 2, 50), (1, 2, 50), "observed of another batch"),
    ],
)
def test_a_series_model_refuses_other_channels_or_an_unlike_mask(exported, x, observed, what):
    extra = {"input": ""}
    program = torch.jit.load(str(exported["timeseries"] / "model.pt"), _extra_files=extra)
    assert "x: float32 [N, 2, T] (batch, channels, time" in extra["input"].decode()
    message = _refusal(program, torch.zeros(x), torch.ones(observed))
    said = (
        "model.pt expects x and observed of shape [N, 2, T] (batch, channels, time; any "
        f"length T), both alike, got x {list(x)} and observed {list(observed)}: give the "
        "model its 2 channels as MODEL_CARD.md (Input) describes"
    )
    assert said in message, what


def test_model_pt_refuses_another_dtype_saying_how_to_convert(exported):
    """float64 (NumPy's default) failed deep inside the network before; uint8 pixels
    would be raw values the card's preprocessing has not standardized."""
    image = torch.jit.load(str(exported["image"] / "model.pt"))
    for dtype, name in ((torch.float64, "float64"), (torch.uint8, "uint8")):
        message = _refusal(image, torch.zeros(2, 1, 32, 32, dtype=dtype))
        assert f"model.pt expects x as float32, got {name}: convert it with x.float()" in message
        assert "MODEL_CARD.md (Input) describes (not raw pixels)" in message
    series = torch.jit.load(str(exported["timeseries"] / "model.pt"))
    x = torch.zeros(2, 2, 30, dtype=torch.float64)
    message = _refusal(series, x, torch.ones(2, 2, 30, dtype=torch.bool))
    said = "expects x and observed as float32, got float64 and bool: convert them"
    assert said in message
    assert series(x.float(), torch.ones(2, 2, 30)).shape == (2, 2)
