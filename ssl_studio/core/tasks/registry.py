"""The pretext tasks by name, and how to build one from a name and options."""

from __future__ import annotations

from typing import Any

from torch import nn

from ssl_studio.core.config_fields import describe_options, from_dict
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import SERIES_BACKBONES, Backbone
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.byol import BYOL
from ssl_studio.core.tasks.forecast import Forecast
from ssl_studio.core.tasks.jigsaw import Jigsaw
from ssl_studio.core.tasks.mae import MAE
from ssl_studio.core.tasks.masked_series import MaskedSeries
from ssl_studio.core.tasks.moco import MoCo
from ssl_studio.core.tasks.rotation import Rotation
from ssl_studio.core.tasks.simclr import SimCLR
from ssl_studio.core.tasks.ts2vec import TS2Vec

TASKS: dict[str, type[PretextTask]] = {
    task.name: task
    for task in (SimCLR, MoCo, BYOL, MAE, Jigsaw, Rotation, TS2Vec, MaskedSeries, Forecast)
}


def task_class(name: str) -> type[PretextTask]:
    if name not in TASKS:
        raise ConfigError(f"Unknown task {name!r}; the tasks are: {', '.join(TASKS)}.")
    return TASKS[name]


def build_task(
    name: str, options: dict[str, Any], backbone: Backbone, augment: nn.Module | None
) -> PretextTask:
    """The task ``name`` with ``options`` on ``backbone``: their types checked against its
    config, then their values by the config's ``validate()`` (ConfigError when one is out
    of range), before the task is built."""
    cls = task_class(name)
    if backbone.modality not in cls.modalities:
        raise ConfigError(
            f"Task {name} works on {', '.join(cls.modalities)} data, not {backbone.modality}."
        )
    cfg = from_dict(cls.Config, dict(options), "task")
    validate = getattr(cfg, "validate", None)
    if validate is not None:
        validate()
    return cls(cfg, backbone, augment)


def recorded_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options a recorded run (checkpoint, run row) trained with: ``options`` as
    recorded, plus, for options added since, the value that matches how runs trained
    before they existed (the config's ``before_it_existed``; today's default may differ)."""
    earlier = getattr(task_class(name).Config, "before_it_existed", {})
    return {**earlier, **options}


def check_backbone(name: str, backbone: str) -> None:
    """ConfigError unless task ``name`` can train ``backbone`` (the kind of data the
    backbone reads, then the task's ``backbones``); a new or resumed run checks it, not a
    finished run rebuilt for its weights. The message suggests only backbones and tasks
    that fit the backbone's kind of data."""
    cls = task_class(name)
    kind = "timeseries" if backbone in SERIES_BACKBONES else "image"
    fits = [n for n, t in TASKS.items() if trains(t, kind, backbone)]
    if kind not in cls.modalities:
        raise ConfigError(
            f"Task {name} works on {' and '.join(cls.modalities)} data, not {kind}: "
            f"with {backbone} choose the task {' or '.join(fits)} "
            "(ssl-studio tasks lists the tasks of each kind of data)."
        )
    fitting = cls.backbones
    if fitting is not None and backbone not in fitting:
        raise ConfigError(
            f"Task {name} cannot train {backbone}: choose the backbone "
            f"{' or '.join(fitting)}, or with {backbone} the task {' or '.join(fits)} "
            "(ssl-studio tasks lists the backbones of each task)."
        )


def trains(cls: type[PretextTask], kind: str, backbone: str | None = None) -> bool:
    """Whether task ``cls`` trains on ``kind`` data ("image", "timeseries"), and on
    ``backbone`` when given."""
    fits_backbone = backbone is None or cls.backbones is None or backbone in cls.backbones
    return kind in cls.modalities and fits_backbone


def describe_tasks() -> list[dict[str, Any]]:
    """Every task with its modalities, the backbones it trains (None: all of them),
    explanation and options (``ssl-studio tasks``)."""
    return [
        {
            "name": cls.name,
            "modalities": list(cls.modalities),
            "backbones": None if cls.backbones is None else list(cls.backbones),
            "summary": cls.summary,
            "explanation": cls.explanation,
            "options": describe_options(cls.Config),
        }
        for cls in TASKS.values()
    ]
