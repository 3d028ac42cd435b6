"""Deleting runs and datasets from the database (core/project/removal.py decides what may
go and removes their files)."""

from __future__ import annotations

from collections.abc import Iterable

from ssl_studio.core.project.journal import erase_old_pages
from ssl_studio.core.project.store.base import StoreBase
from ssl_studio.core.wording import counted

LAST_RUN_ID = "last_run_id"  # meta key: the highest run id ever given (never given again)
LAST_DATASET_ID = "last_dataset_id"  # ... and dataset id (its cache folder is dataset-<id>)
READER_WAIT_S = 2.0  # how long erasing waits for a reader's query to end (they are short)


class RemovalRecords(StoreBase):
    """Deleting the rows of runs and datasets (mixed into Store)."""

    def child_runs(self, run_ids: Iterable[int]) -> list[int]:
        """Ids of the runs made from any of ``run_ids`` (fine-tuned from a pretraining
        run), and of the runs made from those, and so on; not ``run_ids`` themselves."""
        found: set[int] = set()
        wanted = set(run_ids)
        frontier = set(wanted)
        while frontier:
            marks = ", ".join("?" for _ in frontier)
            rows = self.conn.execute(
                f"SELECT id FROM runs WHERE parent_run_id IN ({marks})", tuple(frontier)
            ).fetchall()
            frontier = {int(row[0]) for row in rows} - found - wanted
            found |= frontier
        return sorted(found)

    def run_removed(self, run_id: int) -> bool:
        """Whether run ``run_id`` was there and has been removed (delete_runs)."""
        removed = int(self.meta(LAST_RUN_ID) or 0)
        found = self.conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone()
        return found is None and run_id <= removed

    def delete_runs(self, run_ids: Iterable[int]) -> None:
        """Delete the runs' rows with their metrics and checkpoints (their exports stay,
        without a run), in one transaction, and remember the highest id so that no later
        run is given it again (an export's model card names its runs by id)."""
        ids = sorted(set(run_ids))
        if not ids:
            return
        with self.transaction():
            self._delete_run_rows(ids)

    def _delete_run_rows(self, ids: list[int]) -> None:
        """delete_runs' statements, inside a transaction the caller holds."""
        if not ids:
            return
        marks = ", ".join("?" for _ in ids)
        highest = max(max(ids), int(self.meta(LAST_RUN_ID) or 0))
        self._set_meta(LAST_RUN_ID, str(highest))
        for table in ("metrics", "checkpoints"):
            self.conn.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", ids)
        # an export stays listed (its folder and card are kept): it names no run now
        self.conn.execute(f"UPDATE exports SET run_id = NULL WHERE run_id IN ({marks})", ids)
        self.conn.execute(f"DELETE FROM runs WHERE id IN ({marks})", ids)

    def delete_dataset(self, dataset_id: int) -> None:
        """Delete a dataset that no run uses, with its labels, items, files, roots, imports
        and import problems, in one transaction."""
        with self.transaction():
            used = self.conn.execute(
                "SELECT COUNT(*) FROM runs WHERE dataset_id = ?", (dataset_id,)
            ).fetchone()[0]
            if used:
                raise ValueError(f"dataset {dataset_id} is used by {counted(used, 'run')}")
            self.conn.execute(
                "DELETE FROM labels WHERE label_set_id IN "
                "(SELECT id FROM label_sets WHERE dataset_id = ?)",
                (dataset_id,),
            )
            for table in ("label_sets", "import_errors", "items", "files", "roots", "imports"):
                self.conn.execute(f"DELETE FROM {table} WHERE dataset_id = ?", (dataset_id,))
            # (files erased on request stay erased: their tombstones outlive the dataset)
            self.conn.execute(
                "UPDATE erased SET dataset_id = NULL WHERE dataset_id = ?", (dataset_id,)
            )
            self.conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
            highest = max(dataset_id, int(self.meta(LAST_DATASET_ID) or 0))
            self._set_meta(LAST_DATASET_ID, str(highest))

    def erase_removed(self) -> bool:
        """Erase the old pages of what was just deleted from the database's -wal file
        and the database (journal.erase_old_pages); False when another program's reader
        still reads them (they go once it is done, when a writer next opens the project)."""
        return erase_old_pages(self.conn, wait_s=READER_WAIT_S)
