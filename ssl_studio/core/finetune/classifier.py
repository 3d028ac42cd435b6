"""The classifier every protocol produces: an encoder and a head, exportable as one module.

Heads output logits (softmax gives the class probabilities):
- ``linear``: nn.Linear(dim, K); trained, or the logistic-regression probe folded in
  (its standardisation included), so the frozen-encoder protocols export like the others.
- ``knn``: a cosine-similarity k-nearest-neighbour vote over the stored training
  embeddings, weighted by exp(similarity / temperature); logits = log(probabilities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssl_studio.core.evaluation.probes import KNN_TEMPERATURE
from ssl_studio.core.models.backbones import Backbone, build_backbone


class KNNHead(nn.Module):
    """bank: [M, D] training embeddings (normalised here), targets: [M] classes 0..K-1."""

    def __init__(self, bank: Tensor, targets: Tensor, classes: int, k: int) -> None:
        super().__init__()
        self.k = int(min(k, len(bank)))
        self.register_buffer("bank", F.normalize(bank.float(), dim=1))
        self.register_buffer("votes", F.one_hot(targets.long(), classes).float())

    def forward(self, z: Tensor) -> Tensor:
        """z: [N, D] -> logits [N, K]."""
        similarity = F.normalize(z.float(), dim=1) @ self.bank.T  # [N, M]
        top, where = similarity.topk(self.k, dim=1)
        weights = torch.exp(top / KNN_TEMPERATURE)  # [N, k]
        proba = (weights.unsqueeze(2) * self.votes[where]).sum(1)  # [N, K]
        proba = proba / proba.sum(1, keepdim=True)
        return torch.log(proba.clamp_min(1e-8))


def linear_from_logistic(pipeline: Any, dim: int, classes: int) -> nn.Linear:
    """A StandardScaler + LogisticRegression pipeline as one nn.Linear with the same
    probabilities (binary: logits [0, w.x + b], whose softmax is the logistic sigmoid)."""
    scaler, logistic = pipeline[0], pipeline[-1]
    mean = np.asarray(scaler.mean_, np.float64)
    scale = np.asarray(scaler.scale_, np.float64)
    coef = np.asarray(logistic.coef_, np.float64) / scale  # [K or 1, D]
    bias = np.asarray(logistic.intercept_, np.float64) - coef @ mean
    if coef.shape[0] == 1:  # binary
        coef = np.concatenate([np.zeros_like(coef), coef])
        bias = np.concatenate([[0.0], bias])
    layer = nn.Linear(dim, classes)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(coef).float())
        layer.bias.copy_(torch.from_numpy(bias).float())
    return layer


class Classifier(nn.Module):
    """encoder + head: images x [N, C, S, S] (standardized evaluation view), or series
    x [N, C, T] with observed [N, C, T] -> logits [N, K]."""

    def __init__(self, encoder: nn.Module, head: nn.Module, modality: str) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head
        self.modality = modality

    def forward(self, x: Tensor, observed: Tensor | None = None) -> Tensor:
        z = self.encoder(x) if self.modality == "image" else self.encoder(x, observed)
        return self.head(z)


def head_spec(head: nn.Module) -> dict[str, Any]:
    """What rebuilding the head needs (stored in the checkpoint beside the weights)."""
    if isinstance(head, KNNHead):
        return {"kind": "knn", "k": head.k, "bank": list(head.bank.shape)}
    return {"kind": "linear"}


def build_classifier(spec: dict[str, Any]) -> Classifier:
    """An untrained classifier of the shape a checkpoint describes (load its state after).

    spec: modality, backbone, in_channels, image_size, classes, head (see head_spec).
    """
    backbone = _backbone(spec)
    classes = len(spec["classes"])
    head_info = spec["head"]
    if head_info["kind"] == "knn":
        m, d = head_info["bank"]
        head: nn.Module = KNNHead(torch.zeros(m, d), torch.zeros(m), classes, head_info["k"])
    else:
        head = nn.Linear(backbone.dim, classes)
    return Classifier(backbone.module, head, spec["modality"])


def _backbone(spec: dict[str, Any]) -> Backbone:
    return build_backbone(  # series backbones ignore image_size (None for them)
        spec["backbone"],
        in_channels=spec["in_channels"],
        image_size=spec["image_size"],
        **spec.get("backbone_options", {}),  # absent from specs saved before it existed
    )


def fresh_backbone(spec: dict[str, Any], seed: int) -> Backbone:
    """The same architecture, randomly initialised with ``seed`` (the scratch baseline)."""
    torch.manual_seed(seed)
    return _backbone(spec)


def last_block(encoder: nn.Module, backbone: str) -> list[nn.Module]:
    """The encoder's last block, which the ``partial`` protocol trains with the head."""
    if backbone == "cnn-small":  # the layers after the last max-pool
        layers = list(encoder.children())
        pools = [i for i, m in enumerate(layers) if isinstance(m, nn.MaxPool2d)]
        return layers[pools[-1] + 1 :]
    if backbone.startswith("resnet"):
        return [encoder.layer4]
    if backbone.startswith("vit"):
        return [encoder.encoder.layers[-1], encoder.encoder.ln]
    if backbone == "ts-conv":
        return [encoder.final]
    if backbone == "ts-patch":
        return [*list(encoder.layers)[-1:], encoder.norm]
    raise ValueError(f"no last block known for backbone {backbone}")
