"""Projection and prediction MLPs that sit on a backbone's ``[N, dim]`` features.

Linear layers followed by BatchNorm have no bias (the norm's shift replaces it), as in
SimCLR and MoCo v3. BatchNorm in train mode needs batches of at least 2 samples.
"""

from __future__ import annotations

from torch import nn

from ssl_studio.core.errors import ConfigError


def projection_mlp(
    in_dim: int, hidden_dim: int, out_dim: int, layers: int = 2, last_bn: bool = False
) -> nn.Sequential:
    """SimCLR/MoCo/BYOL projector: x: [N, in_dim] -> [N, out_dim].

    (Linear, BatchNorm1d, ReLU) x (layers - 1), then Linear, then BatchNorm1d without affine
    parameters when ``last_bn`` (MoCo v3), which makes each output feature zero-mean and
    unit-variance over the batch in train mode.
    """
    if layers < 1:
        raise ConfigError(f"A projection MLP needs at least 1 layer, not {layers}.")
    mods: list[nn.Module] = []
    width = in_dim
    for _ in range(layers - 1):
        mods += [nn.Linear(width, hidden_dim, bias=False), nn.BatchNorm1d(hidden_dim)]
        mods.append(nn.ReLU(inplace=True))
        width = hidden_dim
    mods.append(nn.Linear(width, out_dim, bias=not last_bn))
    if last_bn:
        mods.append(nn.BatchNorm1d(out_dim, affine=False))
    return nn.Sequential(*mods)


def prediction_mlp(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """BYOL/MoCo v3 predictor: Linear, BatchNorm1d, ReLU, Linear; x: [N, in_dim] -> [N, out_dim]."""
    return nn.Sequential(
        nn.Linear(in_dim, hidden_dim, bias=False),
        nn.BatchNorm1d(hidden_dim),
        nn.ReLU(inplace=True),
        nn.Linear(hidden_dim, out_dim),
    )
