"""README: "Everything runs offline on your own machine; nothing is ever sent anywhere."
Every backbone is built, and a run pretrains, with every connection off this machine
refused and recorded: a backbone that began to fetch pretrained weights (torchvision's
weights="DEFAULT") fails here, whether or not it hides the error."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.jobs import create_project, import_data, pretrain
from ssl_studio.core.models.backbones import BACKBONES, SERIES_BACKBONES, build_backbone

LOCAL = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Connections to anywhere but this machine, and looking up a name, raise and are
    listed; an empty torch hub folder, so that no weights downloaded on this machine
    before are found instead."""
    tried: list[object] = []
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex

    def local(sock: socket.socket, address: object) -> bool:
        return sock.family == socket.AF_UNIX or (
            isinstance(address, tuple) and str(address[0]) in LOCAL
        )

    def guarded(real):
        def attempt(sock, address):
            if not local(sock, address):
                tried.append(address)
                raise ConnectionRefusedError(f"offline test: connection to {address} refused")
            return real(sock, address)

        return attempt

    lookup = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # a name looked up is a connection on its way
        if host is not None and str(host) not in LOCAL:
            tried.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"offline test: {host} not looked up")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", guarded(connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(connect_ex))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-hub"))
    return tried


def test_the_guard_refuses_a_connection_off_this_machine(offline):
    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.connect(("192.0.2.1", 443))  # (TEST-NET-1: never routed)
    assert offline == [("192.0.2.1", 443)]


def test_every_backbone_is_built_without_a_connection(offline):
    for name in BACKBONES:
        if name in SERIES_BACKBONES:
            backbone = build_backbone(name, in_channels=2)
        else:
            backbone = build_backbone(name, in_channels=1, image_size=32)
        assert backbone.dim > 0, name
    assert offline == []


def test_a_pretraining_run_makes_no_connection(offline, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        Image.fromarray(rng.integers(0, 255, (32, 32), dtype=np.uint8)).save(folder / f"{i}.png")
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[folder], cache_size=32, workers=1))
    train = TrainConfig(steps=1, batch_size=4, health_every_steps=10**6, log_every_seconds=0.0)
    summary = pretrain(
        PretrainConfig(project=project, dataset="images", image_size=32, train=train)
    )
    assert summary["status"] == "done" and summary["steps"] == 1
    assert offline == []


ONNX_SESSION = """
import sys
import ssl_studio  # as every entry point does, before onnxruntime
import onnxruntime as ort
import torch
torch.onnx.export(torch.nn.Linear(2, 1), torch.zeros(1, 2), sys.argv[1], dynamo=False)
session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
print(session.run(None, {session.get_inputs()[0].name: [[1.0, 2.0]]})[0].shape)
"""


def test_onnxruntime_keeps_no_telemetry_of_this_machine(tmp_path):
    """onnxruntime, which export and predict use, writes a device id and a queue of usage
    events under ~/.cache/Microsoft to send to Microsoft, unless telemetry is off before
    it is imported (ssl_studio/__init__.py turns it off)."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    env |= {"HOME": str(home), "USERPROFILE": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", ONNX_SESSION, str(tmp_path / "m.onnx")],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "(1, 1)" in done.stdout
    assert list(home.rglob("*")) == []  # no ~/.cache/Microsoft/.../deviceid, no event queue
