"""Joining the process group: SIGTERM ends a rank at once while it waits for the others
(torchrun's SIGTERM only asked it to stop at a step it never reached: 30 s, then SIGKILL),
and the job's own handler is back afterwards."""

from __future__ import annotations

import signal

import pytest
import torch

from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.distributed import World


def test_sigterm_has_its_default_action_while_a_rank_joins_the_group(monkeypatch):
    seen = []

    def join(backend, rank, world_size, **options):
        seen.append(signal.getsignal(signal.SIGTERM))

    def handler(signum, frame):
        pass

    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "init_process_group", join)
    before = signal.signal(signal.SIGTERM, handler)
    try:
        distributed.init(World(rank=1, size=2), torch.device("cpu"))
        assert seen == [signal.SIG_DFL]
        assert signal.getsignal(signal.SIGTERM) is handler
        assert not distributed.launcher_gone()  # (the same parent as when it joined)
    finally:
        signal.signal(signal.SIGTERM, before)
        distributed.shutdown()


@pytest.mark.parametrize("has_nccl", [True, False])
def test_cuda_processes_use_gloo_and_say_so_where_pytorch_has_no_nccl(monkeypatch, has_nccl):
    """PyTorch for Windows has no NCCL (simulated): "nccl" for CUDA failed every run
    under torchrun there."""
    backends = []
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.dist, "is_nccl_available", lambda: has_nccl)
    monkeypatch.setattr(distributed.dist, "init_process_group", lambda b, **kw: backends.append(b))
    monkeypatch.setattr(distributed.torch.cuda, "set_device", lambda device: None)
    monkeypatch.setattr(distributed, "_collective_device", torch.device("cpu"))
    try:
        note = distributed.init(World(rank=0, size=2), torch.device("cuda", 0))
        assert backends == ["nccl" if has_nccl else "gloo"]
        if has_nccl:
            assert note is None and distributed._collective_device == torch.device("cuda", 0)
        else:
            assert note is not None and "gloo" in note and "no NCCL" in note
            assert distributed._collective_device == torch.device("cpu")
    finally:
        distributed.shutdown()
