"""Joining the process group: SIGTERM ends a rank at once while it waits for the others
(torchrun's SIGTERM only asked it to stop at a step it never reached: 30 s, then SIGKILL),
and the job's own handler is back afterwards."""

from __future__ import annotations

import signal

import torch

from ssl_studio.core.engine import distributed
from ssl_studio.core.engine.distributed import World


def test_sigterm_has_its_default_action_while_a_rank_joins_the_group(monkeypatch):
    seen = []

    def join(backend, rank, world_size):
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
