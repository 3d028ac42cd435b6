"""Under torchrun each process reads ``--resume latest`` on its own, before joining: the
project changing in between (another job finishing a run) could make them resume
different runs. They compare their choice in start_together's exchange and, when it
differs, all stop together; and a refusal of ``--resume latest`` is said once."""

from __future__ import annotations

import pytest
import torch

from ssl_studio.core.engine import distributed


class PeerDist:
    """torch.distributed with one other rank, whose ``resuming`` (the run it chose,
    None: a new one) and start-up failure all_reduce (MAX) folds in."""

    DistError = RuntimeError

    class ReduceOp:
        MAX = "max"

    def __init__(self, world, resuming, failed=False) -> None:
        self.world, self.failed = world, failed
        self.chosen = -1 if resuming is None else resuming

    def all_reduce(self, tensor, op=None) -> None:
        assert op == "max"
        peer = torch.zeros_like(tensor)
        if self.failed:
            peer[1 - self.world.rank] = 1.0
        size = self.world.size
        peer[size], peer[size + 1] = self.chosen, -self.chosen
        tensor.copy_(torch.maximum(tensor, peer))

    def set_timeout(self, timeout, group=None) -> None:
        pass


def _start(monkeypatch, rank, mine, theirs, failed=False) -> None:
    world = distributed.World(rank=rank, size=2)
    monkeypatch.setattr(distributed, "dist", PeerDist(world, theirs, failed))
    distributed.start_together(None, world, mine)


@pytest.mark.parametrize("rank", [0, 1])
@pytest.mark.parametrize("mine,theirs", [(3, 4), (4, 3), (3, None), (None, 12)])
def test_ranks_that_chose_different_runs_all_stop(monkeypatch, rank, mine, theirs):
    with pytest.raises(distributed.RanksChoseDifferentRuns) as raised:
        _start(monkeypatch, rank, mine, theirs)
    text = str(raised.value)
    assert "chose different runs to resume" in text and "--resume RUN_ID" in text
    low, high = sorted(-1 if r is None else r for r in (mine, theirs))
    assert (f"run {low}" if low >= 0 else "a new run") in text and f"run {high}" in text
    assert raised.value.every_process  # (said once, by the first process)


@pytest.mark.parametrize("rank", [0, 1])
@pytest.mark.parametrize("run", [None, 1, 7, 2**40])
def test_ranks_that_chose_alike_go_on(monkeypatch, rank, run):
    _start(monkeypatch, rank, run, run)


def test_a_peer_that_could_not_start_is_told_first(monkeypatch):
    with pytest.raises(distributed.PeerCouldNotStart):
        _start(monkeypatch, 0, 3, 4, failed=True)


def test_a_refused_resume_latest_is_said_by_each_process_that_refuses(
    tmp_path, monkeypatch, capsys
):
    """Each process reads --resume latest itself; one that refuses says why in its own
    output: when the project changed while they read it only some refuse, and one that
    said nothing left the others waiting to join with nothing in its log (a review)."""
    from torchrun_projects import noise_project

    from ssl_studio.cli import EXIT_FAILED, main

    project = noise_project(tmp_path)  # (no run yet: nothing to resume)
    said = []
    for rank in ("0", "1"):
        monkeypatch.setenv("RANK", rank)
        monkeypatch.setenv("WORLD_SIZE", "2")
        assert main(["pretrain", str(project), "--resume", "latest"]) == EXIT_FAILED
        said.append(capsys.readouterr().err)
    assert all("resume" in text.lower() for text in said), said
