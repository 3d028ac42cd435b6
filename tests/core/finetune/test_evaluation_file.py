"""evaluation.json, a fine-tuned run's stored test report (for a cross-validated run the
only copy of its figures): rewriting it with the paired comparison replaces it whole, so
a full disk keeps the first report; a damaged one is a message naming the file and what
to do, from evaluate, export and the command line, never "unexpected error"."""

from __future__ import annotations

import errno
import io
import json
import shutil

import pytest
from finetune_projects import folder_labels_config

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.jobs import evaluate, export, finetune


class _CutShort:
    """A text file whose write of the paired comparison stops half-way: the disk is full."""

    def __init__(self, file: io.TextIOBase) -> None:
        self._file = file

    def write(self, text: str) -> int:
        if '"versus_baseline"' in text:
            self._file.write(text[: len(text) // 2])
            self._file.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._file.write(text)

    def __enter__(self) -> _CutShort:
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._file, name)


def _tuned_and_baseline(project):
    """The fine-tuned run and its baseline, the two runs made last (their folders)."""
    runs = sorted((p for p in (project / "runs").iterdir()), key=lambda p: int(p.name))
    return runs[-2], runs[-1]


def test_a_paired_comparison_cut_short_by_a_full_disk_keeps_the_first_report(
    image_project, monkeypatch, capsys
):
    project, run = image_project
    real_open = io.open  # (Path.write_text and os.fdopen both open through it)

    def opening(file, mode="r", *args, **kwargs):
        opened = real_open(file, mode, *args, **kwargs)
        return _CutShort(opened) if "w" in mode and "b" not in mode else opened

    monkeypatch.setattr(io, "open", opening)
    with pytest.raises((OSError, SSLStudioError), match="(?i)disk is full|no space left"):
        finetune(folder_labels_config(project, run, baseline=True))
    monkeypatch.undo()
    tuned, _ = _tuned_and_baseline(project)
    stored = json.loads((tuned / "evaluation.json").read_text(encoding="utf-8"))
    assert stored["n"] > 0 and "versus_baseline" not in stored  # the first report, whole
    assert not [p.name for p in tuned.iterdir() if p.name.startswith(".tmp-")]

    # a damaged report of a run tested on held-out items: its stored pairing is unreadable
    (tuned / "evaluation.json").write_text('{"accuracy": {"val', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"evaluation.json is damaged \(it is not valid JSON"):
        evaluate(project, int(tuned.name), n_boot=10)
    assert main(["evaluate", str(project), "--run", tuned.name]) == 1
    said = capsys.readouterr().err
    assert f"{tuned / 'evaluation.json'} is damaged" in said and "unexpected" not in said
    assert "delete it to go on without that comparison" in said
    (tuned / "evaluation.json").unlink()  # as the message says: evaluated without it
    assert "versus_baseline" not in evaluate(project, int(tuned.name), n_boot=10)


@pytest.fixture(scope="module")
def cross_validated(image_project):
    """(project, fine-tuned run's folder, its baseline's folder): 3-fold, with a baseline."""
    project, run = image_project
    finetune(folder_labels_config(project, run, baseline=True, folds=3))
    return project, *_tuned_and_baseline(project)


def test_a_damaged_or_lost_report_of_a_cross_validated_run_says_what_to_do(cross_validated):
    project, tuned, _ = cross_validated
    run_id = int(tuned.name)
    path = tuned / "evaluation.json"
    good = path.read_bytes()
    assert "versus_baseline" in evaluate(project, run_id)  # (the stored figures)
    try:
        for damage, said in ((b"", "it is empty"), (b"[]", "it holds no report"),
                             (good[: len(good) // 2], "it is not valid JSON")):  # fmt: skip
            path.write_bytes(damage)
            with pytest.raises(ConfigError, match=rf"is damaged \({said}") as caught:
                evaluate(project, run_id)
            assert str(path) in str(caught.value)
            assert f"the cross-validated figures of run {run_id}" in str(caught.value)
            assert "fine-tune again" in str(caught.value)
        path.unlink()
        with pytest.raises(ConfigError, match="evaluation.json is missing: it held the cross"):
            evaluate(project, run_id)
    finally:
        path.write_bytes(good)


def test_export_says_which_report_is_damaged(cross_validated, tmp_path):
    project, tuned, baseline = cross_validated
    run_id = int(tuned.name)
    for folder, said in (
        (tuned, "the comparison with the baseline stored there"),
        (baseline, f"the test figures of baseline run {baseline.name} stored there"),
    ):
        path = folder / "evaluation.json"
        good = path.read_bytes()
        path.write_bytes(good[:100])
        try:
            with pytest.raises(ConfigError, match="is damaged") as caught:
                export(project, run_id, tmp_path / "model", formats=("safetensors",))
        finally:
            path.write_bytes(good)
        assert str(path) in str(caught.value) and said in str(caught.value)
        assert not (tmp_path / "model").exists()
    card = export(project, run_id, tmp_path / "model", formats=("safetensors",))
    assert card["metrics"]["test"]["versus_baseline"]["baseline_run_id"] == int(baseline.name)
    shutil.rmtree(tmp_path / "model")
