"""BatchNorm over all GPUs under torchrun: which runs convert, and that nothing else changes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.engine.distributed import World, sync_batch_norms
from ssl_studio.core.tasks.moco import MoCo, MoCoConfig

from task_testing import StandInAugment, seeded_backbone

CUDA = torch.device("cuda", 0)


def moco() -> MoCo:
    return MoCo(MoCoConfig(), seeded_backbone(0, image_size=32), StandInAugment(noise=0.1, crop=32))


def norms(module: nn.Module) -> tuple[int, int]:
    """(plain BatchNorm layers, SyncBatchNorm layers) in ``module``."""
    mods = list(module.modules())
    sync = sum(isinstance(m, nn.SyncBatchNorm) for m in mods)
    plain = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in mods) - sync
    return plain, sync


def test_every_batch_norm_of_a_task_and_its_momentum_copy_syncs_on_cuda_ranks():
    task = moco()
    before = {k: v.clone() for k, v in task.state_dict().items()}
    plain, _ = norms(task)
    assert plain > 4  # encoder, projector, predictor and their momentum copies

    assert sync_batch_norms(task, World(rank=1, size=2, local_rank=1), CUDA) == plain
    assert norms(task) == (0, plain)
    after = task.state_dict()
    assert after.keys() == before.keys()  # checkpoints load either way
    assert all(torch.equal(after[k], v) for k, v in before.items())


def test_a_batch_norm_directly_inside_the_module_is_replaced_too():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    assert sync_batch_norms(model, World(rank=0, size=4), CUDA) == 1
    assert isinstance(model[1], nn.SyncBatchNorm)


@pytest.mark.parametrize(
    ("world", "device"),
    [(World(), CUDA), (World(rank=0, size=2), torch.device("cpu"))],
    ids=["one process", "gloo on cpu"],
)
def test_one_process_or_cpu_ranks_keep_their_batch_norms(world, device):
    task = moco()
    plain, _ = norms(task)
    assert sync_batch_norms(task, world, device) == 0
    assert norms(task) == (plain, 0)
