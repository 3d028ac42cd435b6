"""The job contract of jobs.py for embed, evaluate, export and predict: Started first,
Finished last with the result (cancelled when stopped), or Failed and the error raised;
and the command line's last JSON line (--jsonl) and exit code 130 when stopped."""

from __future__ import annotations

import json
import os
import signal

import pytest
from finetune_projects import folder_labels_config

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Event, Failed, Finished, Progress, Started, Stopped, StopToken
from ssl_studio.core.jobs import embed, evaluate, export, finetune, predict


@pytest.fixture(scope="module")
def exported(image_project, tmp_path_factory):
    """(project, pretraining run, fine-tuning run, export folder, an image to predict)."""
    project, run = image_project
    result = finetune(folder_labels_config(project, run))
    out = tmp_path_factory.mktemp("exports") / "model"
    export(project, result["run_id"], out, ("onnx",))
    image = project.parent / "shapes" / "circle" / "circle001.png"
    return project, run, result["run_id"], out, image


def _framed(events: list[Event], job: str) -> Finished:
    """The events begin with Started and end with Finished, both of ``job``, and hold no
    other Started, Finished or Failed; returns the Finished."""
    assert isinstance(events[0], Started) and events[0].job == job, events[:2]
    assert isinstance(events[-1], Finished) and events[-1].job == job, events[-2:]
    ends = [e for e in events[1:-1] if isinstance(e, Started | Finished | Failed)]
    assert ends == []
    return events[-1]


def _failed(events: list[Event], job: str) -> Failed:
    assert [type(e) for e in events] == [Started, Failed] and events[1].job == job
    return events[1]


def test_embed_is_framed_and_an_unknown_run_fails(exported):
    project, run, *_ = exported
    events: list[Event] = []
    ids, vectors = embed(project, run, report=events.append)
    finished = _framed(events, "embed")
    assert finished.result == {"run_id": run, "items": len(ids)} and not finished.cancelled
    assert any(isinstance(e, Progress) for e in events)
    events.clear()
    with pytest.raises(ConfigError, match="no run 999"):
        embed(project, 999, report=events.append)
    assert "no run 999" in _failed(events, "embed").error


def test_evaluate_is_framed_with_progress_and_an_unknown_run_fails(exported):
    project, _, run_id, *_ = exported
    events: list[Event] = []
    report = evaluate(project, run_id, n_boot=250, report=events.append)
    finished = _framed(events, "evaluate")
    assert finished.result == report and not finished.cancelled
    phases = [(e.phase, e.done, e.total) for e in events if isinstance(e, Progress)]
    assert ("scoring", report["n"], report["n"]) in phases
    assert [p for p in phases if p[0] == "resampling"] == [
        ("resampling", 100, 250),
        ("resampling", 200, 250),
        ("resampling", 250, 250),
    ]
    events.clear()
    with pytest.raises(ConfigError, match="999"):
        evaluate(project, 999, report=events.append)
    assert "999" in _failed(events, "evaluate").error


def test_evaluate_stops_between_parts_of_the_bootstrap(exported):
    project, _, run_id, *_ = exported
    stop = StopToken()
    events: list[Event] = []

    def report(event: Event) -> None:
        events.append(event)
        if isinstance(event, Progress):
            stop.stop()  # at the first word of progress

    with pytest.raises(Stopped):
        evaluate(project, run_id, n_boot=1000, report=report, stop=stop)
    finished = _framed(events, "evaluate")
    assert finished.cancelled and finished.result == {}
    assert len([e for e in events if isinstance(e, Progress)]) == 1  # no more work after


