"""Config values are checked against their field types where they enter."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssl_studio.core.config import PretrainConfig, TrainConfig, from_dict
from ssl_studio.core.config_check import checked, replaced
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.transforms.image_augment import ImageAugmentConfig


def test_harmless_conversions_are_made():
    got = checked(TrainConfig, {"lr": 1, "steps": 4.0, "compile": "No", "device": "cpu"}, "train")
    assert got == {"lr": 1.0, "steps": 4, "compile": False, "device": "cpu"}
    assert isinstance(got["lr"], float) and isinstance(got["steps"], int)
    aug = replaced(ImageAugmentConfig(), {"crop_scale": [0.5, 1], "hflip": "true"}, "augment")
    assert aug.crop_scale == (0.5, 1.0) and aug.hflip is True
    cfg = from_dict(PretrainConfig, {"project": "/tmp/p", "train": {"steps": 3}})
    assert cfg.project == Path("/tmp/p") and cfg.train.steps == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"lr": "fast"}, "train.lr must be a number (or empty), not 'fast'"),
        ({"lr": True}, "train.lr must be a number (or empty), not True"),
        ({"steps": 2.5}, "train.steps must be a whole number (or empty), not 2.5"),
        ({"compile": "maybe"}, "train.compile must be true or false, not 'maybe'"),
        ({"nope": 1}, "Unknown option(s) nope; valid train options are: "),
    ],
)
def test_wrong_values_name_the_option_and_what_it_takes(data, message):
    with pytest.raises(ConfigError) as caught:
        checked(TrainConfig, data, "train")
    assert message in str(caught.value)


def test_whole_sections_of_the_wrong_shape_are_refused():
    with pytest.raises(ConfigError, match="train must be a table of options"):
        from_dict(PretrainConfig, {"project": "/tmp/p", "train": 5})
    with pytest.raises(ConfigError, match="augment must be a table of options"):
        from_dict(PretrainConfig, {"project": "/tmp/p", "augment": [1]})
    with pytest.raises(ConfigError, match="must be a table of options"):
        from_dict(PretrainConfig, [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"augment.crop_scale must be two numbers \[low, high\]"):
        replaced(ImageAugmentConfig(), {"crop_scale": [0.5]}, "augment")


def test_a_fine_tune_batch_of_one_gives_a_reason_that_holds_for_fine_tuning():
    """It said "(views are compared)", which fine-tuning does not do."""
    from ssl_studio.core.finetune_config import FinetuneConfig

    cfg = FinetuneConfig(project=Path("p"), run=1, labels="l", train={"batch_size": 1})
    with pytest.raises(ConfigError, match="batch normalisation needs two samples") as info:
        cfg.validate()
    assert "views are compared" not in str(info.value)
