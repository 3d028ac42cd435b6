"""series_length, the option that makes long recordings trainable, is discoverable: the
``tasks`` list, ``pretrain --help`` and a ``--series-length`` flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssl_studio.cli import main


def test_tasks_lists_the_run_options_with_series_length(capsys):
    assert main(["tasks", "--json"]) == 0
    options = {o["name"]: o for o in json.loads(capsys.readouterr().out)["run_options"]}
    assert {"preset", "image_size", "series_length"} <= set(options)
    assert "sections" in options["series_length"]["help"]
    assert main(["tasks"]) == 0
    text = capsys.readouterr().out
    assert "Run options" in text and "    series_length = automatic: Series: " in text


def test_pretrain_help_names_series_length_and_the_flag_sets_it(capsys):
    with pytest.raises(SystemExit):
        main(["pretrain", "--help"])
    assert "--series-length STEPS" in capsys.readouterr().out
    from ssl_studio.cli_pretrain import pretrain_config

    args = _parsed(["pretrain", "proj", "--dataset", "ecg", "--series-length", "500"])
    assert pretrain_config(args).series_length == 500


def _parsed(argv: list[str]):
    from ssl_studio.cli import build_parser

    return build_parser().parse_args(argv)


def test_a_window_of_one_step_is_refused():
    from ssl_studio.core.config import PretrainConfig
    from ssl_studio.core.errors import ConfigError

    with pytest.raises(ConfigError, match="series_length must be at least 2"):
        PretrainConfig(project=Path("p"), dataset="ecg", series_length=1).validate()
