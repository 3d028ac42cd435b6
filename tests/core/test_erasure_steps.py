"""Erasure's order of steps: nothing changes until every cache file can be written, the
rows go in one transaction, and zeroing left unfinished is finished later (review)."""

from __future__ import annotations

import numpy as np
import pytest
import test_erasure
from test_erasure import rows, stored

from ssl_studio.core import erasure
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data import cache_erasure
from ssl_studio.core.erasure import erase, plan_erasure
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store

labelled = test_erasure.labelled  # (the fixture: a dataset of 4 PNGs, labelled)


def _cache(project, name: str) -> bytes:
    with Store.open(project) as store:
        return (store.paths.dataset_cache(1) / name).read_bytes()


def _shard(project) -> str:
    with Store.open(project) as store:
        return store.items(1)[0]["cache_file"]


def test_a_failure_inside_the_database_step_zeroes_and_deletes_nothing(labelled, monkeypatch):
    project, folder = labelled
    with Store.open(project, write=True) as store:
        run = store.create_run(1, "pretrain", {"task": "simclr"})
        store.finish_run(run, "done", {})
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")], with_dependents=True)
    before = _cache(project, _shard(project))

    def broken(self, *args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "_scrub_summaries", broken)
    with pytest.raises(RuntimeError):
        erase(project, plan)
    assert _cache(project, _shard(project)) == before, "bytes zeroed, rows kept"
    with Store.open(project) as store:
        assert len(store.items(1)) == 4 and [r["id"] for r in store.runs()] == [run]
        assert store.pending_scrubs() == {}


def test_a_cache_file_that_cannot_be_written_stops_it_before_anything_changes(
    labelled, monkeypatch
):
    project, folder = labelled
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")])
    before = stored(project, 1)
    monkeypatch.setattr(erasure, "unwritable", lambda folder, names: ["1/shard (denied)"])
    with pytest.raises(ConfigError, match="cannot be overwritten, so nothing was erased"):
        erase(project, plan)
    assert stored(project, 1) == before


def test_zeroing_that_fails_after_the_commit_is_said_and_finished_by_the_next_import(
    labelled, monkeypatch
):
    project, folder = labelled
    with Store.open(project) as store:
        (item,) = [i for i in store.items(1) if i["rel_path"] == "scan_1.png"]
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")])
    real = cache_erasure.zero_unreferenced
    monkeypatch.setattr(
        cache_erasure, "zero_unreferenced", lambda folder, names, kept: (0, ["1/x (denied)"])
    )
    result = erase(project, plan)
    assert result["items"] == 1 and result["cache_bytes_zeroed"] == 0
    (said,) = result["left"]
    assert "rows are gone" in said and "next erasure or import" in said
    assert "nothing was erased" not in said.lower()
    shard = item["cache_file"]
    with Store.open(project) as store:
        assert len(store.items(1)) == 3
        assert store.pending_scrubs() == {1: [shard]}
    data = np.frombuffer(_cache(project, shard), np.uint8).reshape(4, -1)
    assert data[item["cache_index"]].any()  # (not zeroed yet: the mark says so)
    from ssl_studio.core.project.info import project_info

    (scans,) = project_info(project)["datasets"]
    assert scans["erasure_pending"]  # (info says so, and the command line with it)

    monkeypatch.setattr(cache_erasure, "zero_unreferenced", real)
    import_data(ImportConfig(project=project, paths=[folder], name="scans"))
    data = np.frombuffer(_cache(project, shard), np.uint8).reshape(4, -1)
    assert not data[item["cache_index"]].any(), "the next import finishes the zeroing"
    with Store.open(project) as store:
        assert store.pending_scrubs() == {}
    assert not project_info(project)["datasets"][0]["erasure_pending"]


def test_a_run_fine_tuned_elsewhere_from_a_listed_run_meanwhile_stops_the_erasure(labelled):
    project, folder = labelled
    with Store.open(project, write=True) as store:
        pre = store.create_run(1, "pretrain", {"task": "simclr"})
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")], with_dependents=True)
        other = store.create_dataset("other", "image", 64)
        store.create_run(other, "finetune", {"task": "simclr", "parent_run_id": pre})
    with pytest.raises(ConfigError, match="Runs were added meanwhile.*Nothing was erased"):
        erase(project, plan)
    with Store.open(project) as store:
        assert len(store.items(1)) == 4 and len(store.runs()) == 2


def test_a_copy_of_an_erased_file_under_another_name_is_imported_with_a_warning(labelled):
    project, folder = labelled
    with Store.open(project) as store:
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")])
        (plain,) = {i["content_hash"] for i in store.items(1) if i["rel_path"] == "scan_1.png"}
    erase(project, plan)
    with Store.open(project) as store:  # kept keyed: the image alone proves nothing
        kept = [h for (h,) in store.conn.execute("SELECT content_hash FROM erased_contents")]
    assert (
        len(kept) == 1
        and kept[0] != plain
        and plain not in (project / "project.db").read_bytes().decode("latin-1")
    )
    (folder / "renamed.png").write_bytes((folder / "scan_1.png").read_bytes())
    said: list[str] = []
    summary = import_data(
        ImportConfig(project=project, paths=[folder], name="scans"),
        report=lambda e: said.append(getattr(e, "text", "")),
    )
    assert (summary["erased"], summary["erased_copies"]) == (1, 1)
    assert any("1 file of this dataset holds the same content as a file erased" in t for t in said)
    assert any("own path): renamed.png. If" in t for t in said), said


def test_a_project_at_schema_7_without_the_content_table_still_erases(labelled):
    project, folder = labelled
    with Store.open(project, write=True) as store:
        store.conn.execute("DROP TABLE erased_contents")
        plan = plan_erasure(store, "scans", [str(folder / "scan_1.png")])
        assert store.erased_copies(1) == []
    assert erase(project, plan)["items"] == 1
    with Store.open(project) as store:
        assert rows(store, "SELECT COUNT(*) FROM erased_contents") == [(1,)]
