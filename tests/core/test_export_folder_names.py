"""An export folder name Windows cannot have ("CON", "a:b", "run.") is refused up front on
every machine, saying what is wrong and a name that works, instead of failing on Windows
as an unexpected error (and an export made on Linux is often copied to Windows)."""

from __future__ import annotations

import pytest

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.writer import check_export_place

REFUSED = [
    ("CON", "is a name Windows keeps for a device (CON)", "_CON"),
    ("lpt1.model", "is a name Windows keeps for a device (lpt1)", "_lpt1.model"),
    ("a:b", "has ':' in it", "a_b"),
    ("run.", "ends with a dot or a space", "run"),
]


@pytest.mark.parametrize(("name", "why", "better"), REFUSED)
def test_an_export_folder_windows_cannot_make_is_refused(tmp_path, name, why, better):
    with pytest.raises(ConfigError) as caught:
        check_export_place(tmp_path / name, ("onnx",))
    said = str(caught.value)
    assert said.startswith(f"The folder name '{name}' {why}")
    assert said.endswith(f"; give the export folder another name, such as '{better}'.")
    assert not (tmp_path / name).exists()


def test_only_the_new_folder_is_held_to_it_not_the_folders_above(tmp_path):
    parent = tmp_path / "R&D: study ä"  # made elsewhere (Linux allows it): not the user's now
    parent.mkdir()
    check_export_place(parent / "run-3", ("onnx",))


@pytest.mark.parametrize(("name", "why", "better"), REFUSED)
def test_ssl_studio_export_out_says_what_is_wrong_with_the_name(
    project, tmp_path, capsys, name, why, better
):
    out = tmp_path / name
    assert main(["export", str(project), "--run", "1", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert f"'{name}' {why}" in err and f"such as '{better}'" in err
    assert "unexpected" not in err and not out.exists()
