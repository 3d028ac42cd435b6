"""Predict makes the images' views a batch at a time: the model gets the numbers it got
file by file, in the order of the paths, with unreadable files as error rows; and its
progress counts files of all of them, with the time left."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pydicom.data
import pytest
import torch
from PIL import Image

from ssl_studio.core.data.decode import DecodeTask, decode
from ssl_studio.core.data.discovery import Found, sniff
from ssl_studio.core.events import EtaClock, Progress
from ssl_studio.core.export import predict_job as job
from ssl_studio.core.export.preprocess import files_of, read_files
from ssl_studio.core.transforms.image_augment import center_view
from ssl_studio.core.wording import progress_detail


def _one_by_one(array: np.ndarray, fields: dict, spec: dict) -> np.ndarray:
    """The per-file path predict took before (preprocess.image_input as it was): one
    ``center_view`` call per item. array: stored [C, S, S] -> [C', size, size]."""
    real = array.astype(np.float32) * float(fields["value_scale"]) + float(fields["value_offset"])
    channels = spec["in_channels"]
    if real.shape[0] != channels:
        real = (
            np.repeat(real[:1], channels, 0) if real.shape[0] == 1 else real.mean(0, keepdims=True)
        )
    centre, width = float(fields["window_center"]), max(float(fields["window_width"]), 1e-6)
    low = torch.tensor([centre - width / 2], dtype=torch.float32)
    high = torch.tensor([centre + width / 2], dtype=torch.float32)
    box = torch.tensor(
        [[fields["box_x0"], fields["box_y0"], fields["box_x1"], fields["box_y1"]]],
        dtype=torch.float32,
    )
    view = center_view(torch.from_numpy(real)[None], low, high, box, spec["image_size"])
    return view[0].numpy()


def _mixed_files(folder: Path) -> None:
    """Real CT and MR DICOM files, PNGs of several sizes and depths, an RGB JPEG, a
    3-page TIFF, a file that is no image and a CSV series (not an image)."""
    folder.mkdir()
    for name in ("CT_small.dcm", "MR_small.dcm"):
        shutil.copy(pydicom.data.get_testdata_file(name), folder / name)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (30, 50), dtype=np.uint8)).save(folder / "a_wide.png")
    deep = rng.integers(0, 4095, (70, 40)).astype(np.uint16)
    Image.fromarray(deep).save(folder / "b_deep.png")
    colour = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(colour).save(folder / "c_colour.jpg")
    pages = [Image.fromarray(rng.integers(0, 255, (24, 24), dtype=np.uint8)) for _ in range(3)]
    pages[0].save(folder / "d_pages.tif", save_all=True, append_images=pages[1:])
    (folder / "e_broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really" * 20)
    (folder / "f_wave.csv").write_text(
        "t,v\n" + "".join(f"{i},{i % 7}\n" for i in range(50)), encoding="utf-8"
    )


@pytest.mark.parametrize(("channels", "size", "at_once"), [(1, 48, 3), (3, 32, 64)])
def test_views_made_a_batch_at_a_time_are_the_numbers_made_one_by_one(
    tmp_path, channels, size, at_once
):
    _mixed_files(tmp_path / "scans")
    spec = {"modality": "image", "in_channels": channels, "image_size": size, "cache_size": 64}
    files = list(files_of([tmp_path / "scans"]))
    got = list(read_files(files, spec, at_once=at_once))
    want = []  # (name, index, x or error), file by file as predict read them before
    for found in files:
        assert isinstance(found, Found)
        kind = sniff(found)
        if kind == "series":
            want.append((found.path.name, 0, "not a time series"))
            continue
        result = decode(DecodeTask(str(found.path), kind, 64, b"salt"))
        if not result.items:
            want.append((found.path.name, 0, "error"))
        for item in result.items:
            want.append((found.path.name, item.index, _one_by_one(item.array, item.fields, spec)))
    assert [(Path(i.path).name, i.index) for i in got] == [(n, i) for n, i, _ in want]
    assert len(got) == 10  # 2 DICOM, 2 PNG, a JPEG, 3 pages, 2 errors
    for item, (name, _, x) in zip(got, want, strict=True):
        if isinstance(x, str):
            assert item.error and item.x is None, name
            continue
        assert item.error is None and item.x.shape == (channels, size, size)
        assert item.x.dtype == x.dtype and np.array_equal(item.x, x), name  # bit for bit
    positions = [item.file for item in got]
    assert positions == sorted(positions) and positions[-1] == len(files) - 1


