"""train.compile compiles the encoder methods each task's training step really calls
(MAE: embed and encode; the time-series tasks: forward_steps), not only ``forward``, and
leaves the checkpoint's state_dict keys as they are. torch.compile itself is replaced by a
recording stand-in: a real compile takes far too long for a test on a CPU."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from series_task_testing import series_batch

from ssl_studio.core.config import TrainConfig
from ssl_studio.core.engine.trainer import Trainer
from ssl_studio.core.events import Message
from ssl_studio.core.models.backbones import build_backbone
from ssl_studio.core.tasks.registry import TASKS, build_task
from ssl_studio.core.transforms.series_augment import SeriesAugment, SeriesAugmentConfig

from task_testing import StandInAugment, image_batch, seeded_backbone

IMAGE_TASKS = {"simclr": "cnn-small", "moco": "cnn-small", "byol": "cnn-small"}
IMAGE_TASKS |= {"jigsaw": "cnn-small", "rotation": "cnn-small", "mae": "vit-tiny"}
SERIES_TASKS = ("ts2vec", "masked", "forecast")


class Compiled:
    """What the stand-in torch.compile returns: calls ``fn`` and counts the calls."""

    def __init__(self, fn) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


class NoBatches:
    """The loader interface _build reads (the steps are made by hand here)."""

    batch_size = 8

    def __len__(self) -> int:
        return 10


def build(name: str):
    """Task ``name`` on a small backbone, and a batch for it."""
    if name in SERIES_TASKS:
        torch.manual_seed(0)
        backbone = build_backbone("ts-conv", in_channels=1)
        return build_task(name, {}, backbone, SeriesAugment(SeriesAugmentConfig())), series_batch(6)
    crop = None if name == "jigsaw" else 32
    task = build_task(
        name, {}, seeded_backbone(0, 32, IMAGE_TASKS[name]), StandInAugment(0.1, crop)
    )
    return task, image_batch(8, 32, 0)


def test_every_task_is_covered():
    assert set(TASKS) == set(IMAGE_TASKS) | set(SERIES_TASKS)


@pytest.mark.parametrize("name", [*IMAGE_TASKS, *SERIES_TASKS])
def test_compile_compiles_what_the_training_step_calls_and_keeps_the_keys(
    name, tmp_path: Path, monkeypatch
):
    torch.set_num_threads(1)
    monkeypatch.setattr(torch, "compile", Compiled)
    task, batch = build(name)
    keys = list(task.state_dict())
    events: list = []
    cfg = TrainConfig(steps=10, batch_size=8, compile=True)
    trainer = Trainer(
        task, NoBatches(), cfg, device=torch.device("cpu"), run_dir=tmp_path, report=events.append
    )
    trainer._build()
    compiled = {n: v for n, v in vars(task.encoder).items() if isinstance(v, Compiled)}
    assert sorted(compiled) == sorted(task.compiled_methods)
    [told] = [e.text for e in events if isinstance(e, Message) and "torch.compile" in e.text]
    assert all(f"encoder.{n}" in told for n in compiled)
    task.train()
    loss, _ = task(batch)
    assert torch.isfinite(loss)
    # each compiled method ran in the step (a compiled method the step never calls: the
    # option did nothing for the task, as forward alone did for MAE and the series tasks)
    assert {n: f.calls > 0 for n, f in compiled.items()} == dict.fromkeys(compiled, True)
    assert list(task.state_dict()) == keys  # no _orig_mod. prefixes


@pytest.mark.parametrize("name", [*IMAGE_TASKS, *SERIES_TASKS])
def test_a_task_names_exactly_the_encoder_methods_its_step_calls(name):
    """The encoder methods a training step calls directly (not those they call in turn)
    are the task's ``compiled_methods``: a new task, or a changed step, that calls another
    one would leave it uncompiled."""
    torch.set_num_threads(1)
    task, batch = build(name)
    encoder, called, depth = task.encoder, set(), [0]

    def spy(method_name, method):
        def call(*args, **kwargs):
            if depth[0] == 0:
                called.add(method_name)
            depth[0] += 1
            try:
                return method(*args, **kwargs)
            finally:
                depth[0] -= 1

        return call

    for method_name in ("forward", "embed", "encode", "forward_steps"):
        if hasattr(encoder, method_name):
            setattr(encoder, method_name, spy(method_name, getattr(encoder, method_name)))
    task.train()
    task(batch)
    assert called == set(task.compiled_methods)
