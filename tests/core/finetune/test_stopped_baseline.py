"""Ctrl+C while finetune trains its from-scratch baseline: the fine-tuned run and its
report are kept, the output says the baseline was stopped and how to train it alone, and
the command exits 130 (cancelled), not 0."""

from __future__ import annotations

import json
import shlex

from ssl_studio.cli import main
from ssl_studio.core.events import StopToken
from ssl_studio.core.finetune.job import FineTuning
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.store import Store


def test_a_baseline_stopped_by_ctrl_c_is_said_with_its_command_and_exits_130(
    image_project, monkeypatch, capsys
):
    project, run = image_project
    labels_from_folders(project, "shapes")
    token = StopToken()
    monkeypatch.setattr("ssl_studio.cli_output.stop_on_ctrl_c", lambda *a, **k: token)
    one = FineTuning._one

    def ctrl_c_at_the_baseline(self, store, protocol, *rest):
        if protocol == "scratch":
            token.stop()  # as the first Ctrl+C does while the baseline trains
        return one(self, store, protocol, *rest)

    monkeypatch.setattr(FineTuning, "_one", ctrl_c_at_the_baseline)
    argv = ["finetune", str(project), "--run", str(run), "--labels", "folders"]
    code = main([*argv, "--protocol", "partial", "--steps", "2", "--batch-size", "8"])
    out = capsys.readouterr().out
    assert code == 130
    tuned = int(out.split("Run ", 1)[1].split(" ", 1)[0])
    assert "Test split (n = " in out and "Export with: " in out  # the run's report stays
    said = next(line for line in out.splitlines() if line.startswith("From-scratch"))
    base = tuned + 1
    assert said.startswith(
        f"From-scratch baseline (run {base}) stopped: no comparison. To run it: "
    )
    command = shlex.split(said.split("To run it: ", 1)[1])
    assert command == [
        "ssl-studio", "finetune", str(project), "--run", str(run), "--labels", "folders",
        "--steps", "2", "--batch-size", "8", "--protocol", "scratch", "--split-from", str(tuned),
    ]  # fmt: skip
    with Store.open(project) as store:
        assert store.run(tuned)["status"] == "done" and store.run(base)["status"] == "stopped"
    monkeypatch.setattr(FineTuning, "_one", one)
    token = StopToken()  # (a fresh Ctrl+C handler's)
    assert main(command[1:]) == 0  # the command given trains the baseline on that split
    out = capsys.readouterr().out
    assert f"(scratch, {_train_labels(project, tuned)} labels)" in out


def _train_labels(project, run_id: int) -> int:
    with Store.open(project) as store:
        return store.run(run_id)["summary"]["train_labels"]


def test_a_cross_validated_run_s_baseline_command_names_its_folds(monkeypatch, capsys, tmp_path):
    from ssl_studio.core import jobs

    test = {"n": 4}
    result = {"run_id": 7, "protocol": "linear", "status": "done", "train_labels": 4,
              "evaluation": "3-fold cross-validation", "test": test,
              "baseline": {"run_id": 8, "status": "stopped", "test": None}}  # fmt: skip
    monkeypatch.setattr(jobs, "finetune", lambda cfg, report, stop: result)
    monkeypatch.setattr("ssl_studio.cli_models.print_report", lambda *a, **k: None)
    argv = ["finetune", str(tmp_path), "--run", "2", "--no-patient-groups"]
    assert main(argv) == 130
    said = next(
        line for line in capsys.readouterr().out.splitlines() if line.startswith("From-scratch")
    )
    assert said.endswith(
        f"ssl-studio finetune {tmp_path} --run 2 --protocol scratch --folds 3 --seed 0 "
        "--no-patient-groups"
    )
    assert main([*argv, "--events", "jsonl"]) == 130  # (the events say the rest)
    lines = capsys.readouterr().out.splitlines()
    assert all(json.loads(line) for line in lines)
