"""Option help texts are the app's tooltips (and `ssl-studio tasks` lines): they name other
options in plain words ("the horizon fraction"), as the form labels them, never by their
field names ("horizon_fraction"), which the app shows nowhere."""

from __future__ import annotations

import re

from ssl_studio.core.config import ImportConfig, TrainConfig
from ssl_studio.core.config_fields import describe_options
from ssl_studio.core.models.backbones import BACKBONES, describe_backbone_options
from ssl_studio.core.tasks.registry import describe_tasks
from ssl_studio.core.transforms.image_augment import ImageAugmentConfig
from ssl_studio.core.transforms.series_augment import SeriesAugmentConfig


def _shown_in_the_app() -> dict[str, list[dict]]:
    """Every option the app builds a form field (with its help as tooltip) for."""
    groups = {
        "train": describe_options(TrainConfig),
        "import": describe_options(ImportConfig),
        "augment": describe_options(ImageAugmentConfig),
        "series augment": describe_options(SeriesAugmentConfig),
    }
    groups |= {f"task {t['name']}": t["options"] for t in describe_tasks()}
    groups |= {f"backbone {name}": describe_backbone_options(name) for name in BACKBONES}
    return groups


def test_option_help_names_no_option_by_its_field_name():
    groups = _shown_in_the_app()
    fields = {o["name"] for options in groups.values() for o in options if "_" in o["name"]}
    found = [
        f"{group}: {option['name']}: {option['help']}"
        for group, options in groups.items()
        for option in options
        if any(re.search(rf"(?<![\w.]){name}(?!\w)", option["help"]) for name in fields)
    ]
    assert found == []
