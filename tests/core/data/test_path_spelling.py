"""One folder reached by two paths (a link, other letter case, another Unicode form) is
one root: its files are imported once, and projects keyed by the old spellings keep
their items (path_spelling.py)."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data import path_spelling
from ssl_studio.core.data.path_spelling import SpellingConflictError, canonical, walk_spellings
from ssl_studio.core.data.privacy import keyed_hash
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def scans(root: Path, n: int = 12) -> Path:
    """``root``/Scans with ``n`` grey PNGs, and a link ``root``_alias to ``root``."""
    folder = root / "Scans"
    folder.mkdir(parents=True)
    for i in range(n):
        Image.fromarray(np.full((16, 16), i, np.uint8)).save(folder / f"{i:02d}.png")
    root.with_name(root.name + "_alias").symlink_to(root, target_is_directory=True)
    return folder


def run(project: Path, path: Path, **options) -> dict:
    return import_data(ImportConfig(project=project, paths=[path], name="ds", **options))


def item_ids(project: Path) -> list[int]:
    with Store.open(project) as store:
        rows = store.conn.execute("SELECT id FROM items WHERE dataset_id = 1 ORDER BY id")
        return [r[0] for r in rows]


def file_statuses(project: Path) -> list[str]:
    with Store.open(project) as store:
        return [r[0] for r in store.conn.execute("SELECT status FROM files ORDER BY id")]


@pytest.fixture
def old_scheme(monkeypatch):
    """Import as before path_spelling: every folder walked by the path given."""
    monkeypatch.setattr(path_spelling, "canonical", os.path.abspath)
    return monkeypatch


def test_canonical_resolves_links(tmp_path):
    folder = scans(tmp_path / "casep", n=1)
    assert canonical(tmp_path / "casep_alias" / "Scans") == str(folder)
    assert canonical(tmp_path / "casep_alias" / "Scans" / ".." / "Scans") == str(folder)


def test_canonical_takes_names_as_listed_on_a_drive_that_ignores_case(tmp_path, monkeypatch):
    # (a case-insensitive drive simulated: the folder is listed as "Scans" and the NFD
    # "Zoë", and every spelling of a name opens the same file)
    zoe_nfd = unicodedata.normalize("NFD", "Zoë")
    listed = {str(tmp_path): ["Scans", zoe_nfd]}
    monkeypatch.setattr(os, "listdir", lambda folder: listed.get(str(folder), []))
    monkeypatch.setattr(os.path, "samefile", lambda a, b: True)
    monkeypatch.setattr(os.path, "lexists", lambda p: os.path.basename(p) != "other")
    assert canonical(tmp_path / "SCANS") == str(tmp_path / "Scans")
    assert canonical(tmp_path / unicodedata.normalize("NFC", "zoë")) == str(tmp_path / zoe_nfd)
    assert canonical(tmp_path / "other") == str(tmp_path / "other")  # not listed: as given


def test_a_name_of_another_file_is_kept(tmp_path):
    # on a drive that tells case apart, "scans" and "Scans" are two folders
    (tmp_path / "Scans").mkdir()
    (tmp_path / "scans").mkdir()
    assert canonical(tmp_path / "scans") == str(tmp_path / "scans")


def test_a_folder_by_a_link_is_the_same_root(project, tmp_path):
    folder = scans(tmp_path / "casep")
    alias = tmp_path / "casep_alias" / "Scans"
    assert run(project, folder)["items"] == 12
    ids = item_ids(project)
    again = run(project, alias, add=True)
    assert (again["unchanged"], again["new"]) == (12, 0)
    again = run(project, alias)  # not "imported from other folders"
    assert (again["unchanged"], again["new"]) == (12, 0)
    assert item_ids(project) == ids
    # a folder holding it, by the link: its files are the same files
    again = run(project, tmp_path / "casep_alias", add=True)
    assert (again["unchanged"], again["new"]) == (12, 0)
    assert item_ids(project) == ids and set(file_statuses(project)) == {"ok"}


def test_a_dataset_is_named_after_the_folder_as_given(project, tmp_path):
    scans(tmp_path / "casep", n=2)
    import_data(ImportConfig(project=project, paths=[tmp_path / "casep_alias"]))
    with Store.open(project) as store:
        assert [d["name"] for d in store.datasets()] == ["casep_alias"]
    again = import_data(ImportConfig(project=project, paths=[tmp_path / "casep"]))
    assert (again["dataset"], again["unchanged"], again["new"]) == ("casep_alias", 2, 0)


def test_a_folder_first_imported_by_a_link_is_the_same_root(project, tmp_path):
    folder = scans(tmp_path / "casep")
    assert run(project, tmp_path / "casep_alias" / "Scans")["items"] == 12
    again = run(project, folder)
    assert (again["unchanged"], again["new"]) == (12, 0)


def test_a_project_keyed_by_the_old_spelling_keeps_its_items(project, tmp_path, old_scheme):
    folder = scans(tmp_path / "casep")
    alias = tmp_path / "casep_alias" / "Scans"
    assert run(project, alias)["items"] == 12  # keyed by the link's path, as before
    ids = item_ids(project)
    old_scheme.undo()
    for path in (alias, folder, alias / ".." / "Scans"):  # the old spelling, then others
        again = run(project, path)
        assert (again["unchanged"], again["new"]) == (12, 0), path
        assert again["missing"] == 0
        assert item_ids(project) == ids and set(file_statuses(project)) == {"ok"}
    # a folder inside it, by the other path, is walked by the old spelling too
    again = run(project, folder, add=True)
    assert item_ids(project) == ids
    # and one holding it, by the old spelling
    again = run(project, tmp_path / "casep_alias", add=True)
    assert (again["unchanged"], again["new"], again["missing"]) == (12, 0, 0)
    assert item_ids(project) == ids


def test_a_folder_holding_a_root_known_by_another_spelling_is_refused(
    project, tmp_path, old_scheme
):
    scans(tmp_path / "casep")
    run(project, tmp_path / "casep_alias" / "Scans")
    old_scheme.undo()
    with pytest.raises(SpellingConflictError, match="imported from by another path") as err:
        run(project, tmp_path / "casep", add=True)
    assert isinstance(err.value, ConfigError)
    assert str(tmp_path / "casep_alias" / "Scans") in str(err.value)  # what to import
    assert item_ids(project) == list(range(1, 13))


def test_each_dataset_keeps_the_spelling_it_knows(project, tmp_path, old_scheme):
    folder = scans(tmp_path / "casep")
    alias = tmp_path / "casep_alias" / "Scans"
    run(project, alias)  # 'ds', keyed by the link's path, as before
    ids = item_ids(project)
    old_scheme.undo()
    # another dataset, from a folder holding it, keyed by the canonical path
    import_data(ImportConfig(project=project, paths=[tmp_path / "casep"], name="other"))
    for path in (alias, folder):  # 'ds' is walked by the spelling it knows, either way
        again = run(project, path)
        assert (again["unchanged"], again["new"], again["missing"]) == (12, 0, 0), path
        assert item_ids(project) == ids


class _Roots:
    """The part of a Store that walk_spellings reads: one dataset's roots."""

    salt = b"salt" * 8

    def __init__(self, *stored: str) -> None:
        self.roots = {keyed_hash(self.salt, "path", p): p for p in stored}

    def all_root_paths(self) -> dict[str, str]:
        return self.roots

    def root_paths(self, dataset_id: int) -> dict[str, str]:
        return self.roots


