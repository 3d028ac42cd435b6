"""What every registered pretext task must have, so that a new one cannot be half added:
the registry (``TASKS``) is the only list, and everything else (``ssl-studio tasks``, the
GUI's list and option forms, the job's tests) is derived from it; what cannot be derived
(the README's table, a test file) is checked here. Also how the registry checks a task
against a backbone and its options."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest

from ssl_studio.core.config_fields import option, type_names
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.models.backbones import BACKBONES, SERIES_BACKBONES, build_backbone
from ssl_studio.core.tasks.base import PretextTask
from ssl_studio.core.tasks.registry import TASKS, build_task, check_backbone

ROOT = Path(__file__).resolve().parents[3]
# the types the GUI's options form makes a field for (gui/options_form.py)
FORM_TYPES = ("bool", "int", "float", "str", "int|None", "float|None", "str|None", "bool|None")
FORM_TYPES += ("tuple[float,float]",)


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_describes_itself_and_its_options(name):
    cls = TASKS[name]
    assert cls.name == name and cls.modalities and set(cls.modalities) <= {"image", "timeseries"}
    assert cls.summary.strip() and len(cls.explanation) > 80
    assert dataclasses.is_dataclass(cls.Config) and callable(getattr(cls.Config, "validate", None))
    kinds = type_names(cls.Config)
    for f in dataclasses.fields(cls.Config):
        # a form field for every option, its help text as the tooltip
        assert kinds[f.name].replace(" ", "") in FORM_TYPES, f"{name}.{f.name}: {kinds[f.name]}"
        assert f.metadata.get("help"), f"{name}.{f.name} has no help text"
    cls.Config().validate()  # the defaults are valid
    assert cls.min_batch_size >= 1
    for backbone in cls.backbones or ():
        assert backbone in BACKBONES


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_has_its_test_file_and_a_row_in_the_readme(name):
    module = Path(inspect.getfile(TASKS[name])).stem
    assert (ROOT / "tests" / "core" / "tasks" / f"test_{module}.py").is_file()
    assert f"| `{name}` |" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_task_for_other_data_suggests_only_tasks_for_the_backbone_s_data():
    """ts2vec on an image dataset (its backbone cnn-small): the image tasks, not ts-conv."""
    with pytest.raises(ConfigError, match="ts2vec works on timeseries data, not image") as e:
        check_backbone("ts2vec", "cnn-small")
    assert "ts-conv" not in str(e.value)
    suggested = str(e.value).split("choose the task ")[1].split(" (")[0].split(" or ")
    assert suggested == [n for n, t in TASKS.items() if "image" in t.modalities and not t.backbones]
    with pytest.raises(ConfigError, match="simclr works on image data, not timeseries") as e:
        check_backbone("simclr", "ts-patch")
    assert "ts2vec" not in str(e.value)  # (it cannot train ts-patch)
    with pytest.raises(ConfigError, match="mae cannot train cnn-small: choose the backb") as e:
        check_backbone("mae", "cnn-small")
    assert "masked" not in str(e.value) and "forecast" not in str(e.value)


def test_check_backbone_refuses_exactly_the_pairs_that_do_not_fit():
    for name, cls in TASKS.items():
        for backbone in BACKBONES:
            kind = "timeseries" if backbone in SERIES_BACKBONES else "image"
            fits = kind in cls.modalities and (cls.backbones is None or backbone in cls.backbones)
            if fits:
                check_backbone(name, backbone)
            else:
                with pytest.raises(ConfigError):
                    check_backbone(name, backbone)


@dataclasses.dataclass
class CheckedConfig:
    width: int = option(4, "A width.")

    def validate(self) -> None:
        if self.width < 1:
            raise ConfigError("checked: width must be at least 1.")


class Unchecked(PretextTask):
    """A task that forgets to validate its options (as a new task may)."""

    name = "unchecked"
    Config = CheckedConfig
    summary = explanation = "Nothing."


def test_build_task_validates_the_options_whatever_the_task_does(monkeypatch):
    monkeypatch.setitem(TASKS, "unchecked", Unchecked)
    backbone = build_backbone("cnn-small", in_channels=1, image_size=32)
    assert build_task("unchecked", {"width": 2}, backbone, None).cfg.width == 2
    with pytest.raises(ConfigError, match="width must be at least 1"):
        build_task("unchecked", {"width": 0}, backbone, None)
    with pytest.raises(ConfigError, match="task.width must be a whole number"):
        build_task("unchecked", {"width": "wide"}, backbone, None)  # (types: as before)
    with pytest.raises(ConfigError, match="temperature"):  # a real task's range
        build_task("simclr", {"temperature": 0.0}, backbone, None)


def test_tasks_whose_loss_compares_the_batch_never_halve_below_two_items():
    """The engine's out-of-memory halving stops at ``min_batch_size``: 2 where one item
    would leave no decoys (SimCLR, MoCo v3, TS2Vec's instance term) or BatchNorm statistics
    of the heads over one image (BYOL, MoCo v2); the others score each item alone."""
    floors = {name: cls.min_batch_size for name, cls in TASKS.items()}
    assert {n for n, f in floors.items() if f == 2} == {"simclr", "moco", "byol", "ts2vec"}
    assert {f for n, f in floors.items()} == {1, 2}
