"""Marks of what the window shows of a project, read in a few small queries: when another
process writes the project (a command-line job, a colleague's window, a torchrun job), the
window compares them with the last ones read to tell which of its parts to read again
(gui/project_watch.py), without reading every run and item."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.project.store.base import StoreBase

# each part's mark, in the words of the window's change notices (gui/context.py)
PARTS = ("datasets", "labels", "runs", "curves", "exports")
# the columns of a run whose change is a change of the Runs list (an older database, read
# as it is, may lack some)
RUN_COLUMNS = (
    "id",
    "dataset_id",
    "parent_run_id",
    "kind",
    "status",
    "started",
    "finished",
    "error",
    "summary",
)


class ChangeMarks(StoreBase):
    """The marks of the project's parts (mixed into Store)."""

    def change_marks(self) -> dict[str, Any]:
        """One mark per part, equal to the last one read while the part is unchanged:

        - ``datasets``: each dataset's id, name and last change, and the imports (one
          started, one finished: its dataset's items);
        - ``labels``: the label sets (a new version of a dataset's labels);
        - ``runs``: each run's row as the Runs list shows it (a run started, ended,
          deleted, resumed);
        - ``curves``: the newest metric and checkpoint (a running run's curve grew);
        - ``exports``: the exports, and how many still have their run (one deleted).

        Each query is an index's or a small table's; no item or metric is read."""
        one = self._one_row
        present = {row[1] for row in self.conn.execute("PRAGMA table_info(runs)")}
        columns = ", ".join(c for c in RUN_COLUMNS if c in present)
        runs = self.conn.execute(f"SELECT {columns} FROM runs ORDER BY id").fetchall()
        return {
            "datasets": (
                tuple(
                    tuple(row)
                    for row in self.conn.execute(
                        "SELECT id, name, updated FROM datasets ORDER BY id"
                    )
                ),
                one("SELECT COUNT(*), MAX(id), MAX(finished) FROM imports"),
            ),
            "labels": one("SELECT COUNT(*), MAX(id) FROM label_sets"),
            "runs": hash(tuple(tuple(row) for row in runs)),
            "curves": (
                one("SELECT MAX(rowid) FROM metrics"),
                one("SELECT COUNT(*), MAX(id) FROM checkpoints"),
            ),
            # (a run deleted leaves its exports without a run: COUNT(run_id) falls)
            "exports": one("SELECT COUNT(*), MAX(id), COUNT(run_id) FROM exports"),
        }

    def _one_row(self, query: str) -> tuple[Any, ...]:
        return tuple(self.conn.execute(query).fetchone())
