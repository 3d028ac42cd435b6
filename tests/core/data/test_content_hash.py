"""Items' content hashes (recorded at import) and the data fingerprint made of them: the
same data gives the same fingerprint in any project and import order, other data another;
items imported before schema 6 keep the older fingerprint, marked as not of content."""

from __future__ import annotations

import sqlite3
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.cache import CacheReader, CacheWriter, series_parts
from ssl_studio.core.data.content_hash import image_content_hash, series_content_hash
from ssl_studio.core.data.dicom import decode_dicom
from ssl_studio.core.data_fingerprint import fingerprint, same_data
from ssl_studio.core.export.card_text import fingerprint_sentence
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.project.store import Store

# (not from conftest: another test folder's conftest may be the one imported by that name)
PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


def pngs(folder: Path, seed: int, n: int = 6) -> Path:
    """``n`` 16 px noise PNGs of the given seed in ``folder`` (made)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(n):
        pixels = rng.integers(0, 255, (16, 16), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"{i:02d}.png")
    return folder


def imported(project: Path, *folders: Path) -> list[dict]:
    """Import ``folders`` one after another (--add) into dataset 'd'; its items."""
    for n, folder in enumerate(folders):
        cfg = ImportConfig(project=project, paths=[folder], name="d", add=n > 0, workers=1)
        import_data(cfg, report=lambda e: None)
    with Store.open(project) as store:
        return store.items(store.dataset("d")["id"])


def test_the_fingerprint_tells_other_data_apart_and_knows_the_same_data_anywhere(tmp_path):
    a, b, c = (pngs(tmp_path / name, seed) for name, seed in (("a", 1), ("b", 2), ("c", 3)))
    first = imported(create_project(tmp_path / "p1"), a, b)
    again = imported(create_project(tmp_path / "p2"), b, a)  # other ids, other slots
    other = imported(create_project(tmp_path / "p3"), a, c)  # as many items, other pixels
    assert all(len(i["content_hash"]) == 32 for i in first)
    assert [i["id"] for i in first] == [i["id"] for i in other]  # (same ids and slots)
    fp = fingerprint(first)
    assert fp["content"] is True and fp["items"] == 12
    assert fingerprint(again)["sha256"] == fp["sha256"]
    assert fingerprint(other)["sha256"] != fp["sha256"]
    assert same_data(fp, again) and not same_data(fp, other) and not same_data(fp, first[:-1])
    sentence = fingerprint_sentence(fp, "image")
    assert "same data gives the same fingerprint in any project" in sentence


def test_items_imported_before_content_hashes_keep_the_older_fingerprint_marked(tmp_path):
    """Migration 6 adds the column empty; a fingerprint of such items is the older kind
    (item ids and cache slots), marked "content": false, and the card says what it is."""
    project = create_project(tmp_path / "p")
    items = imported(project, pngs(tmp_path / "a", 1))
    conn = sqlite3.connect(project / "project.db")
    conn.execute("ALTER TABLE items DROP COLUMN content_hash")  # as schema 5 had it
    conn.execute("PRAGMA user_version=5")
    conn.commit()
    conn.close()
    with Store.open(project, write=True) as store:  # upgraded
        old = store.items(1)
    assert all(i["content_hash"] is None for i in old)
    fp = fingerprint(old)
    assert fp["content"] is False
    recorded = {k: v for k, v in fp.items() if k != "content"}  # as older versions wrote it
    assert same_data(recorded, old) and same_data(recorded, items)  # (compared by ids)
    assert "not of their content" in fingerprint_sentence(recorded, "image")
    assert "not of their content" not in fingerprint_sentence(fingerprint(items), "image")


def test_an_image_hash_covers_the_window_and_content_box_the_model_sees(tmp_path):
    """Same pixels under another display window (a re-export with another VOI) or
    another content box reach the model otherwise: another hash. Same inputs: same hash."""
    ds = pydicom.dcmread(PYDICOM_FILES / "CT_small.dcm")
    hashes = []
    for n, (centre, width) in enumerate(((40, 400), (300, 2000), (40, 400))):
        ds.WindowCenter, ds.WindowWidth = centre, width
        ds.save_as(tmp_path / f"w{n}.dcm")
        [item] = decode_dicom(tmp_path / f"w{n}.dcm", size=64, salt=b"x").items
        hashes.append(image_content_hash(item.array, item.fields))
    assert hashes[0] != hashes[1] and hashes[0] == hashes[2]
    fields = dict(item.fields)
    boxed = {**fields, "box_x0": fields["box_x0"] + 1}
    assert image_content_hash(item.array, boxed) != image_content_hash(item.array, fields)


def test_a_series_is_hashed_from_the_arrays_the_cache_writes_without_copies(tmp_path):
    """The importer hashes the very arrays it caches (cache.series_parts), part by part:
    hashing adds little memory; the same series gives the same hash, read back too."""
    values = np.random.default_rng(0).standard_normal((12, 500_000)).astype(np.float32)
    values[:, ::100] = np.nan
    clean, observed = series_parts(values)
    tracemalloc.start()
    first = series_content_hash(clean, observed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < values.nbytes / 20  # (it was over three times the series)
    assert series_content_hash(*series_parts(values.copy())) == first
    writer = CacheWriter(tmp_path)
    name, offset = writer.add_series_parts(clean, observed)
    writer.close()
    item = {"cache_index": offset, "channels": 12, "length": 500_000}
    assert series_content_hash(*CacheReader(tmp_path).series(item)) == first
    values[0, 1] = 0.5
    assert series_content_hash(*series_parts(values)) != first


def test_an_import_hashes_the_items_imported_before_hashes_from_the_cache(tmp_path):
    """Items imported before content hashes (migration 6 leaves them empty) get theirs
    at the dataset's next import, even one that finds no file changed: from the cache,
    the same hashes an import of their files records (images and series)."""
    series = tmp_path / "series"
    series.mkdir()
    rng = np.random.default_rng(0)
    for n in range(3):
        rows = ["a,b"] + [f"{x:.3f},{'' if i == 2 else f'{y:.3f}'}" for i, (x, y) in
                          enumerate(rng.normal(size=(20, 2)))]  # fmt: skip
        (series / f"s{n}.csv").write_text("\n".join(rows) + "\n")
    project = create_project(tmp_path / "p")
    sets = {"d": pngs(tmp_path / "a", 1), "s": series}
    recorded = {}
    for name, folder in sets.items():
        import_data(ImportConfig(project=project, paths=[folder], name=name, workers=1))
        with Store.open(project) as store:
            recorded[name] = store.items(store.dataset(name)["id"])
    conn = sqlite3.connect(project / "project.db")
    conn.execute("UPDATE items SET content_hash = NULL")  # as migration 6 leaves them
    conn.commit()
    conn.close()
    for name, folder in sets.items():
        events = []
        summary = import_data(
            ImportConfig(project=project, paths=[folder], name=name, workers=1),
            report=events.append,
        )
        assert summary["unchanged"] == len(recorded[name])  # (one item a file)
        with Store.open(project) as store:
            now = store.items(store.dataset(name)["id"])
        assert [i["content_hash"] for i in now] == [i["content_hash"] for i in recorded[name]]
        assert all(now_item["content_hash"] for now_item in now)
        assert fingerprint(now)["content"] is True
        assert any(getattr(e, "phase", "") == "hash" for e in events)
