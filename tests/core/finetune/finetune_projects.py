"""Helpers of the fine-tuning tests (imported as ``from finetune_projects import ...``:
tests/ is not a package, so pytest puts this folder on the path)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig


def write_shapes(folder, n=40, size=32, seed=0):
    """circle/ and square/ folders of gray shapes of random size and place."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    for kind in ("circle", "square"):
        (folder / kind).mkdir(parents=True)
    for i in range(n):
        r = rng.integers(5, 10)
        cy, cx = rng.integers(r, size - r, 2)
        circle = i % 2 == 1
        if circle:
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
        image = (mask * rng.integers(120, 255) + rng.normal(0, 8, (size, size))).clip(0, 255)
        kind = "circle" if circle else "square"
        Image.fromarray(image.astype(np.uint8)).save(folder / kind / f"{kind}{i:03d}.png")


def vitals_signals(kind: str, steps: int, rng: np.random.Generator):
    """The two channels of a "calm" or "busy" recording of ``steps`` steps, ([steps],
    [steps]): ecg (faster when busy, with noise drawn from ``rng``) and resp (deeper
    when busy)."""
    t = np.arange(steps)
    ecg = np.sin(t / (2 if kind == "busy" else 6)) + rng.normal(0, 0.1, steps)
    resp = np.cos(t / 9) * (3 if kind == "busy" else 1)
    return ecg, resp


def write_vitals_recording(path, kind: str, rows: int, rng: np.random.Generator) -> None:
    """A CSV recording of ``rows`` steps at 10 Hz: time, ecg, resp (``vitals_signals``)."""
    ecg, resp = vitals_signals(kind, rows, rng)
    lines = "".join(
        f"{i / 10:.1f},{a:.3f},{b:.3f}\n" for i, (a, b) in enumerate(zip(ecg, resp, strict=True))
    )
    path.write_text("time,ecg,resp\n" + lines)


def write_vitals_folder(folder, per_class: int, rows: int) -> None:
    """calm/ and busy/ recordings of ``rows`` steps, ``per_class`` of each
    (``write_vitals_recording``, seed 0)."""
    rng = np.random.default_rng(0)
    for kind in ("calm", "busy"):
        (folder / kind).mkdir(parents=True)
        for i in range(per_class):
            write_vitals_recording(folder / kind / f"{kind}{i}.csv", kind, rows, rng)


def write_counting_recording(folder, name: str, rows: int):
    """folder/name: a 10 Hz recording of ``rows`` steps with a time column and two
    counting channels (ecg, resp); returns its path."""
    lines = "".join(f"{t / 10:.1f},{t % 5},{t % 3}\n" for t in range(rows))
    (folder / name).write_text("time,ecg,resp\n" + lines)
    return folder / name


def quick_train(**extra):
    options = {"steps": 2, "batch_size": 8, "health_every_steps": 10**6, **extra}
    return TrainConfig(log_every_seconds=0.0, **options)


def folder_labels_config(project, run, **options) -> FinetuneConfig:
    """Label set "folders" from the shapes' class folders, and a quick fine-tuning of
    ``run`` on it: kNN, 10 resamples, no baseline, 2 steps (``options`` override)."""
    from ssl_studio.core.labels import labels_from_folders

    labels_from_folders(project, "shapes")
    chosen = {"labels": "folders", "protocol": "knn", "n_boot": 10, "baseline": False,
              "train": quick_train(steps=2), **options}  # fmt: skip
    return FinetuneConfig(project=project, run=run, **chosen)


def written_card(out):
    """(model_card.json, MODEL_CARD.md's text) of the export folder ``out``."""
    import json

    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    return card, (out / "MODEL_CARD.md").read_text(encoding="utf-8")


def export_series_model(tmp_path, data, dataset="vitals", **options):
    """Import the class folders of CSV series in ``data``, pretrain a few steps, fit a
    linear probe on the folder labels and export it to tmp_path/model: (folder, card).
    ``options``: more PretrainConfig options (series_length=20: windows of 20 steps)."""
    from ssl_studio.core.jobs import create_project, export, finetune, import_data, pretrain
    from ssl_studio.core.labels import labels_from_folders

    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], workers=1))
    run = pretrain(PretrainConfig(project=project, dataset=dataset, train=quick_train(), **options))
    labels_from_folders(project, dataset)
    result = finetune(
        FinetuneConfig(project=project, run=run["run_id"], labels="folders", protocol="linear",
                       baseline=False, n_boot=10)
    )  # fmt: skip
    out = tmp_path / "model"
    return out, export(project, result["run_id"], out)


def strip_model_metadata(folder, keep) -> None:
    """Keep only the metadata_props of the export ``folder``'s model.onnx whose key
    ``keep`` accepts (as an export from before they were written), and list the new
    file's checksum on its card."""
    import hashlib
    import json

    import onnx

    model = onnx.load(str(folder / "model.onnx"))
    kept = [(p.key, p.value) for p in model.metadata_props if keep(p.key)]
    del model.metadata_props[:]
    for key, value in kept:
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(folder / "model.onnx"))
    card = json.loads((folder / "model_card.json").read_text(encoding="utf-8"))
    card["sha256"]["files"]["model.onnx"] = hashlib.sha256(
        (folder / "model.onnx").read_bytes()
    ).hexdigest()
    (folder / "model_card.json").write_text(json.dumps(card, indent=2), encoding="utf-8")
