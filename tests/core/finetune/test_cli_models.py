"""The command line after pretraining: labels -> finetune -> evaluate -> export -> predict."""

from __future__ import annotations

import csv
import json

import pytest

from ssl_studio.cli import main


def test_the_whole_journey_from_the_command_line(image_project, tmp_path, capsys):
    project, run = image_project
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "path,label\n"
        + "".join(f"circle/circle{i:03d}.png,round\n" for i in range(1, 40, 2))
        + "".join(f"square/square{i:03d}.png,angular\n" for i in range(0, 40, 2))
    )
    assert main(["labels", str(project), "--dataset", "shapes"]) == 0  # none yet
    assert "No label sets in 'shapes' yet: add one with --csv" in capsys.readouterr().out
    assert main(["labels", str(project), "--dataset", "shapes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["labels", str(project), "--dataset", "shapes", "--csv", str(labels)]) == 0
    assert "40 items (angular 20, round 20)" in capsys.readouterr().out
    assert main(["labels", str(project), "--dataset", "shapes", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["version"], listed["n_labels"]) == ("labels", 1, 40)
    assert main(["labels", str(project), "--dataset", "shapes"]) == 0
    assert "labels v1: 40 labels (CSV file (40 rows))" in capsys.readouterr().out
    code = main(
        [
            "finetune",
            str(project),
            "--run",
            str(run),
            "--protocol",
            "partial",
            "--steps",
            "2",
            "--batch-size",
            "8",
            "--positive",
            "round",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Test split (n = 8" in out and "From-scratch baseline" in out
    assert "positive class: round (sensitivity is its recall, specificity that of angular" in out
    run_id = int(out.split("Run ", 1)[1].split(" ", 1)[0])
    assert main(["info", str(project), "--json"]) == 0
    [listed] = [r for r in json.loads(capsys.readouterr().out)["runs"] if r["id"] == run_id]
    assert listed["steps"] == 2 and listed["final_loss"] > 0  # a trained protocol's figures
    assert main(["evaluate", str(project), "--run", str(run_id), "--n-boot", "20"]) == 0
    assert f"Run {run_id}, test split (n = 8" in capsys.readouterr().out
    assert main(["finetune", str(project), "--run", str(run_id)]) == 1
    assert f"Run {run_id} is a fine-tuning run; to fine-tune, give a pretraining run" in (
        capsys.readouterr().err
    )
    assert main(["evaluate", str(project), "--run", str(run_id), "--json", "--n-boot", "20"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["classes"] == ["angular", "round"] and report["n"] == 8
    out_dir = tmp_path / "model"
    assert main(["export", str(project), "--run", str(run_id), "--out", str(out_dir)]) == 0
    assert "model.onnx" in capsys.readouterr().out
    image = project.parent / "shapes" / "circle" / "circle001.png"
    assert main(["predict", str(out_dir), str(image), "--out", str(tmp_path / "p.csv")]) == 0
    rows = list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 1 and set(rows[0]) >= {"p_angular", "p_round", "predicted"}
    # the same --out again is refused (the table may be someone's work), unless asked
    (tmp_path / "p.csv").write_text("my notes")
    capsys.readouterr()
    assert main(["predict", str(out_dir), str(image), "--out", str(tmp_path / "p.csv")]) == 1
    said = capsys.readouterr().err
    assert "p.csv already exists" in said and "add --overwrite to replace it" in said
    assert (tmp_path / "p.csv").read_text() == "my notes"
    argv = ["predict", str(out_dir), str(image), "--out", str(tmp_path / "p.csv"), "--overwrite"]
    assert main(argv) == 0
    assert len(list(csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig")))) == 1
    # nothing predicted, only error rows: a script must not take the table for answers
    (tmp_path / "notes.png").write_bytes(b"\x89PNG\r\n\x1a\n damaged")  # (no mere text:
    # a file that is not data at all is skipped, as the import skips it)
    argv[2] = str(tmp_path / "notes.png")
    capsys.readouterr()
    assert main(argv) == 1
    said = capsys.readouterr()
    assert "0 predictions, 1 file with errors" in said.out
    assert "no file could be predicted; the error column of that file says why" in said.err
    [row] = csv.DictReader((tmp_path / "p.csv").open(encoding="utf-8-sig"))
    assert row["error"]


def test_command_line_mistakes_are_messages(image_project, tmp_path, capsys):
    project, run = image_project
    assert main(["finetune", str(project), "--run", "77"]) == 1
    assert "There is no run 77 in this project; to fine-tune, give a pretraining run" in (
        capsys.readouterr().err
    )
    assert main(["evaluate", str(project), "--run", str(run)]) == 1
    assert f"Run {run} is a pretraining run; to evaluate, give a fine-tuning run" in (
        capsys.readouterr().err
    )
    assert main(["predict", str(tmp_path), "x.png", "--out", str(tmp_path / "p.csv")]) == 1
    assert "not an SSL Studio export" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["finetune", str(project)])  # --run is required


def test_predict_s_messages_name_the_layout_flag_of_the_command_line(monkeypatch, tmp_path):
    from ssl_studio.core import jobs

    given = {}

    def fake_predict(export_dir, paths, out, **options):
        given.update(options)
        return {"items": 1, "errors": 0, "out": str(out), "cancelled": False}

    monkeypatch.setattr(jobs, "predict", fake_predict)
    assert main(["predict", str(tmp_path), "x.csv", "--out", str(tmp_path / "p.csv")]) == 0
    assert given["layout_flag"] == "--layout"  # the app calls predict without one


def test_predict_s_summary_counts_in_words(monkeypatch, tmp_path, capsys):
    """It printed "0 predictions, 1 files with errors"."""
    from ssl_studio.core import jobs

    def fake_predict(export_dir, paths, out, **options):
        return {"items": 1, "errors": 1, "notes": 1, "out": str(out), "cancelled": False}

    monkeypatch.setattr(jobs, "predict", fake_predict)
    assert main(["predict", str(tmp_path), "x.png", "--out", str(tmp_path / "p.csv")]) == 0
    printed = capsys.readouterr().out
    assert "1 prediction, 1 file with errors ->" in printed
    assert "1 of the predictions has a note" in printed


def test_torchrun_fine_tunes_with_two_processes_into_one_run(image_project):
    import os
    import subprocess
    import sys

    from torchrun_projects import free_port

    from ssl_studio.core.labels import labels_from_folders
    from ssl_studio.core.project.store import Store

    project, run = image_project
    labels_from_folders(project, "shapes", name="ddp")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        free_port(),
        "-m",
        "ssl_studio",
        "finetune",
        str(project),
        "--pretrain-run",
        str(run),
        "--labels",
        "ddp",
        "--protocol",
        "full",
        "--steps",
        "3",
        "--batch-size",
        "4",
        "--no-baseline",
        "--device",
        "cpu",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("Test split (n = 8") == 1  # rank 0 alone reports
    with Store.open(project) as store:
        runs = [
            r for r in store.runs() if r["kind"] == "finetune" and r["config"]["labels"] == "ddp"
        ]
    assert len(runs) == 1 and runs[0]["world_size"] == 2 and runs[0]["status"] == "done"
    assert (project / runs[0]["folder"] / "model.pt").is_file()
    assert runs[0]["summary"]["info"]["steps"] == 3


def test_a_stopped_label_efficiency_exits_130(image_project, monkeypatch, capsys):
    from ssl_studio.core.events import StopToken
    from ssl_studio.core.labels import labels_from_folders

    project, run = image_project
    labels_from_folders(project, "shapes")

    def pressed_ctrl_c(*_):
        token = StopToken()
        token.stop()
        return token

    monkeypatch.setattr("ssl_studio.cli_output.stop_on_ctrl_c", pressed_ctrl_c)
    argv = ["label-efficiency", str(project), "--run", str(run), "--labels", "folders"]
    assert main([*argv, "--k", "1", "--seeds", "1", "--steps", "2"]) == 130


def test_a_label_efficiency_curve_names_its_measure_and_what_auto_chose(image_project, capsys):
    from ssl_studio.core.labels import labels_from_folders

    project, run = image_project
    labels_from_folders(project, "shapes")
    argv = ["label-efficiency", str(project), "--run", str(run), "--labels", "folders"]
    assert main([*argv, "--k", "1,all", "--seeds", "1", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "ROC AUC, mean ± std over the seeds:" in out and "AUC / acc" not in out
    assert main(["info", str(project), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)["runs"]  # newest first
    listed = next(r for r in runs if r["kind"] == "label-efficiency")
    assert listed["task"] == "auto (linear)"


def test_impossible_curve_settings_are_refused_before_any_run(image_project, capsys):
    from ssl_studio.core.errors import ConfigError
    from ssl_studio.core.finetune_config import FinetuneConfig
    from ssl_studio.core.jobs import label_efficiency
    from ssl_studio.core.project.store import Store

    project, run = image_project
    with Store.open(project) as store:
        before = len(store.runs())
    base = ["label-efficiency", str(project), "--run", str(run)]
    for wrong, said in (
        (["--k", "abc"], "'abc' is not a number of labels per class"),
        (["--k", "1,0"], "'0' is not a number of labels per class"),
        (["--seeds", "0"], "'0' is not a whole number of at least 1"),
    ):
        with pytest.raises(SystemExit) as code:
            main([*base, *wrong])
        assert code.value.code == 2 and said in capsys.readouterr().err
    cfg = FinetuneConfig(project=project, run=run)
    with pytest.raises(ConfigError, match="whole numbers from 1"):
        label_efficiency(cfg, ks=(0,))
    with pytest.raises(ConfigError, match="at least one seed"):
        label_efficiency(cfg, seeds=())
    with Store.open(project) as store:
        assert len(store.runs()) == before  # nothing half-made


def test_a_chosen_threshold_is_shown_rounded_with_how_it_was_chosen(
    image_project, tmp_path, capsys
):
    import re

    from ssl_studio.core.labels import labels_from_folders

    project, run = image_project
    labels_from_folders(project, "shapes")
    finetune = ["finetune", str(project), "--run", str(run), "--labels", "folders"]
    options = ["--protocol", "linear", "--no-baseline", "--val-fraction", "0.25"]
    assert main([*finetune, *options, "--threshold", "youden"]) == 0
    out = capsys.readouterr().out
    shown = re.findall(r"threshold \(youden, on (\d+) validation items\): (0\.\d{3})\n", out)
    assert len(shown) == 1 and int(shown[0][0]) >= 2, out
    few = "  note: The threshold was chosen on only "  # (a handful of validation items)
    assert few in out
    run_id = out.split("Run ", 1)[1].split(" ", 1)[0]
    assert main(["evaluate", str(project), "--run", run_id, "--n-boot", "0"]) == 0
    again = capsys.readouterr().out  # evaluate keeps the run's record of the choice
    assert f"threshold (youden, on {shown[0][0]} validation items): {shown[0][1]}\n" in again
    assert few in again
    assert main(["export", str(project), "--run", run_id, "--out", str(tmp_path / "m")]) == 0
    card = json.loads((tmp_path / "m" / "model_card.json").read_text())
    assert f"{card['threshold']:.3f}" == shown[0][1] != str(card["threshold"])  # exact in JSON
    text = (tmp_path / "m" / "MODEL_CARD.md").read_text()
    said = f"at least {shown[0][1]} (equal to the threshold included). The threshold was"
    assert f"{said} chosen on {shown[0][0]} validation" in text
    assert "Parity: the TorchScript and ONNX programs" in capsys.readouterr().out


# rank 1 fails rebuilding the pretrained encoder (the CLI, with that function patched)
FAILING = """
import os, sys
import ssl_studio.core.finetune.job as job
original = job.rebuild_task
def failing(*args, **kwargs):
    if os.environ["RANK"] == "1":
        raise RuntimeError("simulated failure")
    return original(*args, **kwargs)
job.rebuild_task = failing
from ssl_studio.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_rank_that_cannot_start_fine_tuning_ends_the_others_at_once(image_project, tmp_path):
    """Its start-up failures were not shared: the others joined and waited for it (until
    torchrun ended them, or the join timeout), saying nothing of why."""
    import os
    import subprocess
    import sys
    import time

    from torchrun_projects import free_port

    from ssl_studio.core.labels import labels_from_folders
    from ssl_studio.core.project.store import Store

    project, run = image_project
    labels_from_folders(project, "shapes", name="ddp-fails")
    script = tmp_path / "failing.py"
    script.write_text(FAILING)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SSL_STUDIO_JOIN_TIMEOUT_S": "60"}
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_port", free_port(), str(script), "finetune", str(project),
        "--pretrain-run", str(run), "--labels", "ddp-fails", "--protocol", "full",
        "--steps", "3", "--batch-size", "4", "--no-baseline", "--device", "cpu",
    ]  # fmt: skip
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert time.monotonic() - start < 50
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Process 1 of this job could not start" in out, out[-3000:]
    assert "simulated failure" in out
    with Store.open(project) as store:
        made = [r for r in store.runs() if (r["config"] or {}).get("labels") == "ddp-fails"]
    assert made == []  # (no run was made)
