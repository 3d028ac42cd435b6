"""Under torchrun on a network drive, only the job's first process leaves WAL mode: the
others never become (brief) writers to do so, which took the write lock from under rank 0
("being changed by another SSL Studio process (pid of its own rank 1, leaving WAL
mode)"), and only the first process prints the network-drive notice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from ssl_studio.core.config import PretrainConfig
from ssl_studio.core.engine import distributed
from ssl_studio.core.project import journal
from ssl_studio.core.project.journal import is_wal_database, notices_to
from ssl_studio.core.project.lock import WriteLock
from ssl_studio.core.project.store import Store
from ssl_studio.core.project.store import base as store_base


class Joined(Exception):
    """Raised where the process would join the others (the test stops there)."""


def _wal_project(root: Path) -> Path:
    with Store.create(root / "p"):
        pass  # (made on a local disk: in WAL mode)
    assert is_wal_database(root / "p" / "project.db")
    return root / "p"


def _network_drive(monkeypatch) -> list[str]:
    """Every folder on an NFS drive from now on; the purposes of the write locks taken."""
    mount = SimpleNamespace(kind="nfs4", local_locks=False)
    monkeypatch.setattr(store_base, "remote_file_system", lambda folder: mount)
    monkeypatch.setattr(
        journal, "WAL_WAIT_S", 0.5, raising=False
    )  # (no first process here to wait for)
    taken: list[str] = []
    acquire = WriteLock.acquire

    def recorded(lock, *args, **kwargs):
        taken.append(lock.purpose if hasattr(lock, "purpose") else "?")
        return acquire(lock, *args, **kwargs)

    monkeypatch.setattr(WriteLock, "acquire", recorded)
    return taken


def test_a_reader_that_may_not_leave_wal_takes_no_write_lock(tmp_path, monkeypatch):
    project = _wal_project(tmp_path)
    taken = _network_drive(monkeypatch)
    with Store.open(project, leave_wal=False) as store:
        assert store.datasets() == []
    assert taken == []
    assert is_wal_database(project / "project.db")  # left for the first process


def _as_rank_1_joining(monkeypatch) -> None:
    """This process as rank 1 of 2, which raises Joined where it would join the others."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")

    def join(world, device):
        raise Joined

    monkeypatch.setattr(distributed, "init", join)


def test_a_later_torchrun_process_opens_a_wal_project_without_writing(tmp_path, monkeypatch):
    project = _wal_project(tmp_path)
    taken = _network_drive(monkeypatch)
    _as_rank_1_joining(monkeypatch)
    told: list[str] = []
    cfg = PretrainConfig(project=project, dataset="none", task="simclr")
    with notices_to(told.append), pytest.raises(Exception) as ended:
        from ssl_studio.core.pretrain import Pretraining

        Pretraining(cfg, lambda event: None, SimpleNamespace(stopped=False)).run()
    assert taken == []  # before: a brief writer, "leaving WAL mode"
    # its error (no such dataset) waits until it has joined the others, to tell them
    assert ended.type is Joined
    assert is_wal_database(project / "project.db")
    assert told == []  # the first process says it, once for the job


def test_a_later_torchrun_process_of_fine_tuning_takes_no_write_lock(tmp_path, monkeypatch):
    """Fine-tuning's rank 1 opened the project with leave_wal on, as a writer would."""
    from ssl_studio.core.finetune.job import FineTuning
    from ssl_studio.core.finetune_config import FinetuneConfig

    project = _wal_project(tmp_path)
    taken = _network_drive(monkeypatch)
    _as_rank_1_joining(monkeypatch)
    cfg = FinetuneConfig(project=project, run=1, labels="l")
    with pytest.raises(Exception) as ended:
        FineTuning(cfg, lambda event: None, SimpleNamespace(stopped=False)).run()
    assert taken == []  # before: a brief writer, "leaving WAL mode"
    # its error (no run 1) waits until it has joined the others, to tell them
    assert ended.type is Joined
    assert is_wal_database(project / "project.db")
