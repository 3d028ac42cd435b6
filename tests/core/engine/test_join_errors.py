"""What a rank says when init_process_group fails: a peer that never came (the store or
the network timed out) is PeerNeverJoined; NCCL failing on this machine (with device_id
the communicator forms inside the join: DistBackendError) keeps NCCL's own words."""

from __future__ import annotations

import pytest
import torch
import torch.distributed as real_dist

from ssl_studio.core.engine import distributed


class RaisingDist:
    """torch.distributed whose init_process_group raises ``error``."""

    DistError = real_dist.DistError
    DistBackendError = real_dist.DistBackendError

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def is_initialized(self) -> bool:
        return False

    def is_nccl_available(self) -> bool:
        return True

    def init_process_group(self, backend: str, **kwargs) -> None:
        raise self.error


def _init(monkeypatch, error: BaseException) -> None:
    monkeypatch.setattr(distributed, "dist", RaisingDist(error))
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    distributed.init(distributed.World(rank=1, size=2, local_rank=1), torch.device("cuda", 1))


@pytest.mark.parametrize(
    "error",
    [
        real_dist.DistStoreError("Timed out after 301 seconds waiting for clients. 1/2"),
        real_dist.DistNetworkError("The client socket has failed to connect to localhost"),
        real_dist.DistError("something between the ranks"),
        real_dist.DistBackendError("NCCL communicator init: Timeout waiting for the peers"),
    ],
    ids=["store-timeout", "network", "other", "backend-timeout"],
)
def test_a_peer_that_never_came_is_peer_never_joined(monkeypatch, error):
    with pytest.raises(distributed.PeerNeverJoined, match="Not all 2 processes"):
        _init(monkeypatch, error)


def test_nccl_failing_on_this_machine_keeps_its_own_words(monkeypatch):
    said = "NCCL error in: ProcessGroupNCCL.cpp:1234, unhandled cuda error, invalid device"
    with pytest.raises(distributed.BackendFailed) as raised:
        _init(monkeypatch, real_dist.DistBackendError(said))
    text = str(raised.value)
    assert said in text and "communication library" in text and "NCCL" in text
    assert "another one ended" not in text
    assert isinstance(raised.value.__cause__, real_dist.DistBackendError)
