"""A corpus of bad input: every kind gets its own specific reason, the import carries on
with the other files, and unusual-but-valid files import correctly."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate
from pydicom.uid import UID

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.import_target import DatasetExistsError
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
    "fake.gif": "not-data",  # a format we do not read
    "cut.png": "image-corrupt",
    "cut.dcm": "dicom-truncated",  # an MR image cut inside its header: no pixels left
    "MR_truncated.dcm": "dicom-truncated",
    "no_pixels.dcm": "dicom-no-pixels",  # an RT plan
    "JPEG-lossy.dcm": "dicom-decode-failed",  # pydicom's deliberately broken JPEG
    "mpeg2.dcm": "dicom-decoder-missing",  # a compression no installed decoder reads
    "badVR.dcm": "dicom-bad-pixels",
    "rows0.dcm": "dicom-bad-pixels",  # a header that says the image has no rows
    "bits7.dcm": "dicom-bad-pixels",  # 7 bits allocated per pixel
    "palette.dcm": "dicom-bad-pixels",  # PALETTE COLOR without a lookup table
    "no_meta.dcm": "dicom-invalid",
    "marker.dcm": "dicom-invalid",  # DICM marker damaged; the preamble is a TIFF header
    "multiframe_cut.dcm": "dicom-truncated",  # 15 frames, the last one cut short
    "frames_claimed.dcm": "dicom-truncated",  # says 3 frames, holds 1
    "bomb.png": "image-too-large",  # 20 000 x 20 000: a decompression bomb
    "tiny.png": "image-too-small",  # 1 x 1
    "small.dcm": "image-too-small",  # pydicom's 3 x 3 RGB
    "strip.tif": "image-too-small",  # 2 x 300
    "notes.md": "not-data",
    "dangling.png": "broken-link",
    "loop": "link-up",  # a link to the folder itself: not followed, and said so
}
SERIES_PROBLEMS = {
    "header_only.csv": "csv-header-only",
    "mixed.csv": "csv-mixed-types",
    "nan.csv": "series-all-missing",
    "commas.csv": "series-all-missing",  # only separators
    "overflow.csv": "series-all-missing",  # a number beyond float32: infinite, so missing
    "ragged.csv": "csv-ragged",
    "empty.csv": "empty",
    "binary.csv": "csv-encoding",  # NUL bytes: not text
    "one_value.csv": "series-too-short",
    "object.npy": "npy-dtype",  # pickled objects: never loaded
    "strings.npy": "npy-dtype",
    "complex.npy": "npy-dtype",
    "five_d.npy": "npy-shape",
    "zero_length.npy": "empty",
    "corrupt.npy": "npy-corrupt",
    "empty.npz": "npz-no-arrays",
}


def dicom_variant(name: str, **changes) -> pydicom.Dataset:
    """A pydicom corpus file with some header values changed."""
    ds = pydicom.dcmread(CORPUS / name)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    return ds


def write_images(root: Path) -> None:
    """Three good images (one a PNG named .jpg) and 26 kinds of bad image / DICOM file."""
    root.mkdir(parents=True)
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(root / "good1.png")
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8).T.copy()).save(root / "good2.jpg")
    shutil.copy(CORPUS / "CT_small.dcm", root / "good3.dcm")
    (root / "zero.dcm").write_bytes(b"")
    (root / "zero.png").write_bytes(b"")
    (root / "text.png").write_text("this is not a picture")
    (root / "text.dcm").write_text("neither is this")
    (root / "random.tif").write_bytes(os.urandom(4096))
    (root / "fake.gif").write_bytes(b"GIF89a" + os.urandom(100))
    png = (root / "good1.png").read_bytes()
    (root / "cut.png").write_bytes(png[: len(png) // 2])
    (root / "cut.dcm").write_bytes((CORPUS / "MR_small.dcm").read_bytes()[:1200])
    shutil.copy(CORPUS / "MR_truncated.dcm", root / "MR_truncated.dcm")
    shutil.copy(CORPUS / "rtplan.dcm", root / "no_pixels.dcm")
    shutil.copy(CORPUS / "JPEG-lossy.dcm", root / "JPEG-lossy.dcm")
    mpeg = dicom_variant("CT_small.dcm", PixelData=encapsulate([bytes(100)]))
    mpeg.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.100")  # MPEG2 video
    mpeg["PixelData"].is_undefined_length = True
    mpeg.save_as(root / "mpeg2.dcm", implicit_vr=False, little_endian=True)
    shutil.copy(CORPUS / "badVR.dcm", root / "badVR.dcm")
    dicom_variant("CT_small.dcm", Rows=0).save_as(root / "rows0.dcm")
    dicom_variant("CT_small.dcm", BitsAllocated=7).save_as(root / "bits7.dcm")
    dicom_variant("CT_small.dcm", PhotometricInterpretation="PALETTE COLOR").save_as(
        root / "palette.dcm"
    )
    shutil.copy(CORPUS / "no_meta.dcm", root / "no_meta.dcm")
    damaged = bytearray((CORPUS / "MR_small.dcm").read_bytes())  # its preamble: "II*\0..."
    damaged[128:132] = b"DXCM"
    (root / "marker.dcm").write_bytes(bytes(damaged))
    emri = (CORPUS / "rtdose.dcm").read_bytes()
    (root / "multiframe_cut.dcm").write_bytes(emri[: len(emri) - 300])
    dicom_variant("CT_small.dcm", NumberOfFrames=3).save_as(root / "frames_claimed.dcm")
    Image.new("1", (20000, 20000)).save(root / "bomb.png")
    Image.fromarray(np.full((1, 1), 7, np.uint8)).save(root / "tiny.png")
    shutil.copy(CORPUS / "SC_rgb_small_odd.dcm", root / "small.dcm")
    Image.fromarray(np.zeros((300, 2), np.uint8)).save(root / "strip.tif")
    (root / "notes.md").write_text("# notes")
    (root / os.fsdecode(b"caf\xe9.png")).write_bytes(png)  # not valid UTF-8
    (root / "loop").symlink_to(root.absolute(), target_is_directory=True)
    (root / "dangling.png").symlink_to(root / "gone.png")


def write_series(root: Path) -> None:
    """Three good and three unusual-but-valid series, and 16 kinds of bad series file."""
    root.mkdir(parents=True)
    t = np.linspace(0, 6, 50)
    wave = np.c_[np.sin(t), np.cos(t)]
    np.savetxt(root / "good.csv", wave, delimiter=",", header="a,b", comments="")
    (root / "header_only.csv").write_text("a,b,c\n")
    (root / "mixed.csv").write_text("a,b\n1,2\nx,3\n4,5\n")
    (root / "nan.csv").write_text("a,b\n" + "nan,nan\n" * 20)
    (root / "commas.csv").write_text(",,,\n" * 5)
    (root / "overflow.csv").write_text("a\n" + "9" * 400 + "\n")
    (root / "infinite.csv").write_text("a,b\n1,inf\n-inf,2\n3,4\n5,6\n7,8\n")
    (root / "ragged.csv").write_text("a,b\n1,2\n3\n4,5,6\n")
    (root / "semicolon.csv").write_text("a;b\n1,5;2,5\n3,5;4,5\n5;6\n7;8\n")
    (root / "latin1.csv").write_bytes("temp\xe9rature,b\n1,2\n3,4\n5,6\n7,8\n".encode("latin-1"))
    (root / "empty.csv").write_text("")
    (root / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (root / "one_value.csv").write_text("a\n1\n")
    np.save(root / "object.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(root / "strings.npy", np.array(["ab", "cd"]))
    np.save(root / "complex.npy", np.zeros(10, complex))
    np.save(root / "five_d.npy", np.zeros((2, 2, 2, 2, 2)))
    np.save(root / "zero_length.npy", np.zeros(0))
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
    assert "'DICM' marker (bytes 128 to 131) is missing or changed" in problems["marker.dcm"][1]
    for path, (_, message) in problems.items():  # a sentence a person can act on
        assert len(message) > 30 and message.endswith((".", ")")), path
    view = DatasetView.open(project, "scans")
    names = Counter(item["rel_path"] for item in view.items)
    # the good files (a PNG named .jpg is read as PNG) and a file name that is not valid
    # UTF-8 (shown with �); the directory link to itself was not followed (reported); the
    # complete frames of the two cut-short multi-frame files, their missing ones reported
    assert names == {
        "caf\ufffd.png": 1,
        "good1.png": 1,
        "good2.jpg": 1,
        "good3.dcm": 1,
        "frames_claimed.dcm": 1,  # 1 of the 3 frames it claims
        "multiframe_cut.dcm": 14,  # 14 of 15
    }
    assert summary["items"] == 19


def test_bad_series_each_say_why_and_unusual_ones_import(project, tmp_path):
    write_series(tmp_path / "series")
    import_data(ImportConfig(project=project, paths=[tmp_path / "series"]))
    problems = _problems(project, "series")
    assert {path: code for path, (code, _) in problems.items()} == {
        **SERIES_PROBLEMS,
        "latin1.csv": "columns-differ",  # imported, noted: 'température' stands where 'a' is
    }
    view = DatasetView.open(project, "series")
    by_name = {item["rel_path"]: row for row, item in enumerate(view.items)}
    assert sorted(by_name) == ["good.csv", "infinite.csv", "latin1.csv", "semicolon.csv"]
    values, _ = view.series(by_name["semicolon.csv"])  # ';' columns, decimal commas
    assert values[:, 0].tolist() == [1.5, 2.5]
    values, _ = view.series(by_name["latin1.csv"])  # not UTF-8: read as Windows-1252
    assert values[:, 1].tolist() == [3.0, 4.0]
    values, observed = view.series(by_name["infinite.csv"])  # infinities become missing
    assert observed.tolist() == [[True, False, True, True, True], [False, True, True, True, True]]
    assert np.isfinite(values).all()


def test_an_empty_folder_a_taken_name_and_a_kind_clash_are_explained(project, tmp_path):
    empty = tmp_path / "Zqxdoe_Jane"  # a folder named after a patient: not repeated
    empty.mkdir()
    (empty / "readme.txt").write_text("no data here")
    with pytest.raises(SSLStudioError) as raised:
        import_data(ImportConfig(project=project, paths=[empty]))
    assert "No files to import were found in the folder or file you chose" in str(raised.value)
    assert "Zqxdoe" not in str(raised.value)
    assert "choose a folder of DICOM files" in str(raised.value)
    images = tmp_path / "xr"
    images.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(images / "a.png")
    import_data(ImportConfig(project=project, paths=[images], cache_size=16))
    series = tmp_path / "ecg"
    series.mkdir()
    (series / "s.csv").write_text("a\n1\n2\n3\n4\n")
    with pytest.raises(DatasetExistsError, match="'xr' already exists, imported from other"):
        import_data(ImportConfig(project=project, paths=[series], name="xr"))
    with Store.open(project) as store:  # refused before anything was recorded
        [(imports,)] = store.conn.execute("SELECT COUNT(*) FROM imports").fetchall()
    assert imports == 1
    again = import_data(ImportConfig(project=project, paths=[images]))  # the same folder
    assert again["unchanged"] == 1
    summary = import_data(ImportConfig(project=project, paths=[series], name="xr", add=True))
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
