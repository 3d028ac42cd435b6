"""The progress of knn and linear while they embed their labeled items names what is
embedded (the images or recordings), not "the training labels"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from ssl_studio.core.events import Progress, Stopped
from ssl_studio.core.finetune.protocols import fit_protocol
from ssl_studio.core.finetune_config import FinetuneConfig


@pytest.mark.parametrize(
    ("modality", "phase"),
    [("timeseries", "embedding the labeled recordings"), ("image", "embedding the labeled images")],
)
def test_the_embedding_phase_names_the_labeled_items(tmp_path, modality, phase):
    def embed(encoder, train, device, stop=None, progress=None):
        progress(2, 4)
        raise Stopped  # (what follows the embedding is not this test's)

    data = SimpleNamespace(
        classes=["a", "b"], y=np.array([0, 1, 0, 1]), modality=modality, embed=embed
    )
    events = []
    fitted = fit_protocol(
        "linear",
        nn.Linear(2, 2),
        {},
        data,
        np.arange(4),
        FinetuneConfig(project=tmp_path, run=1),
        device=torch.device("cpu"),
        run_dir=tmp_path,
        report=events.append,
    )
    assert fitted.info["status"] == "stopped"
    [said] = [e for e in events if isinstance(e, Progress)]
    assert (said.phase, said.done, said.total) == (phase, 2, 4)
