"""A long series is evaluated in pieces, each with the steps its ends depend on, giving the
numbers of the whole series (a 1-hour 12-lead ECG at 500 Hz did not finish in 17 minutes
whole on a CPU)."""

from __future__ import annotations

import pytest
import torch

from ssl_studio.core.models import series
from ssl_studio.core.models.series import PatchTransformerEncoder, TSConvEncoder


def _series(n: int = 2, channels: int = 2, length: int = 3000) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, channels, length, generator=g)
    observed = torch.rand(n, channels, length, generator=g) > 0.1
    observed[1, :, 1000:1400] = False  # a gap across a piece's edge
    return x, observed


def test_the_reach_is_what_the_convolutions_see():
    """A change at one step moves the representations exactly ``reach`` steps either side."""
    encoder = TSConvEncoder(1, hidden=4, dim=8, depth=3, dropout=0.0).eval()
    assert encoder.reach == 2 * (1 + 2 + 4) + 2 * 8
    x = torch.zeros(1, 1, 200)
    moved = x.clone()
    moved[0, 0, 100] = 5.0
    ones = torch.ones_like(x, dtype=torch.bool)
    with torch.no_grad():
        diff = (encoder.forward_steps(moved, ones) - encoder.forward_steps(x, ones)).abs()
    changed = torch.nonzero(diff[0].amax(1) > 0).flatten()
    assert (changed.min().item(), changed.max().item()) == (100 - 30, 100 + 30)


@pytest.mark.parametrize("length", [3000, 1100])  # several pieces, and one short last piece
def test_pieces_give_the_numbers_of_the_whole_series(monkeypatch, length):
    encoder = TSConvEncoder(2, hidden=8, dim=16, depth=4, dropout=0.0).eval()
    x, observed = _series(length=length)
    with torch.no_grad():
        whole_steps = encoder.forward_steps(x, observed)
        whole = encoder(x, observed)
        monkeypatch.setattr(series, "PIECE_STEPS", 256)
        pieces = list(encoder.pieces(x, observed))
        assert len(pieces) == -(-length // 256)
        torch.testing.assert_close(encoder.steps_whole(x, observed), whole_steps)
        torch.testing.assert_close(encoder(x, observed), whole)


def test_training_and_export_tracing_see_one_piece(monkeypatch):
    monkeypatch.setattr(series, "PIECE_STEPS", 256)
    encoder = TSConvEncoder(2, hidden=8, dim=16, depth=2, dropout=0.0)
    x, observed = _series()
    assert len(list(encoder.train().pieces(x, observed))) == 1
    assert len(list(encoder.eval().pieces(x, observed))) > 1
    seen: list[int] = []
    monkeypatch.setattr(
        encoder,
        "forward_steps",
        lambda x, o, m=None: seen.append(x.shape[2]) or x.new_zeros(x.shape[0], x.shape[2], 16),
    )
    with torch.no_grad():
        torch.jit.trace(encoder, (x, observed), check_trace=False)
    assert seen == [3000]  # (a traced program must read any length whole)


def test_an_encoder_that_sees_every_step_is_never_cut(monkeypatch):
    monkeypatch.setattr(series, "PIECE_STEPS", 64)
    encoder = PatchTransformerEncoder(2, dim=16, depth=1).eval()
    x, observed = _series(length=600)
    assert encoder.reach is None and len(list(encoder.pieces(x, observed))) == 1
