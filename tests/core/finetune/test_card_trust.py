"""The card tells a receiver which files are data and which are programs: model.pt
(TorchScript) runs code as it loads and is for trusted senders only; predict runs
model.onnx; model.safetensors is data."""

from __future__ import annotations

from ssl_studio.core.export.writer import DESCRIPTIONS


def test_the_card_says_model_pt_is_a_program_for_trusted_senders_only():
    assert "only from a sender you trust" in DESCRIPTIONS["model.pt"]
    assert "ssl-studio predict uses model.onnx only" in DESCRIPTIONS["model.pt"]
    assert "data and no code" in DESCRIPTIONS["model.safetensors"]
