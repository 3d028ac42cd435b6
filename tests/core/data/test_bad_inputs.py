"""A corpus of bad input: every kind gets its own specific reason, the import carries on
with the other files, and unusual-but-valid files import correctly."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store
from ssl_studio.core.viewing import DatasetView

CORPUS = Path(pydicom.__file__).parent / "data" / "test_files"

IMAGE_PROBLEMS = {
    "zero.dcm": "empty",
    "zero.png": "empty",
    "text.png": "not-data",  # text with an image extension
    "text.dcm": "dicom-invalid",
    "random.tif": "not-data",  # random bytes with an image extension
    "cut.png": "image-corrupt",
    "cut.dcm": "dicom-truncated",  # an MR image cut inside its header: no pixels left
    "MR_truncated.dcm": "dicom-truncated",
    "no_pixels.dcm": "dicom-no-pixels",  # an RT plan
    "JPEG-lossy.dcm": "dicom-decode-failed",  # pydicom's deliberately broken JPEG
    "badVR.dcm": "dicom-bad-pixels",
    "no_meta.dcm": "dicom-invalid",
    "multiframe_cut.dcm": "dicom-truncated",  # 15 frames, the last one cut short
    "bomb.png": "image-too-large",  # 20 000 x 20 000: a decompression bomb
    "notes.md": "not-data",
    "dangling.png": "broken-link",
}
SERIES_PROBLEMS = {
    "header_only.csv": "csv-header-only",
    "mixed.csv": "csv-mixed-types",
    "nan.csv": "series-all-missing",
    "ragged.csv": "csv-ragged",
    "empty.csv": "empty",
    "object.npy": "npy-dtype",  # pickled objects: never loaded
    "five_d.npy": "npy-shape",
    "corrupt.npy": "npy-corrupt",
    "empty.npz": "npz-no-arrays",
}


def write_images(root: Path) -> None:
    """Three good images and 19 kinds of bad image / DICOM file in ``root``."""
    root.mkdir(parents=True)
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(root / "good1.png")
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8).T.copy()).save(root / "good2.png")
    shutil.copy(CORPUS / "CT_small.dcm", root / "good3.dcm")
    (root / "zero.dcm").write_bytes(b"")
    (root / "zero.png").write_bytes(b"")
    (root / "text.png").write_text("this is not a picture")
    (root / "text.dcm").write_text("neither is this")
    (root / "random.tif").write_bytes(os.urandom(4096))
    png = (root / "good1.png").read_bytes()
    (root / "cut.png").write_bytes(png[: len(png) // 2])
    (root / "cut.dcm").write_bytes((CORPUS / "MR_small.dcm").read_bytes()[:1200])
    shutil.copy(CORPUS / "MR_truncated.dcm", root / "MR_truncated.dcm")
    shutil.copy(CORPUS / "rtplan.dcm", root / "no_pixels.dcm")
    shutil.copy(CORPUS / "JPEG-lossy.dcm", root / "JPEG-lossy.dcm")
    shutil.copy(CORPUS / "badVR.dcm", root / "badVR.dcm")
    shutil.copy(CORPUS / "no_meta.dcm", root / "no_meta.dcm")
    emri = (CORPUS / "rtdose.dcm").read_bytes()
    (root / "multiframe_cut.dcm").write_bytes(emri[: len(emri) - 300])
    Image.new("1", (20000, 20000)).save(root / "bomb.png")
    Image.fromarray(np.full((1, 1), 7, np.uint8)).save(root / "tiny.png")
    (root / "notes.md").write_text("# notes")
    (root / os.fsdecode(b"caf\xe9.png")).write_bytes(png)  # not valid UTF-8
    (root / "loop").symlink_to(root.absolute(), target_is_directory=True)
    (root / "dangling.png").symlink_to(root / "gone.png")


def write_series(root: Path) -> None:
    """One good series and 11 kinds of bad (or merely unusual) series file in ``root``."""
    root.mkdir(parents=True)
    t = np.linspace(0, 6, 50)
    wave = np.c_[np.sin(t), np.cos(t)]
    np.savetxt(root / "good.csv", wave, delimiter=",", header="a,b", comments="")
    (root / "header_only.csv").write_text("a,b,c\n")
    (root / "mixed.csv").write_text("a,b\n1,2\nx,3\n4,5\n")
    (root / "nan.csv").write_text("a,b\n" + "nan,nan\n" * 20)
    (root / "ragged.csv").write_text("a,b\n1,2\n3\n4,5,6\n")
    (root / "semicolon.csv").write_text("a;b\n1,5;2,5\n3,5;4,5\n")
    (root / "latin1.csv").write_bytes("temp\xe9rature,b\n1,2\n3,4\n".encode("latin-1"))
    (root / "empty.csv").write_text("")
    np.save(root / "object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(root / "five_d.npy", np.zeros((2, 2, 2, 2, 2)))
    (root / "corrupt.npy").write_bytes(b"\x93NUMPY garbage")
    np.savez(root / "empty.npz")


def _problems(project: Path, dataset: str) -> dict[str, tuple[str, str]]:
    with Store.open(project) as store:
        found = store.dataset(dataset)
        return {e["path"]: (e["code"], e["message"]) for e in store.import_errors(found["id"])}


def test_bad_images_and_dicom_each_say_why_and_the_rest_imports(project, tmp_path):
    write_images(tmp_path / "scans")
    summary = import_data(ImportConfig(project=project, paths=[tmp_path / "scans"], cache_size=32))
    problems = _problems(project, "scans")
    assert {path: code for path, (code, _) in problems.items()} == IMAGE_PROBLEMS
    for path, (_, message) in problems.items():  # a sentence a person can act on
        assert len(message) > 30 and message.endswith((".", ")")), path
    view = DatasetView.open(project, "scans")
    names = sorted(item["rel_path"] for item in view.items)
    # the good files, a 1 x 1 image, and a file name that is not valid UTF-8 (shown with �)
    assert names == ["caf\ufffd.png", "good1.png", "good2.png", "good3.dcm", "tiny.png"]
    assert summary["items"] == 5 and view.thumbnail(names.index("tiny.png"), 16).shape == (16, 16)


def test_bad_series_each_say_why_and_unusual_ones_import(project, tmp_path):
    write_series(tmp_path / "series")
    import_data(ImportConfig(project=project, paths=[tmp_path / "series"]))
    problems = _problems(project, "series")
    assert {path: code for path, (code, _) in problems.items()} == SERIES_PROBLEMS
    view = DatasetView.open(project, "series")
    by_name = {item["rel_path"]: row for row, item in enumerate(view.items)}
    assert sorted(by_name) == ["good.csv", "latin1.csv", "semicolon.csv"]
    values, _ = view.series(by_name["semicolon.csv"])  # ';' columns, decimal commas
    assert values[:, 0].tolist() == [1.5, 2.5]
    values, _ = view.series(by_name["latin1.csv"])  # not UTF-8: read as Windows-1252
    assert values[:, 1].tolist() == [3.0, 4.0]


def test_a_folder_without_usable_files_and_a_kind_clash_are_explained(project, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "readme.txt").write_text("no data here")
    with pytest.raises(SSLStudioError) as raised:
        import_data(ImportConfig(project=project, paths=[empty]))
    assert "No files to import were found" in str(raised.value)
    assert "choose a folder of DICOM files" in str(raised.value)
    images = tmp_path / "xr"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    import_data(ImportConfig(project=project, paths=[images], cache_size=16))
    series = tmp_path / "ecg"
    series.mkdir()
    (series / "s.csv").write_text("a\n1\n2\n3\n")
    summary = import_data(ImportConfig(project=project, paths=[series], name="xr"))
    assert summary["skipped"] == 1  # a series is not an image: left out, and said why
    [(code, message)] = _problems(project, "xr").values()
    assert code == "other-modality" and "image" in message
    assert len(DatasetView.open(project, "xr").items) == 1  # the dataset is untouched


def test_a_reader_that_panics_or_breaks_never_stops_the_import(monkeypatch, tmp_path):
    """pylibjpeg-rle (Rust) panics with a BaseException on some damaged RLE data; a bug of
    our own must still say "unexpected" so it gets reported; Ctrl+C must still stop."""
    from ssl_studio.core.data import decode as decode_module
    from ssl_studio.core.data.decode import DecodeTask, decode

    png = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(png)
    task = DecodeTask(str(png), "png", 16, b"salt")

    class PanicException(BaseException):  # the name pyo3 gives its panics
        pass

    def panics(*args, **kwargs):
        raise PanicException("called `Result::unwrap()` on an `Err` value")

    monkeypatch.setattr(decode_module, "decode_image", panics)
    [problem] = decode(task).problems
    assert problem.code == "decoder-crashed" and "Copy it again" in problem.message

    def our_bug(*args, **kwargs):
        raise RuntimeError("a bug in SSL Studio")

    monkeypatch.setattr(decode_module, "decode_image", our_bug)
    [problem] = decode(task).problems
    assert problem.code == "unexpected" and "Please report it" in problem.message

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(decode_module, "decode_image", interrupted)
    with pytest.raises(KeyboardInterrupt):
        decode(task)
