"""What the privacy tests share: a path redacted both ways (which must agree), and the
paths a re-import stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.privacy import redact, redactor
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def both(text: str, values: list[str]) -> str:
    """``redact`` and ``redactor`` of ``text`` for ``values``, which must agree."""
    out = redact(text, values)
    assert redactor(values)(text) == out
    return out


def paths_after_a_second_import(project: Path, study: Path, folder: Path) -> list[str]:
    """The stored paths after importing ``study``, adding a PNG to ``folder`` (in it) and
    importing again: the second import learns names back from the stored paths only
    (unchanged DICOM files are not read again)."""
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(folder / "a.png")
    import_data(ImportConfig(project=project, paths=[study], name="s"))
    Image.fromarray(np.full((16, 16), 90, np.uint8)).save(folder / "later.png")
    import_data(ImportConfig(project=project, paths=[study], name="s"))
    with Store.open(project) as store:
        return sorted(i["rel_path"] for i in store.items(1))
