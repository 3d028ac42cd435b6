"""An explicit ``--folds K`` with an option that works on one held-out test split
(--k-per-class, --split-from, a --threshold to pick) is refused as a bad command line:
the folds were dropped without a word and the job ran on one test split."""

from __future__ import annotations

import pytest

from ssl_studio.cli import EXIT_FAILED, EXIT_USAGE, main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune_config import FinetuneConfig


@pytest.mark.parametrize(
    "option",
    [
        ["--k-per-class", "3"],
        ["--split-from", "4"],
        ["--threshold", "youden", "--val-fraction", "0.2"],
    ],
)
def test_folds_with_a_one_split_option_is_a_usage_error(tmp_path, capsys, option):
    project = str(tmp_path / "p")  # refused before any project is opened
    assert main(["finetune", project, "--run", "1", "--folds", "3", *option]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("ssl-studio: --folds 3 cross-validates") and err.count("\n") == 1
    assert f"{option[0]} {option[1]} works on one held-out test split" in err
    assert "leave out --folds (or give --folds 1)" in err
    assert f"or leave out {option[0]} to cross-validate" in err
    assert "project" not in err


def test_every_conflicting_option_is_named(tmp_path, capsys):
    argv = ["finetune", str(tmp_path), "--run", "1", "--folds", "2"]
    assert main([*argv, "--k-per-class", "1", "--split-from", "5"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--k-per-class 1 and --split-from 5 work on one held-out test split" in err
    assert "leave out --k-per-class and --split-from to cross-validate" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--folds", "1", "--k-per-class", "3"],  # one test split, as asked
        ["--folds", "3", "--threshold", "default"],  # the default threshold picks nothing
        ["--k-per-class", "3"],  # the automatic choice is simply off
    ],
)
def test_combinations_that_agree_go_on(tmp_path, capsys, argv):
    assert main(["finetune", str(tmp_path), "--run", "1", *argv]) == EXIT_FAILED
    assert "is not an SSL Studio project" in capsys.readouterr().err  # (got that far)


def test_the_config_refuses_it_too(tmp_path):
    for fixed in ({"k_per_class": 3}, {"split_from": 4}):
        with pytest.raises(ConfigError, match=r"folds 3\) tests every label once"):
            FinetuneConfig(project=tmp_path, run=1, folds=3, **fixed).validate()
        FinetuneConfig(project=tmp_path, run=1, folds=1, **fixed).validate()
