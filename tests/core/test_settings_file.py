"""Settings files the user writes (--config, card details): TOML or JSON, and a clear
word for anything else."""

from __future__ import annotations

import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.settings_file import read_settings_file


def test_a_yaml_file_is_said_to_be_yaml_not_bad_json(tmp_path):
    """A YAML --config was called "not valid JSON: Expecting value: line 1 column 1"."""
    (tmp_path / "c.yaml").write_text("train:\n  steps: 10\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"c.yaml is YAML, which SSL Studio does not read: "):
        read_settings_file(tmp_path / "c.yaml")
    (tmp_path / "c.txt").write_text("steps = 10\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"not valid JSON \(a file not named .toml is read as"):
        read_settings_file(tmp_path / "c.txt")
    (tmp_path / "c.toml").write_text("[train]\nsteps = 10\n", encoding="utf-8")
    assert read_settings_file(tmp_path / "c.toml") == {"train": {"steps": 10}}
    (tmp_path / "c.json").write_text('{"train": {"steps": 10}}', encoding="utf-8")
    assert read_settings_file(tmp_path / "c.json") == {"train": {"steps": 10}}


@pytest.mark.parametrize(
    ("name", "text"), [("c.toml", "[train]\nsteps = 10\n"), ("c.json", '{"train": {"steps": 10}}')]
)
def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path, name, text):
    """Windows Notepad saves UTF-8 with a BOM; it was refused as "Invalid statement at
    line 1, column 1"."""
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert read_settings_file(tmp_path / name) == {"train": {"steps": 10}}
