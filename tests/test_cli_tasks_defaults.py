"""`ssl-studio tasks` marks what pretrain uses without --task or --backbone: ts2vec on
ts-conv for series (masked on ts-patch), simclr on the default preset's backbone for
images, each preset's backbone, and vit-tiny for mae."""

from __future__ import annotations

import json

from ssl_studio.cli import main
from ssl_studio.core.config import PRESET_VALUES, PretrainConfig, default_backbone


def test_the_text_marks_the_default_tasks_and_backbones(capsys):
    assert main(["tasks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("simclr [image] (default for images): ") for line in lines)
    assert any(line.startswith("ts2vec [timeseries; ts-conv only] (default for series): ")
               for line in lines)  # fmt: skip
    assert any(line.startswith("masked [timeseries] (default for series on ts-patch): ")
               for line in lines)  # fmt: skip
    assert any(line.startswith("moco [image]: ") for line in lines)  # no default: no mark
    assert "  cnn-small (default for images: preset quick, the default one)" in lines
    assert "  resnet18 (default for images with preset standard)" in lines
    assert "  ts-conv (default for series)" in lines
    assert "  ts-patch" in lines and "  resnet34" in lines


def test_the_marks_are_what_pretrain_uses(capsys, tmp_path):
    assert main(["tasks", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    tasks = {t["name"]: t["default_for"] for t in info["tasks"]}
    backbones = {b["name"]: b["default_for"] for b in info["backbones"]}
    preset = PretrainConfig(project=tmp_path).preset  # (the default preset)
    image = default_backbone("image", preset, "simclr")
    assert tasks["simclr"] == ["default for images"] and tasks["byol"] == []
    assert backbones[image] == [f"default for images: preset {preset}, the default one"]
    assert backbones[default_backbone("timeseries", preset)] == ["default for series"]
    for name, (backbone, *_) in PRESET_VALUES.items():
        assert any(name in said for said in backbones[backbone])
    assert backbones[default_backbone("image", preset, "mae")] == ["default for mae"]
