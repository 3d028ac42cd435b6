"""Pretraining and fine-tuning runs: their rows, metrics and checkpoints."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import numpy as np

from ssl_studio.core.errors import ProjectError
from ssl_studio.core.folder_access import share_with_team
from ssl_studio.core.project.store.base import StoreBase, _decoded, _stored, now
from ssl_studio.core.project.store.removals import LAST_RUN_ID


class RunRecords(StoreBase):
    """Queries about runs, their metrics and checkpoints (mixed into Store)."""

    def create_run(self, dataset_id: int, kind: str, fields: Mapping[str, Any]) -> int:
        """A new run (status "running") and its new, empty folder runs/<id>; fields: task,
        backbone, config, device, world_size, fingerprint, versions, parent_run_id
        (JSON-able values are stored as JSON). Its id is above every run's in the database,
        every run folder's on disk and every deleted run's: a folder that is there (from a
        run the database no longer lists, e.g. after an older project.db was restored) is
        never reused, nor is a deleted run's id (exports name their runs by id)."""
        columns = (
            "task",
            "backbone",
            "config",
            "device",
            "world_size",
            "fingerprint",
            "versions",
            "parent_run_id",
        )
        values = [_stored(fields.get(c)) for c in columns]
        with self.transaction():
            latest = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]
            removed = int(self.meta(LAST_RUN_ID) or 0)  # (a deleted run's id is not reused)
            run_id = max({int(latest), removed, *self.paths.ids_on_disk(self.paths.runs)}) + 1
            folder = self.paths.run_folder(run_id)
            self.conn.execute(
                f"INSERT INTO runs(id, dataset_id, kind, status, created, started, folder, "
                f"{', '.join(columns)}) VALUES (?, ?, ?, 'running', ?, ?, ?, "
                f"{', '.join('?' for _ in columns)})",
                (run_id, dataset_id, kind, now(), now(), f"runs/{run_id}", *values),
            )
            folder.mkdir(parents=True)  # (not exist_ok: never another run's folder)
            share_with_team(folder)
        return run_id

    def resume_run(
        self,
        run_id: int,
        device: str,
        world_size: int,
        step: int = 0,
        precision: str | None = None,
        versions: Mapping[str, Any] | None = None,
    ) -> None:
        """Mark run ``run_id`` running again, from ``step``, on ``device`` with
        ``world_size`` processes (and ``precision``, engine/device.py's name, and the
        package ``versions`` and code of this session, where the caller knows them). The
        row's started, device and world_size are this session's (its ``versions`` stay
        the first session's); each session's (from_step, started, device, processes,
        precision, versions) is kept in the config's ``sessions`` list (the first one's
        taken from the row when the run is first resumed, without versions: the row's),
        as a resumed run's processes, and so its global batch, may differ from one
        session to the next, and its code and packages may have been updated between."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT config, started, device, world_size FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            config = _decoded({"config": row["config"]})["config"] if row else None
            config = dict(config or {})
            sessions = list(config.get("sessions") or [])
            if not sessions and row is not None:
                first = session(0, row["started"], row["device"], row["world_size"])
                if config.get("precision"):  # (the first session's, where it was recorded)
                    first["precision"] = config["precision"]
                sessions.append(first)
            started = now()
            if sessions and sessions[-1]["from_step"] == step:  # it ended before a step
                sessions.pop()  # (a retried resume, a requeue loop: one session each)
            this = session(step, started, device, world_size)
            if precision is not None:
                this["precision"] = precision
            if versions is not None:
                this["versions"] = dict(versions)
            config["sessions"] = [*sessions, this]
            self.conn.execute(
                "UPDATE runs SET status = 'running', started = ?, finished = NULL, error = NULL, "
                "device = ?, world_size = ?, config = ? WHERE id = ?",
                (started, device, world_size, _stored(config), run_id),
            )

    def finish_run(
        self,
        run_id: int,
        status: str,
        summary: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended: done, stopped or failed."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET status = ?, finished = ?, summary = ?, error = ? WHERE id = ?",
                (status, now(), _stored(summary), error, run_id),
            )

    def fail_run(self, run_id: int, error: BaseException) -> None:
        """Mark a run failed with what went wrong (a storage failure in clear words). When
        even that cannot be written (a full disk, a damaged database), the run stays
        "running" and the next job marks it interrupted: the error that ended the run is
        the one the caller raises, never this one."""
        from ssl_studio.core.storage_errors import user_error

        message = str(user_error(error, self.paths.root) or error) or type(error).__name__
        # (nor when the project may no longer be written: its lock lost, the folder gone)
        with contextlib.suppress(sqlite3.Error, OSError, ProjectError):
            self.finish_run(run_id, "failed", error=message)

    def update_run_summary(self, run_id: int, summary: Mapping[str, Any]) -> None:
        """Replace a finished run's summary; its status and times stay."""
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET summary = ? WHERE id = ?", (_stored(summary), run_id)
            )

    def run(self, run_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return None if row is None else _decoded(dict(row))

    def run_of_kind(self, run_id: int, kind: str, needed_for: str) -> dict[str, Any]:
        """Run ``run_id``, which ``needed_for`` (e.g. "fine-tune") requires to be a
        ``kind`` run; a ConfigError saying what it is otherwise ("Run 2 is a fine-tuning
        run", not "there is no run 2")."""
        from ssl_studio.core.errors import ConfigError

        run = self.run(run_id)
        kinds = {"pretrain": "pretraining", "finetune": "fine-tuning"}
        wanted = kinds.get(kind, kind)
        if run is None:
            raise ConfigError(
                f"There is no run {run_id} in this project; to {needed_for}, give a "
                f"{wanted} run (ssl-studio info lists the runs)."
            )
        if run["kind"] != kind:
            raise ConfigError(
                f"Run {run_id} is a {kinds.get(run['kind'], run['kind'])} run; to "
                f"{needed_for}, give a {wanted} run (ssl-studio info lists the runs)."
            )
        return run

    def runs(self, dataset_id: int | None = None) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM runs WHERE ? IS NULL OR dataset_id = ? ORDER BY id",
            (dataset_id, dataset_id),
        )
        return [_decoded(dict(r)) for r in rows]

    def add_metrics(self, run_id: int, rows: Iterable[tuple[int, int, str, float]]) -> None:
        """(step, epoch, name, value) rows of a run."""
        stamp = datetime.now(UTC).timestamp()
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO metrics(run_id, step, epoch, name, value, time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(run_id, s, e, n, v, stamp) for s, e, n, v in rows],
            )

    def metrics(self, run_id: int, name: str) -> list[tuple[int, float]]:
        """(step, value) of one metric of a run, in step order (the latest value per step)."""
        rows = self.conn.execute(
            "SELECT step, value FROM metrics WHERE run_id = ? AND name = ? ORDER BY step, rowid",
            (run_id, name),
        )
        return list(dict(rows.fetchall()).items())

    def metric_arrays(
        self, run_id: int, names: Iterable[str], from_step: int | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """``name -> (steps: [N] int64, values: [N] float64)`` of the named metrics of a
        run, read in one go (one query per name, on the index), as ``metrics`` gives them:
        step order, the latest value per step; a stored NaN, which SQLite keeps as NULL,
        comes back as NaN. A metric with no rows is left out. ``from_step``: only the
        steps from there on (the rest of a growing curve)."""
        out = {}
        since = "" if from_step is None else " AND step >= ?"
        for name in dict.fromkeys(names):
            rows = self.conn.execute(
                "SELECT step, value FROM metrics WHERE run_id = ? AND name = ?"
                f"{since} ORDER BY step, rowid",
                (run_id, name) if from_step is None else (run_id, name, from_step),
            ).fetchall()
            if not rows:
                continue
            flat = np.fromiter(chain.from_iterable(rows), dtype=float, count=2 * len(rows))
            step_array, value_array = flat[0::2].astype(np.int64), flat[1::2]  # (NULL: NaN)
            last = np.ones(len(rows), dtype=bool)  # the last row of each step
            last[:-1] = step_array[1:] != step_array[:-1]
            out[name] = (step_array[last], value_array[last])
        return out

    def add_checkpoint(self, run_id: int, step: int, epoch: int, kind: str, path: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO checkpoints(run_id, step, epoch, kind, path, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, step, epoch, kind, path, now()),
            )

    def remove_checkpoint(self, run_id: int, path: str) -> None:
        with self.transaction():
            self.conn.execute(
                "DELETE FROM checkpoints WHERE run_id = ? AND path = ?", (run_id, path)
            )

    def checkpoints(self, run_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM checkpoints WHERE run_id = ? ORDER BY step, id", (run_id,)
        )
        return [dict(r) for r in rows]

    def newest_checkpoint_steps(self) -> dict[int, int]:
        """{run id: the step of its newest checkpoint}, for every run that has one."""
        rows = self.conn.execute("SELECT run_id, MAX(step) FROM checkpoints GROUP BY run_id")
        return {int(r[0]): int(r[1]) for r in rows}

    def mark_interrupted_runs(self) -> int:
        """Runs still "running" while this process holds the write lock were killed: mark
        them interrupted (they can be resumed). Returns how many."""
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
            )
        return cursor.rowcount

    def add_export(
        self, run_id: int, folder: str, formats: list[str], card: Mapping[str, Any]
    ) -> int:
        """Record an export of a run (its folder, formats and model card)."""
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO exports(run_id, folder, formats, card, created) "
                "VALUES (?, ?, ?, ?, ?)",
                (run_id, folder, _stored(formats), _stored(card), now()),
            )
        return int(cursor.lastrowid)

    def exports(self, run_id: int | None = None) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT * FROM exports WHERE ? IS NULL OR run_id = ? ORDER BY id", (run_id, run_id)
        )
        return [_decoded(dict(r)) for r in rows]


def session(step: int, started: str | None, device: str | None, processes: int | None) -> dict:
    """One training session of a run, as ``sessions`` in its config keeps it."""
    return {"from_step": step, "started": started, "device": device, "processes": processes}
