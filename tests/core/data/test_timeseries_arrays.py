"""The time-series reader on NPY and NPZ arrays: shapes, refused and broken files, pickles
never unpickled, oversized archives, train/test pairs and UCR archives."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from series_file_checks import decode, problem

from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.timeseries import decode_series_file

UCR = Path("/work/shared/data/ucr/JapaneseVowels.npz")  # only on a machine that has it


# ----------------------------------------------------------------------------- NPY / NPZ


@pytest.mark.parametrize(
    ("shape", "dtype", "shapes", "names"),
    [
        ((6,), np.int16, [(1, 6)], ["s"]),
        ((3, 5), np.float64, [(1, 5)] * 3, ["s[0]", "s[1]", "s[2]"]),
        ((2, 4, 7), np.bool_, [(4, 7)] * 2, ["s[0]", "s[1]"]),
    ],
)
def test_npy_shapes(tmp_path: Path, shape, dtype, shapes, names) -> None:
    np.save(tmp_path / "s.npy", (np.arange(np.prod(shape)) % 3).reshape(shape).astype(dtype))
    items = decode(tmp_path / "s.npy", sampling_rate=10).items
    assert [i.array.shape for i in items] == shapes
    assert [i.fields["meta"]["name"] for i in items] == names
    assert [i.index for i in items] == list(range(len(shapes)))
    assert all(i.fields["sampling_rate"] == 10.0 and i.label is None for i in items)


@pytest.mark.parametrize(
    ("array", "code"),
    [
        (np.zeros((2, 2, 2, 2), np.float32), "npy-shape"),
        (np.float32(3), "npy-shape"),
        (np.array(["a", "b"]), "npy-dtype"),
        (np.ones(3, np.complex64), "npy-dtype"),
        (np.zeros((0, 5)), "empty"),
    ],
)
def test_npy_refused(tmp_path: Path, array: np.ndarray, code: str) -> None:
    np.save(tmp_path / "bad.npy", array)
    err = problem(tmp_path / "bad.npy", code)
    assert "bad.npy" in err.message
    if code == "npy-shape":
        assert str(list(array.shape)) in err.message and "[N, C, T]" in err.message


def test_a_recording_saved_time_first_is_refused_with_the_fix(tmp_path: Path) -> None:
    np.save(tmp_path / "rec.npy", np.zeros((2000, 3), np.float32))  # [T, C], numpy's habit
    err = problem(tmp_path / "rec.npy", "npy-shape")
    assert "2000 series of only 3 steps" in err.message and "x.T[None]" in err.message
    np.save(tmp_path / "ok.npy", np.zeros((3, 2000), np.float32))  # [N, T]: 3 long series
    assert len(decode(tmp_path / "ok.npy").items) == 3
    recording = np.random.default_rng(0).normal(size=(2000, 3)).astype(np.float32)
    np.save(tmp_path / "fixed.npy", recording.T[None])  # the fix the message gives
    (item,) = decode(tmp_path / "fixed.npy").items  # one recording of 3 channels
    np.testing.assert_array_equal(item.array, recording.T)


class _Trap:
    """Unpickling this would create the file at ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_data_is_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    trap = np.array([_Trap(marker), None], dtype=object)
    np.save(tmp_path / "obj.npy", trap, allow_pickle=True)
    (tmp_path / "raw.npy").write_bytes(pickle.dumps(_Trap(marker)))
    np.savez(tmp_path / "obj.npz", X=trap)
    for name in ("obj.npy", "raw.npy"):
        assert "never unpickles" in problem(tmp_path / name, "npy-dtype").message
    assert problem(tmp_path / "obj.npz", "npz-no-arrays")
    assert not marker.exists()


