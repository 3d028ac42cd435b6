"""``train.compile``: torch.compile the encoder methods a task's training step calls.

A task names them in ``compiled_methods`` (tasks/base.py): ``forward`` for most image
tasks, ``embed`` and ``encode`` for MAE (it feeds the ViT only the visible patches),
``forward_steps`` for the time-series tasks (one vector per time step). Compiling
``forward`` alone would leave those tasks uncompiled without a word.

Each compiled function is set as an attribute of the encoder instance, so the module
tree, and with it the state_dict keys of checkpoints, stays as it is (no ``_orig_mod.``
prefixes): a compiled run resumes without compile, and the other way round.
"""

from __future__ import annotations

import torch
from torch import nn

DEFAULT_METHODS = ("forward",)  # a task (or fine-tuning's classifier) that names none


def compile_encoder(task: nn.Module) -> list[str]:
    """Replace each of ``task.encoder``'s methods named in ``task.compiled_methods`` by its
    ``torch.compile``-d version, in place. Returns the names compiled."""
    encoder = task.encoder
    names = list(getattr(task, "compiled_methods", DEFAULT_METHODS))
    for name in names:
        method = getattr(encoder, name, None)
        if method is None:
            raise AttributeError(
                f"{type(task).__name__}.compiled_methods names {name!r}, which the encoder "
                f"{type(encoder).__name__} does not have."
            )
        setattr(encoder, name, torch.compile(method))  # an instance attribute, not a module
    return names
