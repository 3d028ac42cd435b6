"""Datasets, their label sets, and the counts shown in ``ssl-studio info``."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import Any

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.project.store.base import StoreBase, now
from ssl_studio.core.project.store.removals import LAST_DATASET_ID


class DatasetRecords(StoreBase):
    """Queries about datasets, items and labels (mixed into Store)."""

    def dataset(self, name: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM datasets WHERE name = ?", (name,)).fetchone()
        return None if row is None else dict(row)

    def dataset_named(self, name: str) -> dict[str, Any]:
        """The dataset called ``name``; ConfigError naming the project's datasets when
        there is none of that name (a typo, or a dataset renamed or removed), or saying
        how to finish the import that was to make it (unfinished_imports.py)."""
        found = self.dataset(name)
        if found is None:
            raise ConfigError(self.unknown_dataset(name))  # type: ignore[attr-defined]
        return found

    def datasets(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute("SELECT * FROM datasets ORDER BY id")]

    def dataset_with_root(self, path_key: str) -> dict[str, Any] | None:
        """The dataset last imported into from the folder (or file) with ``path_key``."""
        row = self.conn.execute(
            "SELECT datasets.* FROM datasets JOIN roots ON roots.dataset_id = datasets.id "
            "WHERE roots.path_key = ? ORDER BY datasets.updated DESC, datasets.id DESC",
            (path_key,),
        ).fetchone()
        return None if row is None else dict(row)

    def free_dataset_name(self, name: str) -> str:
        """``name`` if no dataset has it, else the first free 'name 2', 'name 3', ..."""
        taken = {d["name"] for d in self.datasets()}
        return next(
            candidate
            for candidate in (name, *(f"{name} {n}" for n in range(2, len(taken) + 3)))
            if candidate not in taken
        )

    def cache_extents(self, dataset_id: int) -> dict[str, tuple[int, int]]:
        """How far the dataset's items reach into each cache file: (the largest
        cache_index, the largest cache_index + channels x length; see
        cache.needed_bytes)."""
        rows = self.conn.execute(
            "SELECT cache_file, MAX(cache_index), "
            "MAX(cache_index + COALESCE(channels * length, 0)) FROM items "
            "WHERE dataset_id = ? AND status = 'ok' AND cache_file IS NOT NULL "
            "GROUP BY cache_file",
            (dataset_id,),
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    def rename_dataset(self, dataset_id: int, name: str) -> None:
        with self.transaction():
            self.conn.execute("UPDATE datasets SET name = ? WHERE id = ?", (name, dataset_id))

    def create_dataset(self, name: str, modality: str, cache_size: int) -> int:
        """A new dataset; its id is above every dataset's, every removed one's and every
        cache folder's on disk, so it never writes into a cache folder left behind (a
        removed dataset's that could not be deleted)."""
        with self.transaction():
            latest = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM datasets").fetchone()[0]
            removed = int(self.meta(LAST_DATASET_ID) or 0)
            on_disk = self.paths.ids_on_disk(self.paths.cache, "dataset-")
            dataset_id = max({int(latest), removed, *on_disk}) + 1
            self.conn.execute(
                "INSERT INTO datasets(id, name, modality, cache_size, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (dataset_id, name, modality, cache_size, now(), now()),
            )
        return dataset_id

    def remove_empty_datasets(self, prefix: str) -> list[str]:
        """Remove the datasets named ``prefix`` (or ``prefix`` and a number) that hold
        nothing: no import root, file, item or label set, and no run refers to them (a new
        dataset whose import was killed or stopped before it recorded a file: it has
        nothing to finish, so no import ever goes into it again). Their import rows, walk
        problems and cache folder go with them. Returns their names. Only a writer calls
        this: it holds the project's write lock, so no import of them runs elsewhere."""
        rows = self.conn.execute(
            "SELECT id, name FROM datasets WHERE substr(name, 1, length(?)) = ? "
            "AND NOT EXISTS (SELECT 1 FROM roots WHERE dataset_id = datasets.id) "
            "AND NOT EXISTS (SELECT 1 FROM files WHERE dataset_id = datasets.id) "
            "AND NOT EXISTS (SELECT 1 FROM items WHERE dataset_id = datasets.id) "
            "AND NOT EXISTS (SELECT 1 FROM label_sets WHERE dataset_id = datasets.id) "
            "AND NOT EXISTS (SELECT 1 FROM runs WHERE dataset_id = datasets.id) ORDER BY id",
            (prefix, prefix),
        ).fetchall()
        rows = [r for r in rows if numbered(r["name"], prefix)]
        if not rows:
            return []
        with self.transaction():
            for row in rows:
                for table in ("import_errors", "imports", "datasets"):
                    column = "id" if table == "datasets" else "dataset_id"
                    self.conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (row["id"],))
        for row in rows:  # (cache bytes written before the kill, never recorded)
            shutil.rmtree(self.paths.dataset_cache(row["id"]), ignore_errors=True)
        return [row["name"] for row in rows]

    def add_label_set(
        self, dataset_id: int, name: str, source: str, labels: Mapping[int, str]
    ) -> int:
        """A new version of the label set ``name``: ``labels`` maps item id -> label."""
        with self.transaction():
            version = self.conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM label_sets "
                "WHERE dataset_id = ? AND name = ?",
                (dataset_id, name),
            ).fetchone()[0]
            cursor = self.conn.execute(
                "INSERT INTO label_sets(dataset_id, name, version, source, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (dataset_id, name, version, source, now()),
            )
            set_id = int(cursor.lastrowid)
            self.conn.executemany(
                "INSERT INTO labels(label_set_id, item_id, label) VALUES (?, ?, ?)",
                [(set_id, item_id, label) for item_id, label in labels.items()],
            )
        return set_id

    def latest_labels(
        self, dataset_id: int, name: str, version: int | None = None, *, usable: bool = False
    ) -> dict[int, str]:
        """Item id -> label in the newest version of the label set ``name`` (or in
        ``version``); empty if there is none. ``usable``: only the labels of items that can
        be trained on (not those of a file that failed or went missing)."""
        rows = self.conn.execute(
            "SELECT item_id, label FROM labels WHERE label_set_id = (SELECT id FROM label_sets "
            "WHERE dataset_id = ? AND name = ? AND (? IS NULL OR version = ?) "
            "ORDER BY version DESC LIMIT 1)"
            + (" AND item_id IN (SELECT id FROM items WHERE status = 'ok')" if usable else ""),
            (dataset_id, name, version, version),
        )
        return {r[0]: r[1] for r in rows}

    def labels_by_use(self, dataset_id: int, name: str) -> tuple[dict[int, str], dict[int, str]]:
        """The newest version of the label set ``name``, read once and split into
        (usable, unusable): item id -> label of the items that can be trained on, and of
        those that cannot (a file that failed or went missing). Both empty if none."""
        rows = self.conn.execute(
            "SELECT labels.item_id, labels.label, items.status = 'ok' FROM labels "
            "LEFT JOIN items ON items.id = labels.item_id WHERE labels.label_set_id = "
            "(SELECT id FROM label_sets WHERE dataset_id = ? AND name = ? "
            "ORDER BY version DESC LIMIT 1)",
            (dataset_id, name),
        )
        usable: dict[int, str] = {}
        unusable: dict[int, str] = {}
        for item_id, label, ok in rows:
            (usable if ok else unusable)[item_id] = label
        return usable, unusable

    def label_version(self, dataset_id: int, name: str) -> int | None:
        """The newest version number of the label set ``name`` (None if there is none)."""
        row = self.conn.execute(
            "SELECT MAX(version) FROM label_sets WHERE dataset_id = ? AND name = ?",
            (dataset_id, name),
        ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def chosen_label_version(self, dataset_id: int, name: str, version: int | None) -> int:
        """``version`` of the label set ``name``, or its newest when None; ConfigError
        naming the versions kept when it has no such version (a set with none at all is
        the caller's to refuse, before: ``labels`` names the sets there are)."""
        kept = sorted(s["version"] for s in self.label_sets(dataset_id) if s["name"] == name)
        if version is None and kept:
            return kept[-1]
        if version not in kept:
            raise ConfigError(
                f"Label set '{name}' has no version {version}; it has version"
                f"{'s' * (len(kept) > 1)} {', '.join(map(str, kept))}."
            )
        return version

    def patients_per_class(self, dataset_id: int, name: str) -> dict[str, int]:
        """Class -> distinct patients in the newest version of label set ``name`` (an item
        without a patient key counts as a patient of its own). Only items that can be
        used count: the labels of a file that failed or went missing stay in the set, but
        its items are not trained on."""
        rows = self.conn.execute(
            "SELECT labels.label, COUNT(DISTINCT COALESCE(NULLIF(items.patient_key, ''), "
            "'item ' || items.id)) FROM labels JOIN items ON items.id = labels.item_id "
            "WHERE items.status = 'ok' AND labels.label_set_id = (SELECT id FROM label_sets "
            "WHERE dataset_id = ? AND name = ? ORDER BY version DESC LIMIT 1) "
            "GROUP BY labels.label",
            (dataset_id, name),
        )
        return {r[0]: r[1] for r in rows}

    def labeled_split_keys(
        self, dataset_id: int, name: str
    ) -> list[tuple[str, str | None, str | None]]:
        """(label, salted patient key or None, content hash or None) of each usable item
        in the newest version of label set ``name``, in item order: the groups a split
        keeps whole (patient_groups.split_groups)."""
        rows = self.conn.execute(
            "SELECT labels.label, NULLIF(items.patient_key, ''), items.content_hash FROM labels "
            "JOIN items ON items.id = labels.item_id WHERE items.status = 'ok' AND "
            "labels.label_set_id = (SELECT id FROM label_sets WHERE dataset_id = ? AND "
            "name = ? ORDER BY version DESC LIMIT 1) ORDER BY items.id",
            (dataset_id, name),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def label_sets(self, dataset_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT label_sets.*, COUNT(labels.item_id) AS n_labels FROM label_sets "
            "LEFT JOIN labels ON labels.label_set_id = label_sets.id "
            "WHERE dataset_id = ? GROUP BY label_sets.id ORDER BY label_sets.id",
            (dataset_id,),
        )
        return [dict(r) for r in rows]

    def dataset_summary(self, dataset_id: int) -> dict[str, Any]:
        """Counts for ``ssl-studio info`` and the dataset list; ``unread_dicom``: DICOM
        files left out of the dataset whose identifiers were never read (schema.py,
        migration 5), so stored paths beside them may name a patient until a re-import;
        ``unread_dicom_missing``: those of them that are missing (no import reads them)."""
        q = self.conn.execute
        by_modality = {
            r[0] or "unknown": r[1]
            for r in q(
                "SELECT modality, COUNT(*) FROM items WHERE dataset_id = ? AND status = 'ok' "
                "GROUP BY modality ORDER BY modality",
                (dataset_id,),
            )
        }
        files = dict(
            q(
                "SELECT status, COUNT(*) FROM files WHERE dataset_id = ? GROUP BY status",
                (dataset_id,),
            ).fetchall()
        )
        errors = dict(
            q(
                "SELECT severity, COUNT(*) FROM import_errors WHERE dataset_id = ? "
                "GROUP BY severity",
                (dataset_id,),
            ).fetchall()
        )
        unread = {  # (missing: an import cannot read them, until they are put back)
            bool(r[0]): r[1]
            for r in q(
                "SELECT status = 'missing', COUNT(*) FROM files "
                "WHERE dataset_id = ? AND reread = 1 GROUP BY status = 'missing'",
                (dataset_id,),
            )
        }
        return {
            "items": sum(by_modality.values()),
            "items_by_modality": by_modality,
            "files": {k: files.get(k, 0) for k in ("ok", "failed", "skipped", "missing")},
            "errors": errors.get("error", 0),
            "skipped": errors.get("skipped", 0),
            "last_import": self.last_import(dataset_id),
            "unread_dicom": unread.get(False, 0),
            "unread_dicom_missing": unread.get(True, 0),
        }

    def latest_label_set(self, dataset_id: int) -> dict[int, str]:
        """Item id -> label of the dataset's most recently made label set (empty if none)."""
        row = self.conn.execute(
            "SELECT name FROM label_sets WHERE dataset_id = ? ORDER BY id DESC LIMIT 1",
            (dataset_id,),
        ).fetchone()
        return {} if row is None else self.latest_labels(dataset_id, row[0])


def numbered(name: str, prefix: str) -> bool:
    """Whether ``name`` is ``prefix`` or 'prefix N' (see ``free_dataset_name``)."""
    number = name[len(prefix) + 1 :]
    return name == prefix or (name.startswith(f"{prefix} ") and number.isdigit())
