"""The ONNX IR version ``model.onnx`` is stamped with, and the ONNX Runtime it needs.

torch's exporter stamps its programs with the newest IR version its ONNX release knows
(10 with torch 2.14), and ONNX Runtime refuses a newer IR version than its own ("Unsupported
model IR version: 10, max supported IR version: 9"): every release before 1.18, which many
hospital installations (C#, Java, C++) pin. Opset 18 itself came with IR version 8, so a
program that uses nothing IR 8 lacks is stamped 8 again (``lower_ir_version``) and runs
from ONNX Runtime 1.14 on. The version matrix of onnxruntime's documentation
(docs/reference/compatibility): 1.14 implements opset 18 and reads IR 8, 1.16 reads IR 9,
1.18 reads IR 10.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

OPSET = 18
OLDEST_IR = 8  # the IR version of ONNX 1.13, the release that brought opset 18
# the first ONNX Runtime release that runs opset 18 stamped with each IR version
RUNTIME_FOR_IR = {8: "1.14", 9: "1.16", 10: "1.18"}
# what IR 8 lacks (onnx.proto's IR version history): fields set only from IR 9 or 10 on,
# by the message that has them, and the element types of IR 9 on (float8: 17-20; uint4,
# int4: 21-22; float4 and later: 23 on)
NEWER_FIELDS = {
    "FunctionProto": ("attribute_proto", "overload", "value_info", "metadata_props"),
    "NodeProto": ("overload", "metadata_props", "device_configurations"),
    "GraphProto": ("metadata_props",),
    "ValueInfoProto": ("metadata_props",),
    "TensorProto": ("metadata_props",),
    "ModelProto": ("configuration",),
}
LAST_IR8_TYPE = 16  # BFLOAT16


def drop_exporter_notes(model: Any) -> None:
    """Clear the notes torch's exporter leaves in ``model`` (an onnx_ir Model) beside the
    model's own metadata_props: each node's Python stack (file paths of this machine), the
    graph's and each value's records of the exported program (its signature, original
    node names). Nothing runs on them, and they are what IR version 8 lacks."""
    graphs = [model.graph, *model.functions.values()]
    for graph in graphs:
        if hasattr(graph, "metadata_props"):
            graph.metadata_props.clear()
        values = [*graph.inputs, *graph.outputs]
        values += list(getattr(graph, "initializers", {}).values())
        for node in graph.all_nodes() if hasattr(graph, "all_nodes") else graph:
            node.metadata_props.clear()
            values += [v for v in node.outputs if v is not None]
        for value in values:
            value.metadata_props.clear()


def newer_features(message: Any) -> list[str]:
    """What ``message`` (an onnx ModelProto) and everything in it use that IR version 8
    lacks, as "Message.field" (empty: the program can be stamped 8)."""
    found: list[str] = []
    kind = type(message).__name__
    for field, value in message.ListFields():
        name = field.name
        if name in NEWER_FIELDS.get(kind, ()):
            found.append(f"{kind}.{name}")
        elif name in ("data_type", "elem_type") and value > LAST_IR8_TYPE:
            found.append(f"{kind}.{name} {value}")
        if field.type != field.TYPE_MESSAGE:
            continue
        values = [value] if hasattr(value, "ListFields") else value  # (one, or repeated)
        for inner in values:
            found.extend(newer_features(inner))
    return sorted(set(found))


def lower_ir_version(path: Path) -> int:
    """Stamp the ONNX program ``path`` with IR version 8 when it uses nothing newer and
    onnx.checker accepts it so; returns the IR version the file has afterwards (the one
    it had when it cannot be lowered). Only the program's own file is rewritten (an
    external data file, ``model.onnx.data``, stays as it is: the program keeps pointing
    at it), with everything else in it, its metadata_props included, unchanged."""
    import onnx

    path = Path(path)
    original = path.read_bytes()
    model = onnx.load_model_from_string(original)  # (external data: not loaded, only named)
    if model.ir_version <= OLDEST_IR or newer_features(model):
        return model.ir_version
    model.ir_version = OLDEST_IR
    path.write_bytes(model.SerializeToString(deterministic=True))
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError):
        path.write_bytes(original)
        return onnx.load_model_from_string(original).ir_version
    return OLDEST_IR


def runtime_needed(ir_version: int) -> str:
    """The oldest ONNX Runtime that runs our opset-18 programs of ``ir_version``, in words."""
    release = RUNTIME_FOR_IR.get(max(ir_version, OLDEST_IR))
    return f"ONNX Runtime {release} or later" if release else "a recent ONNX Runtime"


def onnx_description(ir_version: int) -> str:
    """The card's line for model.onnx: opset, IR version and the ONNX Runtime it needs."""
    return (
        f"ONNX program (opset {OPSET}, IR version {ir_version}: {runtime_needed(ir_version)}): "
        "onnxruntime.InferenceSession(path); what ssl-studio predict runs"
    )