def test_series_are_read_as_file_by_file(tmp_path):
    folder = tmp_path / "waves"
    folder.mkdir()
    for n, steps in enumerate((40, 40, 55)):
        rows = "".join(f"{np.sin(i / (n + 2)):.4f},{i % 5}\n" for i in range(steps))
        (folder / f"w{n}.csv").write_text("a,b\n" + rows, encoding="utf-8")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(folder / "w1b.png")
    spec = {"modality": "timeseries", "in_channels": 2, "csv_layout": "auto"}
    files = list(files_of([folder]))
    together = list(read_files(files, spec, at_once=2))
    alone = [item for found in files for item in read_files([found], spec)]
    assert [Path(i.path).name for i in together] == ["w0.csv", "w1.csv", "w1b.png", "w2.csv"]
    assert "not an image" in together[2].error
    for a, b in zip(together, alone, strict=True):
        assert (a.path, a.index, a.error, a.note) == (b.path, b.index, b.error, b.note)
        if a.x is not None:
            assert np.array_equal(a.x, b.x) and np.array_equal(a.observed, b.observed)


class _Session:
    """An ONNX session's stand-in: class probabilities from each input's mean."""

    def run(self, _names: object, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        m = 1 / (1 + np.exp(-feeds["x"].reshape(len(feeds["x"]), -1).mean(1)))
        return [np.stack([1 - m, m], 1)]


def test_predict_counts_files_of_all_with_the_time_left_and_keeps_the_path_order(
    tmp_path, monkeypatch
):
    _mixed_files(tmp_path / "scans")
    spec = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 64}
    card = {"spec": spec, "classes": ["no", "yes"]}
    monkeypatch.setattr(job, "_session", lambda _folder: (_Session(), card))
    monkeypatch.setattr(EtaClock, "SETTLE_S", 0.0)  # (a time left once work is measured)
    (tmp_path / "model").mkdir()
    events: list[Progress] = []
    out = tmp_path / "p.csv"
    counts = job.predict(tmp_path / "model", [tmp_path / "scans"], out, batch_size=2,
                         report=events.append)  # fmt: skip
    assert counts["items"] == 8 and counts["errors"] == 2
    assert events and all(e.total == 8 for e in events)  # 8 files (the TIFF is one)
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == 8 and len(set(done)) > 2
    assert events[-1].counts == {"items": 8, "errors": 2}
    assert events[0].eta_s is None  # the first batch back: nothing measured yet
    assert all(e.eta_s is not None for e in events[1:])
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    names = [(Path(r["path"]).name, int(r["index"])) for r in rows]
    assert names == sorted(names) and len(rows) == 10  # in the order of the paths
    errors = {Path(r["path"]).name for r in rows if r["error"]}
    assert errors == {"e_broken.png", "f_wave.csv"}  # each still a row of its own


def test_predict_progress_reads_files_of_all_and_time_left():
    event = Progress("predict", done=64, total=1000, eta_s=12.4, phase="predict",
                     counts={"items": 64, "errors": 0})  # fmt: skip
    assert progress_detail(event) == "64 of 1000 files, about 12 s left"
    failed = Progress("predict", done=1000, total=1000, eta_s=0.0, counts={"errors": 3})
    assert progress_detail(failed) == "1000 of 1000 files, 3 with errors"


def test_a_stop_ends_the_inputs_before_the_next_file_is_decoded(tmp_path, monkeypatch):
    """Stop waited until 64 images were decoded for one batch of views (minutes on a
    slow share); now no file is decoded once it is asked."""
    folder = tmp_path / "files"
    _mixed_files(folder)
    files = list(files_of([folder]))
    spec = {"modality": "image", "in_channels": 1, "image_size": 32, "cache_size": 64}
    decoded = []
    monkeypatch.setattr(
        "ssl_studio.core.export.preprocess.decode",
        lambda task: decoded.append(task.path) or decode(task),
    )
    inputs = read_files(files, spec, stopped=lambda: len(decoded) >= 2)
    assert list(inputs) == []  # (the images waited for their batch: none was made)
    assert len(decoded) == 2 and len(files) > 2
