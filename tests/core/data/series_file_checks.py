"""What the time-series reader tests share: writing a small file and decoding it with
the checks every decoded item must pass, or expecting an import problem (imported as
``from series_file_checks import ...``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_studio.core.data.records import DecodedFile, ImportProblem
from ssl_studio.core.data.timeseries import decode_series_file

FIELDS = {"channels", "length", "n_missing", "sampling_rate", "meta"}


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def decode(path: Path, **kwargs) -> DecodedFile:
    decoded = decode_series_file(path, **kwargs)
    assert decoded.kind == "series"
    for item in decoded.items:
        assert item.array.dtype == np.float32 and item.array.ndim == 2
        assert set(item.fields) - {"group_id"} == FIELDS  # group_id: an id column's value
        assert (item.fields["channels"], item.fields["length"]) == item.array.shape
        assert item.fields["n_missing"] == int(np.isnan(item.array).sum())
        assert not np.isnan(item.array[:, -1]).all()  # trailing all-NaN steps are trimmed
        assert {"layout", "name", "channel_names"} <= set(item.fields["meta"])
    return decoded


def problem(path: Path, code: str, **kwargs) -> ImportProblem:
    with pytest.raises(ImportProblem) as info:
        decode_series_file(path, **kwargs)
    assert info.value.code == code, info.value.message
    return info.value
