"""split.json read in one place: its parts, and clear errors for a missing or damaged file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.splits import Split
from ssl_studio.core.project.split_file import SPLIT_FILE, read_split, split_or_none


def test_a_split_written_by_the_job_reads_back(tmp_path):
    ids = np.array([10, 11, 12, 13, 14])
    written = Split(np.array([0, 1]), np.array([2]), np.array([3, 4]), note="whole patients")
    saved = {**written.to_dict(ids), "patients_kept_apart": False, "content": {"test": ["a", None]}}
    (tmp_path / SPLIT_FILE).write_text(json.dumps(saved), encoding="utf-8")
    split = read_split(tmp_path)
    assert (split.train, split.val, split.test) == ([10, 11], [12], [13, 14])
    assert split.note == "whole patients" and split.patients_kept_apart is False
    assert split.content == {"test": ["a", None]} and split.folds is None
    assert split.ids("folds") is None and split.ids("test") == [13, 14]


def test_folds_read_in_order(tmp_path):
    saved = {"train": [1, 2, 3, 4], "val": [], "test": [], "folds": [[3, 1], [2, 4]]}
    (tmp_path / SPLIT_FILE).write_text(json.dumps(saved), encoding="utf-8")
    split = read_split(tmp_path)
    assert split.folds == [[3, 1], [2, 4]] and split.ids("folds") == [3, 1, 2, 4]
    assert split.patients_kept_apart is None


def test_a_missing_file_says_which_and_why(tmp_path):
    with pytest.raises(ConfigError, match=r"split\.json is missing"):
        read_split(tmp_path)
    assert split_or_none(tmp_path) is None


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"train": "1,2"}', '{"test": [1, "x"]}', '{"folds": 3}']
)
def test_a_damaged_file_says_so(tmp_path, text):
    (tmp_path / SPLIT_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"split\.json is damaged"):
        read_split(tmp_path)
    assert split_or_none(tmp_path) is None


def test_the_hashes_recorded_at_fine_tuning_read_the_split_as_saved_splits_do():
    """recorded_hashes reads item ids the one way SavedSplit does (no second reader of
    the split's dict): test and validation hashes in order, folds flattened."""
    from ssl_studio.core.finetune.split_changes import recorded_hashes
    from ssl_studio.core.project.split_file import parsed_split

    items = [{"id": i, "content_hash": f"h{i}" if i != 4 else None} for i in range(1, 8)]
    single = parsed_split({"train": [1, 2], "val": [3], "test": [5, 4]})
    assert recorded_hashes(single, items) == {"content": {"test": ["h5", None], "val": ["h3"]}}
    folds = parsed_split({"train": [], "val": [], "test": [], "folds": [[7, 6], [1]]})
    assert recorded_hashes(folds, items)["content"]["folds"] == ["h7", "h6", "h1"]
