"""Files the user names for output (predict's CSV, an exported label set) are held to
Windows' rules on every machine, as export folders already were (file_names.py): refused
before any work, with the reason and a name that works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tiny_exports import tiny_export

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.file_names import check_new_file_name
from ssl_studio.core.jobs import predict


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("predictions:1.csv", "has ':' in it, which Windows does not allow in a name; "
         "give --out another name, such as 'predictions_1.csv'."),
        ("con.csv", "is a name Windows keeps for a device (con); give --out another name, "
         "such as '_con.csv'."),
        ("labels.csv.", "ends with a dot or a space, which Windows drops from a name; give "
         "--out another name, such as 'labels.csv'."),
    ],
)  # fmt: skip
def test_a_file_name_windows_refuses_is_refused_with_one_that_works(name, said):
    with pytest.raises(ConfigError) as caught:
        check_new_file_name(Path("out") / name, "give --out another name")
    assert str(caught.value) == f"The file name '{name}' {said}"
    check_new_file_name(Path("a:b") / "fine.csv")  # (only the new name is checked)


def test_predict_refuses_such_an_out_before_reading_anything(tmp_path):
    tiny_export("image", tmp_path / "model")
    image = tmp_path / "x.png"
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(image)
    with pytest.raises(ConfigError) as caught:
        predict(tmp_path / "model", [image], tmp_path / "a|b.csv")
    assert str(caught.value).startswith("The file name 'a|b.csv' has '|' in it")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "x.png"]