def test_a_root_known_in_other_letter_case_is_walked_by_that_case(monkeypatch):
    # Windows simulated: the disk spells every name in lower case and ignores case; the
    # folder was imported before this rule as /d/Data/Scans (stored readable)
    monkeypatch.setattr(path_spelling, "canonical", lambda p: os.path.abspath(p).lower())
    store = _Roots("/d/Data/Scans")
    spelled = walk_spellings(
        store, ["/d/Data/Scans", "/d/DATA/scans", "/d/data/scans/sub", "/d/Data/Scans/x", "/d/New"]
    )
    assert [str(p) for p in spelled] == [
        "/d/Data/Scans",  # as imported
        "/d/Data/Scans",  # other case: as imported
        "/d/Data/Scans/sub",  # inside it, in other case
        "/d/Data/Scans/x",
        "/d/new",  # a new folder: the disk's own spelling
    ]
    # a root stored redacted cannot be told by another spelling (left as before)
    hidden = _Roots("/d/Data/[redacted]")
    assert walk_spellings(hidden, ["/d/data/doe"]) == [Path("/d/data/doe")]


def test_a_folder_holding_roots_known_by_two_spellings_is_refused(project, tmp_path, old_scheme):
    scans(tmp_path / "casep")
    alias = tmp_path / "casep_alias"
    run(project, alias / "Scans")  # keyed by the link's path, as before
    old_scheme.undo()
    grey = tmp_path / "casep" / "Other"
    grey.mkdir()
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(grey / "a.png")
    run(project, alias / "Other", add=True)  # keyed by the canonical path
    for holder in (alias, tmp_path / "casep"):
        with pytest.raises(SpellingConflictError, match="imported from by another path"):
            run(project, holder, add=True)
    assert len(item_ids(project)) == 13


