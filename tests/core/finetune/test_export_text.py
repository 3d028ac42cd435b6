"""Class names outside ASCII (Chinese here) survive the model card and the predictions
CSV on a machine whose default text encoding is a Windows code page."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from finetune_projects import quick_train

from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune, predict
from ssl_studio.core.labels import set_labels
from ssl_studio.core.project.store import Store

NAMES = {"circle": "圆形", "square": "方形"}


def _like_windows(encoding: str | None, stacklevel: int = 2) -> str:
    """io.text_encoding as on Windows: a file opened without an encoding gets cp1252
    (pathlib's read_text/write_text and os.fdopen ask this function)."""
    return "cp1252" if encoding is None else encoding


@pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")
def test_chinese_class_names_in_the_card_and_predictions(image_project, tmp_path, monkeypatch):
    project, run = image_project
    with Store.open(project) as store:
        items = store.items(store.dataset("shapes")["id"])
    labels = {int(i["id"]): NAMES[Path(i["rel_path"]).parent.name] for i in items}
    set_labels(project, "shapes", labels)
    result = finetune(
        FinetuneConfig(
            project=project, run=run, labels="labels", protocol="knn", n_boot=20,
            train=quick_train(steps=2),
        )
    )  # fmt: skip
    pictures = sorted((project.parent / "shapes" / "circle").iterdir())[:2]
    monkeypatch.setattr(io, "text_encoding", _like_windows)
    out = tmp_path / "模型 export"
    export(project, result["run_id"], out, formats=("onnx",))
    predict(out, pictures, tmp_path / "预测.csv")
    monkeypatch.undo()
    card = json.loads((out / "model_card.json").read_text(encoding="utf-8"))
    assert set(card["classes"]) == set(NAMES.values())
    assert "圆形" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    with (tmp_path / "预测.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and {row["predicted"] for row in rows} <= set(NAMES.values())
    assert "p_圆形" in rows[0]