def test_broken_array_files(tmp_path: Path) -> None:
    np.save(tmp_path / "cut.npy", np.arange(1000.0))
    data = (tmp_path / "cut.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    problem(tmp_path / "cut.npy", "npy-corrupt")
    (tmp_path / "text.npy").write_text("1,2,3\n")
    problem(tmp_path / "text.npy", "npy-corrupt")
    np.savez(tmp_path / "cut.npz", X=np.arange(1000.0))
    (tmp_path / "cut.npz").write_bytes((tmp_path / "cut.npz").read_bytes()[:300])
    problem(tmp_path / "cut.npz", "npz-corrupt")
    np.savez(tmp_path / "names.npz", names=np.array(["a", "b"]))
    assert "names" in problem(tmp_path / "names.npz", "npz-no-arrays").message
    with zipfile.ZipFile(tmp_path / "empty.npz", "w"):
        pass
    problem(tmp_path / "empty.npz", "npz-no-arrays")


def test_an_npz_that_unpacks_beyond_the_free_memory_is_refused_before_reading(
    tmp_path: Path, monkeypatch
) -> None:
    """A 1 MB NPZ of zeros unpacked to 1.8 GB: 20 MB of them would end the app."""
    np.savez_compressed(tmp_path / "zeros.npz", X=np.zeros((4, 1, 250_000), np.float32))
    monkeypatch.setattr("ssl_studio.core.data.series_arrays.free_memory", lambda: 6_000_000)
    found = problem(tmp_path / "zeros.npz", "npz-too-large")  # 1 M float32 and its copy
    assert "would take 8.0 MB of memory to read, more than the 6.0 MB free" in found.message
    monkeypatch.setattr("ssl_studio.core.data.series_arrays.free_memory", lambda: 9_000_000)
    found = decode_series_file(tmp_path / "zeros.npz")
    assert len(found.items) == 4 and not found.problems


def test_npz_train_test_pairs_with_nan_padding(tmp_path: Path) -> None:
    x_train = np.full((3, 2, 6), np.nan, np.float32)
    for n, length in enumerate((6, 4, 2)):
        x_train[n, :, :length] = n
    x_train[1, 1, 0] = np.nan  # an inner gap in one channel is kept
    x_test = np.ones((2, 2, 5), np.float64)
    path = tmp_path / "ucr.npz"
    np.savez(
        path,
        X_train=x_train,
        y_train=np.array(["a", "b", "a"]),
        X_test=x_test,
        y_test=np.array([1, 2]),
        fs=np.float32(100),
    )
    decoded = decode(path)
    assert [i.fields["length"] for i in decoded.items] == [6, 4, 2, 5, 5]
    assert [i.label for i in decoded.items] == ["a", "b", "a", "1", "2"]
    assert [i.index for i in decoded.items] == [0, 1, 2, 3, 4]
    assert decoded.items[3].fields["meta"]["name"] == "X_test[0]"
    assert decoded.items[1].fields["n_missing"] == 1
    assert [p.code for p in decoded.problems] == ["npy-shape"]  # fs is 0-d: reported, skipped


def test_npz_labels_for_single_array_and_unpaired_y(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", data=np.zeros((4, 3)), labels=np.array([0.0, 1.0, 1.0, np.nan]))
    items = decode(tmp_path / "d.npz").items
    assert [i.label for i in items] == ["0", "1", "1", None]
    np.savez(tmp_path / "c.npz", X=np.zeros((3, 1, 6)), y=np.array([[1], [2], [1]]))  # a column
    assert [i.label for i in decode(tmp_path / "c.npz").items] == ["1", "2", "1"]
    lone = tmp_path / "lone.npz"  # a label column that pairs with nothing stays in sight
    np.savez(lone, ecg=np.zeros((3, 6)), ppg=np.ones((3, 6)), y=np.array([[1], [2], [1]]))
    assert any("only 1 time step" in p.message for p in decode(lone).problems)
    np.savez(tmp_path / "s.npz", x=np.arange(5.0), y=np.arange(5.0) ** 2)  # y is a series here
    assert [i.fields["meta"]["name"] for i in decode(tmp_path / "s.npz").items] == ["x", "y"]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".npy", ".npz"])
def test_garbage_raises_only_import_problems(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(0)
    headers = [b"", b"\x93NUMPY", b"PK\x03\x04", b"a,b\n1,"]
    refused = 0
    for n in range(12):
        path = tmp_path / f"g{n}{suffix}"
        path.write_bytes(headers[n % 4] + rng.bytes(int(rng.integers(1, 400))))
        try:
            decode_series_file(path)
        except ImportProblem as err:
            assert err.code and path.name in err.message
            refused += 1
    assert refused > 0  # garbage is refused, as a problem, not read as series


def test_a_ucr_archive_gives_one_item_per_series_at_its_own_length(tmp_path: Path) -> None:
    """The layout of the UCR/UEA archives as npz (JapaneseVowels): X_train and X_test
    float32 [N, channels, steps] padded with NaN after each series' end, y_train and
    y_test its string labels."""
    rng = np.random.default_rng(3)
    lengths = {"train": [7, 10, 9, 7, 8], "test": [12, 7, 11]}
    arrays, series = {}, []
    for part, sizes in lengths.items():
        x = np.full((len(sizes), 3, max(sizes)), np.nan, np.float32)
        for n, size in enumerate(sizes):
            x[n, :, :size] = rng.normal(size=(3, size))
            series.append(x[n, :, :size])
        arrays[f"X_{part}"] = x
        arrays[f"y_{part}"] = np.array([str(1 + n % 3) for n in range(len(sizes))])
    path = tmp_path / "Vowels.npz"
    np.savez(path, **arrays)
    decoded = decode(path)
    assert not decoded.problems
    assert [i.fields["length"] for i in decoded.items] == [7, 10, 9, 7, 8, 12, 7, 11]
    assert {i.fields["channels"] for i in decoded.items} == {3}
    assert [i.label for i in decoded.items] == ["1", "2", "3", "1", "2", "1", "2", "3"]
    assert all(i.fields["n_missing"] == 0 for i in decoded.items)  # the padding is no gap
    for item, values in zip(decoded.items, series, strict=True):
        assert np.array_equal(item.array, values)
    names = [i.fields["meta"]["name"] for i in decoded.items]
    assert names[0] == "X_train[0]" and names[-1] == "X_test[2]"


@pytest.mark.skipif(not UCR.exists(), reason="an extra check on the real file, where it is")
def test_japanese_vowels() -> None:
    with np.load(UCR) as archive:
        n_train, n_test = len(archive["y_train"]), len(archive["y_test"])
        classes = set(archive["y_train"]) | set(archive["y_test"])
    decoded = decode(UCR)
    assert len(decoded.items) == n_train + n_test == 640 and not decoded.problems
    lengths = {i.fields["length"] for i in decoded.items}
    assert {i.fields["channels"] for i in decoded.items} == {12}
    assert min(lengths) >= 7 and max(lengths) <= 29 and len(lengths) > 10
    assert {i.label for i in decoded.items} == classes
    assert all(i.fields["n_missing"] == 0 for i in decoded.items)