def test_a_new_dataset_is_keyed_by_the_real_path(project, tmp_path, old_scheme):
    folder = scans(tmp_path / "casep", n=2)
    alias = tmp_path / "casep_alias" / "Scans"
    run(project, alias)  # 'ds', keyed by the link's path, as before
    old_scheme.undo()
    import_data(ImportConfig(project=project, paths=[alias], name="new"))
    with Store.open(project) as store:
        assert list(store.root_paths(store.dataset("new")["id"]).values()) == [str(folder)]
    again = import_data(ImportConfig(project=project, paths=[folder], name="new"))
    assert (again["unchanged"], again["new"]) == (2, 0)


def test_files_given_by_links_keep_the_links_names(project, tmp_path):
    """A file given itself through a link (a download cache, a link farm) was imported
    under its target's name, a blob such as sha0abc: series so named were not data, and
    a label CSV naming the links found nothing. Only the folders above it are resolved."""
    from ssl_studio.core.labels import labels_from_csv

    blobs, farm = tmp_path / "blobs", tmp_path / "farm"
    blobs.mkdir()
    farm.mkdir()
    for name in ("walk", "run"):
        (blobs / f"sha-{name}").write_text(
            "accel,gyro\n" + "\n".join(f"{i},{i * 2}" for i in range(20)) + "\n",
            encoding="utf-8",
        )
        (farm / f"{name}.csv").symlink_to(blobs / f"sha-{name}")
    files = [farm / "walk.csv", farm / "run.csv"]
    done = import_data(ImportConfig(project=project, paths=files, name="motion"))
    assert done["items"] == 2
    with Store.open(project) as store:
        names = sorted(i["rel_path"] for i in store.items(store.dataset("motion")["id"]))
    assert names == ["run.csv", "walk.csv"]
    labels = tmp_path / "labels.csv"
    labels.write_text(f"path,label\n{files[0]},walking\n{files[1]},running\n", encoding="utf-8")
    assert labels_from_csv(project, "motion", labels).labeled == 2


def test_a_label_csv_naming_the_link_a_new_dataset_was_imported_by_finds_it(project, tmp_path):
    """New datasets are walked by their canonical (real) paths: a label CSV with the
    absolute paths the user imported by, through a link, must still find them on every
    system (two sites holding the same relative paths were refused as ambiguous)."""
    from ssl_studio.core.labels import labels_from_csv

    real = tmp_path / "real"
    for site in ("site1", "site2"):
        for case in ("case1", "case2"):
            (real / site / case).mkdir(parents=True)
            pixels = np.full((16, 16), len(site + case), np.uint8)
            Image.fromarray(pixels).save(real / site / case / "a.png")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    run(project, tmp_path / "link" / "site1")
    run(project, tmp_path / "link" / "site2", add=True)
    rows = [
        f"{tmp_path / 'link' / site / case / 'a.png'},{case}"
        for site in ("site1", "site2")
        for case in ("case1", "case2")
    ]
    labels = tmp_path / "labels.csv"
    labels.write_text("path,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert labels_from_csv(project, "ds", labels).labeled == 4


def test_many_files_given_one_by_one_resolve_each_root_once(project, tmp_path, monkeypatch):
    """A dataset of files given one by one checked every root against every file again:
    a canonical spelling per pair (28 s for 400 files); now one per root and per file."""
    folder = scans(tmp_path / "many", n=30)
    files = sorted(folder.iterdir())
    import_data(ImportConfig(project=project, paths=files, name="ds"))
    calls = []
    real = path_spelling.canonical

    def counted(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(path_spelling, "canonical", counted)
    with Store.open(project) as store:
        path_spelling.KnownRoots(store, 1).refuse_held_respelled(files)
    assert len(calls) <= 2 * len(files)


def test_links_to_files_imported_by_their_targets_before_keep_their_items(
    project, tmp_path, monkeypatch
):
    """Before links to files kept their names, such a file was walked by its target's
    name: imported again now, it is the same file (not refused as another folder, nor
    imported twice under the link's name)."""
    blobs, farm = tmp_path / "blobs", tmp_path / "farm"
    blobs.mkdir()
    farm.mkdir()
    for i in range(3):
        Image.fromarray(np.full((16, 16), i * 40, np.uint8)).save(blobs / f"sha{i}.png")
        (farm / f"case{i}.png").symlink_to(blobs / f"sha{i}.png")
    files = sorted(farm.iterdir())
    with monkeypatch.context() as before:  # (links to files resolved whole, as before)
        before.setattr(path_spelling, "canonical", path_spelling.fully_resolved)
        import_data(ImportConfig(project=project, paths=files, name="ds"))
    ids = item_ids(project)
    again = import_data(ImportConfig(project=project, paths=files, name="ds"))
    assert (again["unchanged"], again["new"]) == (3, 0)
    assert item_ids(project) == ids
