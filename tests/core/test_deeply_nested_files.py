"""A received model card or a settings file nested deeper than Python's stack (a
thousand ``[``) is said to be damaged or invalid, as an unreadable one is: no
RecursionError reaches the user as "an unexpected error ... This is a bug"."""

from __future__ import annotations

import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import predict
from ssl_studio.core.settings_file import read_settings_file

DEEP = 100_000


def test_a_deeply_nested_model_card_is_damaged(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "model_card.json").write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    (tmp_path / "cases").mkdir()
    with pytest.raises(
        ConfigError, match="cannot be read \\(it is nested too deeply\\): it is damaged"
    ):
        predict(export, [tmp_path / "cases"], tmp_path / "p.csv")


@pytest.mark.parametrize(
    ("name", "text"),
    [("config.json", "[" * DEEP + "]" * DEEP), ("config.toml", "a = " + "[" * DEEP + "]" * DEEP)],
)
def test_a_deeply_nested_settings_file_is_invalid(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="is not valid (JSON|TOML): it is nested too deeply"):
        read_settings_file(path)
