"""Exporting and predicting in a folder whose path is not ASCII (C:\\Users\\Jürgen\\...).

On Windows torch.jit.load hands a path to C++ as UTF-8, read there in the ANSI code page,
so any such folder failed the export's TorchScript check with "open file failed"
(pytorch/pytorch#75171); older ONNX Runtime releases refused such paths likewise. Linux
opens them either way, so the loaders are replaced here by ones that refuse a non-ASCII
path as Windows does: the export and predict must give them the files' bytes instead.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from finetune_projects import quick_train, write_shapes

from ssl_studio.core.config import ImportConfig, PretrainConfig
from ssl_studio.core.export.program_files import external_data, onnx_session
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, predict, pretrain
from ssl_studio.core.labels import labels_from_folders

NAME = "Jürgen 研究"  # (any non-ASCII character failed; CJK ones are outside Western code pages)


def _refused(where: object) -> bool:
    """Whether Windows would open ``where`` in the wrong code page: a path, not ASCII."""
    return isinstance(where, str | os.PathLike) and not os.fspath(where).isascii()


@pytest.fixture
def as_on_windows(monkeypatch):
    """torch.jit.load and onnxruntime.InferenceSession fail on a non-ASCII path, as on
    Windows; what they were given is recorded."""
    given: list[object] = []
    real_load, real_session = torch.jit.load, onnxruntime.InferenceSession

    def load(f, *args, **kwargs):
        given.append(f)
        if _refused(f):
            raise RuntimeError(f"open file failed because of errno 2 on fopen: {f}")
        return real_load(f, *args, **kwargs)

    def session(model, *args, **kwargs):
        given.append(model)
        if _refused(model):
            raise RuntimeError(f"[ONNXRuntimeError] : 3 : NO_SUCHFILE : {model}")
        return real_session(model, *args, **kwargs)

    monkeypatch.setattr(torch.jit, "load", load)
    monkeypatch.setattr(onnxruntime, "InferenceSession", session)
    return given


@pytest.fixture(scope="module")
def project_run(tmp_path_factory):
    """(project, fine-tuned run id) in a folder named NAME."""
    root = tmp_path_factory.mktemp("windows") / NAME
    write_shapes(root / "shapes", n=16)
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "shapes"], workers=1))
    run = pretrain(
        PretrainConfig(project=project, dataset="shapes", image_size=32, train=quick_train())
    )["run_id"]
    labels_from_folders(project, "shapes")
    cfg = FinetuneConfig(
        project=project, run=run, labels="folders", protocol="knn", n_boot=10,
        baseline=False, train=quick_train(steps=2),
    )  # fmt: skip
    return project, finetune(cfg)["run_id"]


def test_export_and_predict_work_in_a_folder_windows_cannot_name_in_its_code_page(
    project_run, as_on_windows
):
    project, run_id = project_run
    out = project.parent / "exports" / f"{NAME} model"
    card = export(project, run_id, out)  # (checks model.pt and model.onnx by loading them)
    assert card["parity"]["torchscript_max_difference"] <= card["parity"]["tolerance"]
    assert {p.name for p in out.iterdir()} >= {"model.pt", "model.onnx"}
    images = sorted((project.parent / "shapes" / "circle").glob("*.png"))[:3]
    predictions = project.parent / f"{NAME} predictions.csv"
    predict(out, images, predictions)
    with predictions.open(encoding="utf-8-sig") as f:
        assert len(list(csv.DictReader(f))) == 3
    assert as_on_windows and not any(_refused(where) for where in as_on_windows)


def test_an_onnx_program_with_external_weights_is_opened_by_its_path(tmp_path):
    """A program over 2 GB keeps its weights in model.onnx.data, which ONNX Runtime finds
    only from the program's path: bytes would not load it (a small one here, its weights
    big enough to be written out: small tensors stay inside model.onnx)."""
    model = torch.nn.Sequential(torch.nn.Linear(300, 20), torch.nn.Softmax(dim=1)).eval()
    x = torch.rand(4, 300)
    program = torch.onnx.export(model, (x,), input_names=["x"], dynamo=True, verbose=False)
    path = tmp_path / "model.onnx"
    program.save(str(path), external_data=True)
    assert external_data(path).is_file()
    with pytest.raises(Exception):  # noqa: B017 - onnxruntime's own error types
        onnxruntime.InferenceSession(path.read_bytes(), providers=["CPUExecutionProvider"])
    session = onnx_session(path)
    got = session.run(None, {"x": x.numpy()})[0]
    assert np.allclose(got, model(x).detach().numpy(), atol=1e-6)


def test_a_program_without_external_weights_is_given_as_bytes(tmp_path, monkeypatch):
    given: list[object] = []
    monkeypatch.setattr(onnxruntime, "InferenceSession", lambda model, *a, **k: given.append(model))
    path = Path(tmp_path) / "model.onnx"
    path.write_bytes(b"not read by a real session here")
    onnx_session(path)
    assert given == [b"not read by a real session here"]
