"""A run resumed with another CPU thread count than it was trained with says so (a
message, not an error): runs begun before CPU quotas were honoured used the affinity's
count and resume with the quota's."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.events import Message, Step, StopToken
from ssl_studio.core.jobs import create_project, import_data, pretrain


@pytest.fixture
def threads_back():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_resume_with_another_thread_count_says_so(tmp_path, threads_back):
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    for i in range(24):
        pixels = rng.integers(0, 255, (32, 32), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "images" / f"{i}.png")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[tmp_path / "images"], workers=1))
    train = TrainConfig(steps=2, batch_size=8, checkpoint_every_steps=1, log_every_seconds=0.0)
    stop = StopToken()

    def stop_after_one(event):
        if isinstance(event, Step) and event.step == 1:
            stop.stop()

    torch.set_num_threads(1)
    cfg = PretrainConfig(
        project=project, dataset="images", backbone="cnn-small", image_size=32, train=train
    )
    first = pretrain(cfg, report=stop_after_one, stop=stop)
    torch.set_num_threads(2)
    events: list = []
    resume = PretrainConfig(project=project, resume_run=first["run_id"])
    assert pretrain(resume, report=events.append)["status"] == "done"
    told = [e.text for e in events if isinstance(e, Message) and "CPU thread" in e.text]
    assert len(told) == 1 and "trained with 1 CPU thread and resumes with 2" in told[0]
