"""Export a fine-tuned classifier to a self-contained folder.

The folder holds the model as TorchScript (``model.pt``), ONNX (``model.onnx``) and
safetensors weights (``model.safetensors``), a golden batch (``golden.npz``: synthetic
inputs, never patient data, and the expected probabilities; for image models also worked
examples of the preprocessing, see examples.py), ``model_card.json`` and
``MODEL_CARD.md``. Every exported program is checked against PyTorch at export time on the
golden batch and on real held-out items (kept in memory only): the largest difference of
any class probability must stay within ``TOLERANCE``. The folder appears only when all of
that succeeded (it is written beside and renamed into place).
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

import ssl_studio
from ssl_studio.core.atomic_files import NEW_FILE_MODE, NEW_FOLDER_MODE
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import Message, Reporter, StopToken, ignore
from ssl_studio.core.export.card import architecture_options, build_card
from ssl_studio.core.export.card_markdown import card_markdown
from ssl_studio.core.export.examples import example_arrays
from ssl_studio.core.export.onnx_version import (
    OLDEST_IR,
    OPSET,
    drop_exporter_notes,
    lower_ir_version,
    onnx_description,
)
from ssl_studio.core.export.program_files import load_torchscript, onnx_session
from ssl_studio.core.export.self_description import (
    checksums,
    input_scaling,
    program_metadata,
    save_npz,
    sorted_header,
)
from ssl_studio.core.export.shape_guard import guarded
from ssl_studio.core.export.work_folder import WorkFolder
from ssl_studio.core.file_names import check_new_folder_name
from ssl_studio.core.finetune.classifier import Classifier
from ssl_studio.core.project.layout import EXPORT_CARD

FORMATS = ("torchscript", "onnx", "safetensors")
FORMAT_HELP = {  # each format in one line, for people choosing (the wizard's export page)
    "torchscript": "TorchScript (model.pt): runs in PyTorch without SSL Studio's code.",
    "onnx": "ONNX (model.onnx): runs in onnxruntime and other tools that read ONNX.",
    "safetensors": "safetensors (model.safetensors): the weights only, to load into the "
    "same network (the card names it).",
}
TOLERANCE = 1e-4  # largest allowed difference of a class probability vs PyTorch
FILES = {
    "torchscript": "model.pt",
    "onnx": "model.onnx",
    "safetensors": "model.safetensors",
}
DESCRIPTIONS = {
    "model.pt": "TorchScript program: torch.jit.load(path)(inputs) -> probabilities "
    "(inputs of another shape than Input gives are refused, the message naming both); a "
    "program runs code as it loads, so load it only from a sender you trust "
    "(ssl-studio predict uses model.onnx only)",
    "model.onnx": onnx_description(OLDEST_IR),  # (the IR version the export gives it)
    "model.safetensors": "the weights only, data and no code (the classifier's state_dict, "
    "keys as SSL Studio's "
    "model code names them): rebuilding the network needs that code, with the backbone and "
    "options_in_effect of the card (also in the file's metadata); model.pt and model.onnx "
    "run without it",
    "golden.npz": "synthetic inputs and the probabilities they must give (a parity check); "
    "for image models also worked examples of the preprocessing (see Input)",
    EXPORT_CARD: "this card, for programs (predict reads it)",
    "MODEL_CARD.md": "this card, for people",
}


class ImageProbabilities(nn.Module):
    """x [N, C, S, S] standardized -> probabilities [N, K]."""

    def __init__(self, classifier: Classifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, x: Tensor) -> Tensor:
        return torch.softmax(self.classifier(x), dim=1)


class SeriesProbabilities(nn.Module):
    """x [N, C, T], observed [N, C, T] (1 observed / 0 missing) -> probabilities [N, K]."""

    def __init__(self, classifier: Classifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, x: Tensor, observed: Tensor) -> Tensor:
        return torch.softmax(self.classifier(x, observed > 0.5), dim=1)


def wrap(classifier: Classifier) -> nn.Module:
    """The classifier as the exported program: inputs -> probabilities."""
    if classifier.modality == "image":
        return ImageProbabilities(classifier).eval()
    return SeriesProbabilities(classifier).eval()


# series lengths the exported programs are also checked at (they read whole series of any
# length): shorter than a patch, not a multiple of the usual strides, longer than one
# attention window of ts-patch (512 patches of 8)
CHECK_LENGTHS = (5, 67, 203, 4103)


def golden_inputs(
    spec: dict[str, Any], n: int = 4, seed: int = 0, length: int = 64
) -> tuple[np.ndarray, ...]:
    """Synthetic inputs of the model's shape (smooth random patterns, not patient data);
    series of ``length`` steps."""
    rng = np.random.default_rng(seed)
    c = spec["in_channels"]
    if spec["modality"] == "image":
        s = spec["image_size"]
        coarse = rng.uniform(-2, 2, (n, c, 4, 4)).astype(np.float32)
        x = torch.nn.functional.interpolate(torch.from_numpy(coarse), size=(s, s), mode="bilinear")
        return (x.numpy(),)
    t = length
    steps = np.linspace(0, 4 * np.pi, t, dtype=np.float32)
    x = np.sin(steps[None, None] * rng.uniform(0.5, 2, (n, c, 1))).astype(np.float32)
    observed = np.ones_like(x)
    observed[0, :, t // 2 :] = 0  # one shorter series, padded
    x[observed == 0] = 0
    return x, observed


def _max_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())


def _check(name: str, difference: float) -> None:
    if not difference <= TOLERANCE:
        raise SSLStudioError(
            f"The {name} export does not reproduce the PyTorch model: a probability differs "
            f"by {difference:.2e} (allowed {TOLERANCE:.0e}). Nothing was exported; please "
            "report this with the backbone name."
        )


def _usual_modes(folder: Path) -> None:
    """Give ``folder`` (made private by mkdtemp on Linux and macOS) and its files the modes
    any new folder and file get under the user's umask, so that a colleague can read a
    shared export. (Windows ignores these bits but the Read-only one: there the folder
    has its parent's ACL from the start, WorkFolder.)"""
    folder.chmod(NEW_FOLDER_MODE)
    for path in folder.iterdir():
        path.chmod(NEW_FILE_MODE)


def _onnx(
    model: nn.Module,
    inputs: tuple[Tensor, ...],
    path: Path,
    modality: str,
    metadata: dict[str, str],
) -> int:
    """Export ``model`` to ONNX at ``path``, ``metadata`` as the model's metadata_props;
    returns the file's IR version (8 unless the program needs a newer one:
    onnx_version.py)."""
    names = ["x"] if modality == "image" else ["x", "observed"]
    batch = torch.export.Dim("batch", min=1)
    shapes: dict[str, Any] = {"x": {0: batch}}
    if modality != "image":
        steps = torch.export.Dim("steps", min=2)
        shapes = {"x": {0: batch, 2: steps}, "observed": {0: batch, 2: steps}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            model,
            inputs,
            input_names=names,
            output_names=["probabilities"],
            dynamic_shapes=shapes,
            opset_version=OPSET,
            dynamo=True,
            verbose=False,
        )
    drop_exporter_notes(program.model)
    program.model.metadata_props.update(metadata)
    program.save(str(path))
    return lower_ir_version(path)


def _torchscript(
    model: nn.Module,
    inputs: tuple[Tensor, ...],
    path: Path,
    metadata: dict[str, str],
    spec: dict[str, Any],
) -> None:
    """Trace ``model``, wrap it in the check of ``spec``'s input shape (shape_guard.py:
    any other shape is refused with a message) and save it to ``path``, ``metadata`` as
    extra files
    (``torch.jit.load(path, _extra_files={key: ""})`` reads them), its parameters saved
    without requires_grad (its outputs need no torch.no_grad), and without the archive's
    debug records (``code/**/*.debug_pkl``): they hold the source file paths of every
    traced line, here the Python installation and SSL Studio's folder, which may name the
    user. Loading and running need only the code, constants and data records, copied
    unchanged.

    The archive is built in memory and written with Python's file I/O, so a full disk is
    an ordinary OSError: torch's own file writer, failing, throws again when it is
    destroyed, and that aborts the whole process (the app runs its jobs in-process)."""
    wanted = [(p, p.requires_grad) for p in model.parameters()]
    try:
        for parameter, _ in wanted:
            parameter.requires_grad_(False)
        traced = torch.jit.trace(model, inputs, check_trace=False)
        full = io.BytesIO()
        torch.jit.save(guarded(traced, spec), full, _extra_files=metadata)
    finally:  # (the caller's classifier is left as it was)
        for parameter, grad in wanted:
            parameter.requires_grad_(grad)
    full.seek(0)
    stripped = io.BytesIO()
    reader = torch._C.PyTorchFileReader(full)
    writer = torch._C.PyTorchFileWriter(stripped)
    for name in reader.get_all_records():
        if not name.endswith(".debug_pkl"):
            data = reader.get_record(name)
            writer.write_record(name, data, len(data))
    writer.write_end_of_file()
    del reader, writer
    path.write_bytes(stripped.getvalue())


def _run_onnx(path: Path, inputs: tuple[np.ndarray, ...], modality: str) -> np.ndarray:
    session = onnx_session(path)
    names = ["x"] if modality == "image" else ["x", "observed"]
    return session.run(None, dict(zip(names, inputs, strict=True)))[0]


def _examples(model: nn.Module, spec: dict[str, Any]) -> dict[str, np.ndarray]:
    """Worked preprocessing examples and the probabilities they give (images only: a
    series is fed as it is read)."""
    if spec["modality"] != "image":
        return {}
    arrays, inputs = example_arrays(spec)
    with torch.no_grad():
        probabilities = model(torch.from_numpy(inputs)).numpy()
    return {**arrays, "example_probabilities": probabilities}


def _next_stage(report: Reporter, stop: StopToken, text: str) -> None:
    stop.check()
    report(Message("export", text))


def check_export_place(out: Path, formats: tuple[str, ...]) -> None:
    """Refuse unknown formats, an ``out`` that exists and is not an empty folder (an
    export never writes over anything), and one whose name Windows cannot have ("CON",
    "a:b", "run."; file_names.py), on every machine: the folder may be copied there."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise ConfigError(
            f"Unknown export format(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(FORMATS)}."
        )
    check_new_folder_name(out, "give the export folder another name")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out} already exists and is not empty; choose a new folder.")
    blocking = next((p for p in out.absolute().parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:  # (the export would stop at the end with "File exists")
        raise ConfigError(
            f"{blocking} is a file, not a folder, so {out} cannot be made there; give --out "
            "a new folder in an existing folder."
        )


def export_classifier(
    classifier: Classifier,
    state: dict[str, Any],
    out: Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    real_inputs: tuple[np.ndarray, ...] | None = None,
    baseline: dict[str, Any] | None = None,
    source: dict[str, Any] | None = None,
    report: Reporter = ignore,
    stop: StopToken | None = None,
) -> dict[str, Any]:
    """Write the export folder ``out`` (must not exist or be empty); returns the card.

    real_inputs: a few held-out items as model inputs, for the parity check only. Each
    format is announced through ``report``; ``stop`` is honoured before each (raises
    events.Stopped, and nothing is left behind).
    """
    stop = stop or StopToken()
    out = Path(out)
    check_export_place(out, formats)
    spec = state["spec"]
    model = wrap(classifier.cpu().eval())
    scaling = input_scaling(classifier, spec)
    metadata = program_metadata(state, scaling)
    golden = golden_inputs(spec)
    checks = [golden] + ([real_inputs] if real_inputs is not None else [])
    if spec["modality"] != "image":
        checks += [golden_inputs(spec, n=2, seed=t, length=t) for t in CHECK_LENGTHS]
    with torch.no_grad():
        expected = [model(*(torch.from_numpy(a) for a in inputs)).numpy() for inputs in checks]
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = WorkFolder(out)
    if folder.removed:
        report(Message("export", _removed_text(folder.removed, out.parent)))
    work = folder.path
    try:
        parity: dict[str, Any] = {
            "tolerance": TOLERANCE,
            "batches": len(checks),
            "inputs": sum(len(inputs[0]) for inputs in checks),
        }
        example = tuple(torch.from_numpy(a) for a in golden)
        descriptions = dict(DESCRIPTIONS)
        if "torchscript" in formats:
            _next_stage(report, stop, "Writing TorchScript and checking it against PyTorch.")
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _torchscript(model, example, work / FILES["torchscript"], metadata, spec)
                loaded = load_torchscript(work / FILES["torchscript"])
            with torch.no_grad():
                diff = max(
                    _max_difference(loaded(*(torch.from_numpy(a) for a in inputs)).numpy(), want)
                    for inputs, want in zip(checks, expected, strict=True)
                )
            _check("TorchScript", diff)
            parity["torchscript_max_difference"] = diff
        if "onnx" in formats:
            _next_stage(report, stop, "Writing ONNX and checking it with ONNX Runtime.")
            ir = _onnx(model, example, work / FILES["onnx"], spec["modality"], metadata)
            descriptions["model.onnx"] = onnx_description(ir)
            diff = max(
                _max_difference(_run_onnx(work / FILES["onnx"], inputs, spec["modality"]), want)
                for inputs, want in zip(checks, expected, strict=True)
            )
            _check("ONNX", diff)
            parity["onnx_max_difference"] = diff
        if "safetensors" in formats:
            _next_stage(report, stop, "Writing safetensors weights.")
            from safetensors.torch import save

            weights = {k: v.contiguous() for k, v in classifier.state_dict().items()}
            # built in memory, written by Python: a full disk is an OSError like any other
            data = sorted_header(save(weights, metadata=_weights_metadata(spec)))
            (work / FILES["safetensors"]).write_bytes(data)
        names = ["x"] if spec["modality"] == "image" else ["x", "observed"]
        save_npz(
            work / "golden.npz",
            {
                **dict(zip(names, golden, strict=True)),
                "probabilities": expected[0],
                **_examples(model, spec),
            },
        )
        written = [FILES[f] for f in formats] + ["golden.npz", EXPORT_CARD, "MODEL_CARD.md"]
        card = build_card(
            {**state, "input_scaling": scaling},
            baseline=baseline,
            formats={name: descriptions[name] for name in written},
            parity=parity,
            source=source or {},
            checksums=checksums(work),
        )
        (work / EXPORT_CARD).write_text(json.dumps(card, indent=2), encoding="utf-8")
        (work / "MODEL_CARD.md").write_text(card_markdown(card), encoding="utf-8")
        _usual_modes(work)
        stop.check()
        folder.finish(out)
    except BaseException:
        folder.discard()
        raise
    return card


def _removed_text(names: list[str], parent: Path) -> str:
    return (
        f"Removed {len(names)} unfinished export folder(s) that an interrupted export "
        f"left in {parent} ({', '.join(names)})."
    )


def _weights_metadata(spec: dict[str, Any]) -> dict[str, str]:
    """What the safetensors file says of itself (strings only): the network to build."""
    size = (
        {"image_size": str(spec["image_size"])}
        if spec["modality"] == "image"
        else {"series_length": str(spec["series_length"])}  # the cap on training windows
    )
    return {
        "format": "pt",
        "made_by": "SSL Studio",
        "ssl_studio_version": ssl_studio.__version__,
        "backbone": spec["backbone"],
        "options_in_effect": json.dumps(architecture_options(spec)),
        "modality": spec["modality"],
        "in_channels": str(spec["in_channels"]),
        "head": spec["head"]["kind"],
        "classes": json.dumps(spec["classes"]),
        **size,
    }
