"""Projection and prediction MLPs: shapes, depth, and MoCo v3's affine-free last BatchNorm."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.heads import prediction_mlp, projection_mlp


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("last_bn", [False, True])
def test_projection_shape_and_depth(layers, last_bn):
    head = projection_mlp(32, 64, 16, layers=layers, last_bn=last_bn)
    assert head(torch.randn(8, 32)).shape == (8, 16)
    assert sum(isinstance(m, nn.Linear) for m in head) == layers
    assert sum(isinstance(m, nn.BatchNorm1d) for m in head) == layers - 1 + last_bn


def test_last_bn_gives_zero_mean_unit_variance_features_in_train_mode():
    torch.manual_seed(0)
    head = projection_mlp(32, 64, 16, layers=3, last_bn=True).train()
    out = head(torch.randn(64, 32) * 5 + 3)
    torch.testing.assert_close(out.mean(0), torch.zeros(16), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.var(0, unbiased=False), torch.ones(16), atol=1e-3, rtol=0)
    assert not head[-1].affine


def test_projection_needs_a_layer():
    with pytest.raises(ConfigError, match="at least 1 layer"):
        projection_mlp(32, 64, 16, layers=0)


def test_prediction_shape_and_gradient():
    head = prediction_mlp(16, 64, 16)
    x = torch.randn(8, 16, requires_grad=True)
    out = head(x)
    assert out.shape == (8, 16)
    out.sum().backward()
    assert x.grad is not None and head[0].weight.grad.abs().sum() > 0
