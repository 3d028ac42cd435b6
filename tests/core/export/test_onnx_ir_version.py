"""model.onnx is stamped with ONNX IR version 8, which ONNX Runtime reads from 1.14 on
(torch's exporter writes 10, refused before 1.18), and the card says which release it
needs; a program that needs a newer IR version keeps it."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from tiny_exports import tiny_export

from ssl_studio.core.export.onnx_version import lower_ir_version
from ssl_studio.core.export.program_files import onnx_session
from ssl_studio.core.export.self_description import PROGRAM_KEYS
from ssl_studio.core.export.writer import TOLERANCE


@pytest.mark.parametrize("modality", ["image", "timeseries"])
def test_an_export_runs_in_onnx_runtime_from_1_14_on(modality, tmp_path):
    card = tiny_export(modality, tmp_path / "model")
    path = tmp_path / "model" / "model.onnx"
    model = onnx.load(str(path))
    assert model.ir_version == 8
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 18)]
    onnx.checker.check_model(str(path), full_check=True)
    # the export's own parity check ran on the rewritten file, and it still holds here
    assert card["parity"]["onnx_max_difference"] <= TOLERANCE
    golden = np.load(tmp_path / "model" / "golden.npz")
    names = ["x"] if modality == "image" else ["x", "observed"]
    got = onnx_session(path).run(None, {n: golden[n] for n in names})[0]
    assert np.abs(got - golden["probabilities"]).max() <= TOLERANCE
    # the model's own metadata_props survive; no exporter notes are left
    meta = {p.key: p.value for p in model.metadata_props}
    assert set(meta) <= set(PROGRAM_KEYS) and json.loads(meta["classes"]) == card["classes"]
    assert not model.graph.metadata_props
    described = card["files"]["model.onnx"]
    assert "opset 18, IR version 8: ONNX Runtime 1.14 or later" in described
    assert described in (tmp_path / "model" / "MODEL_CARD.md").read_text(encoding="utf-8")


def _program(path, **node_fields):
    """A one-node ONNX program (y = relu(x)) stamped with IR version 10, saved at path."""
    node = helper.make_node("Relu", ["x"], ["y"], **node_fields)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 10
    helper.set_model_props(model, {"classes": '["a", "b"]'})
    onnx.save(model, str(path))
    return path


def test_a_program_using_nothing_newer_is_lowered_with_its_metadata(tmp_path):
    path = _program(tmp_path / "plain.onnx")
    assert lower_ir_version(path) == 8
    model = onnx.load(str(path))
    assert model.ir_version == 8
    assert {p.key: p.value for p in model.metadata_props} == {"classes": '["a", "b"]'}


def test_a_program_that_needs_a_newer_ir_version_keeps_it(tmp_path):
    path = _program(tmp_path / "newer.onnx", overload="v2")  # (an IR 10 field)
    before = path.read_bytes()
    assert lower_ir_version(path) == 10
    assert path.read_bytes() == before