def test_export_is_framed_and_an_unknown_run_fails(exported, tmp_path):
    project, _, run_id, *_ = exported
    events: list[Event] = []
    card = export(project, run_id, tmp_path / "again", ("safetensors",), report=events.append)
    finished = _framed(events, "export")
    assert finished.result == card and not finished.cancelled
    events.clear()
    stop = StopToken()
    stop.stop()
    with pytest.raises(Stopped):  # stopped before the first format: Finished, cancelled
        export(project, run_id, tmp_path / "stopped", report=events.append, stop=stop)
    assert _framed(events, "export").cancelled
    events.clear()
    with pytest.raises(ConfigError, match="999"):
        export(project, 999, tmp_path / "none", report=events.append)
    assert "999" in _failed(events, "export").error


def test_predict_is_framed_and_a_folder_that_is_no_export_fails(exported, tmp_path):
    project, _, _, out, image = exported
    events: list[Event] = []
    counts = predict(out, [image], tmp_path / "p.csv", report=events.append)
    finished = _framed(events, "predict")
    assert finished.result == counts and counts["items"] == 1 and not finished.cancelled
    events.clear()
    with pytest.raises(ConfigError, match="not an export"):
        predict(project, [image], tmp_path / "q.csv", report=events.append)
    assert "not an export" in _failed(events, "predict").error


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_export_and_predict_print_a_last_json_line_on_success_and_failure(
    exported, tmp_path, capsys
):
    project, _, run_id, _, image = exported
    model = tmp_path / "model"
    argv = ["export", str(project), "--run", str(run_id), "--out", str(model), "--jsonl"]
    assert main([*argv, "--format", "onnx"]) == 0
    lines = _lines(capsys.readouterr().out)  # nothing on stdout but events
    assert lines[0]["type"] == "started" and lines[-1]["type"] == "finished"
    assert "model.onnx" in lines[-1]["result"]["files"]
    assert main(argv) == 1  # the folder is used now
    lines = _lines(capsys.readouterr().out)
    assert lines[-1]["type"] == "failed" and "already exists" in lines[-1]["error"]

    argv = ["predict", str(model), str(image), "--out", str(tmp_path / "p.csv"), "--jsonl"]
    assert main(argv) == 0
    lines = _lines(capsys.readouterr().out)
    assert lines[0]["type"] == "started" and lines[-1]["type"] == "finished"
    assert lines[-1]["result"]["items"] == 1 and lines[-1]["result"]["cancelled"] is False
    assert main(argv) == 1  # the table exists now
    lines = _lines(capsys.readouterr().out)
    assert lines[-1]["type"] == "failed" and "already exists" in lines[-1]["error"]


def test_evaluate_prints_its_report_as_the_last_json_line(exported, capsys):
    project, _, run_id, *_ = exported
    argv = ["evaluate", str(project), "--run", str(run_id), "--n-boot", "20", "--events", "jsonl"]
    assert main(argv) == 0
    lines = _lines(capsys.readouterr().out)
    assert lines[0]["type"] == "started" and lines[-1]["type"] == "finished"
    assert lines[-1]["result"]["n"] > 0 and "accuracy" in lines[-1]["result"]
    assert main(["evaluate", str(project), "--run", "999", "--jsonl"]) == 1
    assert _lines(capsys.readouterr().out)[-1]["type"] == "failed"


def test_ctrl_c_stops_evaluate_and_it_exits_130(exported, monkeypatch, capsys):
    """Ctrl+C (a real SIGINT, caught by cli_output.stop_on_ctrl_c) at the first word of
    progress: the evaluation stops at its next check, and the command exits 130."""
    from ssl_studio import cli_output, cli_results

    project, _, run_id, *_ = exported
    pressed: list[bool] = []

    def reporter(event: Event) -> None:
        cli_output.json_reporter(event)
        if isinstance(event, Progress) and not pressed:
            pressed.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(cli_results, "json_reporter", reporter)
    argv = ["evaluate", str(project), "--run", str(run_id), "--n-boot", "1000", "--jsonl"]
    assert main(argv) == 130
    captured = capsys.readouterr()
    lines = _lines(captured.out)
    assert lines[-1]["type"] == "finished" and lines[-1]["cancelled"] is True
    assert "Stopping after the current resamples" in captured.err
