"""A new dataset whose import did not finish (stopped, or cut off by a crash or a kill):
until an import of its folder finishes it, it is called INTERIM_NAME (its name may be a
patient's, known only once its files are read; core/data/import_naming.py). Asked for by
the name it was to get, it is told apart from a name no dataset has, with what to do."""

from __future__ import annotations

import json
import os
from typing import Any

from ssl_studio.core.keyed_hash import keyed_hash
from ssl_studio.core.project.store.base import StoreBase
from ssl_studio.core.project.store.datasets import numbered
from ssl_studio.core.wording import command_line

INTERIM_NAME = "(importing)"  # a new dataset's name until its files were read
IN_THE_APP = "in the app: import the folder again"


def is_interim(name: str) -> bool:
    """Whether ``name`` is INTERIM_NAME or 'INTERIM_NAME N' (Store.free_dataset_name)."""
    return numbered(name, INTERIM_NAME)


def name_key(salt: bytes, name: str) -> str:
    """The key of the name a new dataset is to get, kept with its import (never the name)."""
    return keyed_hash(salt, "name", name.strip())


class UnfinishedImports(StoreBase):
    """Queries about new datasets whose import did not finish (mixed into Store)."""

    def unknown_dataset(self, name: str) -> str:
        """What to say when no dataset is called ``name``: the datasets there are, or how
        to finish the import that was to make it, when one of a new dataset did not."""
        datasets = self.conn.execute("SELECT id, name FROM datasets ORDER BY id").fetchall()
        interim = [row["id"] for row in datasets if is_interim(row["name"])]
        names = ", ".join(f"'{row['name']}'" for row in datasets if row["id"] not in interim)
        theirs = f"its datasets are {names}" if names else "it has no datasets yet"
        for dataset_id in interim:
            if (said := self._unfinished_import_of(dataset_id, name)) is not None:
                return said
        said = f"No dataset '{name}' in this project: {theirs}."
        if interim:
            command = command_line("ssl-studio", "import", self.paths.root, "FOLDER")
            said += (
                f" An import of a new dataset did not finish (shown as '{INTERIM_NAME}'): if "
                f"it is this one, run `{command}` again with its folder to finish it "
                f"({IN_THE_APP})."
            )
        return said

    def _unfinished_import_of(self, dataset_id: int, name: str) -> str | None:
        """What to do to finish the unfinished new dataset ``dataset_id`` when it is the
        one asked for as ``name``: given that name, or imported from the folder ``name``
        (here, as a path from the working folder); else None."""
        row = self.conn.execute(
            "SELECT status, config, summary FROM imports WHERE dataset_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (dataset_id,),
        ).fetchone()
        if row is None:
            return None
        config: dict[str, Any] = json.loads(row["config"] or "{}")
        summary: dict[str, Any] = json.loads(row["summary"] or "{}")
        roots = set(summary.get("roots") or []) | self._interim_root_keys(dataset_id)
        folder = keyed_hash(self.salt, "path", os.path.abspath(name)) in roots
        if not folder and config.get("name_key") != name_key(self.salt, name):
            return None
        project = self.paths.root
        if folder:
            command = f"`{command_line('ssl-studio', 'import', project, name)}`"
        elif config.get("named"):
            words = command_line("ssl-studio", "import", project, "FOLDER", "--name", name)
            command = f"`{words}` (FOLDER: the folder you imported)"
        else:
            command = f"`{command_line('ssl-studio', 'import', project, 'FOLDER')}` "
            command += f"(FOLDER: your folder '{name}')"
        if row["status"] == "cancelled":
            ended = "was stopped before it finished"
        else:
            ended = "did not finish (it was interrupted, or is still running)"
        return (
            f"The import of '{name}' {ended}: run {command} again to finish it ({IN_THE_APP}; "
            "files already imported are kept)."
        )

    def _interim_root_keys(self, dataset_id: int) -> set[str]:
        rows = self.conn.execute("SELECT path_key FROM roots WHERE dataset_id = ?", (dataset_id,))
        return {r[0] for r in rows}
