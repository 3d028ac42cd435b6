"""`ssl-studio pretrain` as a process: torchrun with two ranks, and SIGKILL + --resume."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchrun_projects import free_port, noise_project

from ssl_studio.cli import main
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.project.store import Store
from ssl_studio.core.tasks.registry import TASKS

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return noise_project(tmp_path_factory.mktemp("cli-pretrain"))


def pretrain_args(project: Path, *extra: str) -> list[str]:
    return [
        "pretrain",
        str(project),
        "--dataset",
        "images",
        "--task",
        "simclr",
        "--image-size",
        "32",
        "--batch-size",
        "8",
        "--device",
        "cpu",
        "--events",
        "jsonl",
        *extra,
    ]


def events_of(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def torchrun(*args: str) -> subprocess.CompletedProcess:
    """``ssl-studio ARGS`` in two processes under torchrun."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            free_port(),
            "-m",
            "ssl_studio",
            *args,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=240,
    )


def test_torchrun_two_ranks_train_one_run_with_identical_weights(project, capsys):
    result = torchrun(
        *pretrain_args(
            project,
            "--steps",
            "4",
            "--set",
            "train.checkpoint_every_steps=2",
            "--set",
            "train.log_every_seconds=0",
        ),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    events = events_of(result.stdout)
    [finished] = [e for e in events if e["type"] == "finished"]  # only rank 0 reports
    summary = finished["result"]
    assert summary["world_size"] == 2 and summary["ranks_in_sync"] is True
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    with Store.open(project) as store:
        runs = [r for r in store.runs() if r["id"] == summary["run_id"]]
        [run] = runs
        assert run["world_size"] == 2 and run["status"] == "done"
        steps = [c["step"] for c in store.checkpoints(run["id"])]
    assert steps == [2, 4]
    folder = project / "runs" / str(run["id"]) / "checkpoints"
    files = sorted(p.name for p in folder.iterdir())
    assert files == ["step-0000002.pt", "step-0000004.pt"]  # one series, from rank 0

    # resuming from step 2 gives step 4 bit for bit: each process gets its own random
    # generators back (the augmentations differ per process), not the first one's
    straight = folder.parent / "straight-4.pt"
    (folder / "step-0000004.pt").rename(straight)
    result = torchrun("pretrain", str(project), "--resume", str(run["id"]))
    assert result.returncode == 0, result.stderr[-3000:]
    resumed = load_checkpoint(folder / "step-0000004.pt")
    assert len(resumed["rng_ranks"]) == 2
    for name, tensor in load_checkpoint(straight)["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name
    # and each process takes back its own part of the epoch's loss (the means match)
    assert load_checkpoint(straight)["progress"]["history"] == resumed["progress"]["history"]
    # one process cannot take two processes' generators back: it says so (from step 2
    # again: a done run whose last checkpoint is there has nothing left to resume)
    (folder / "step-0000004.pt").unlink()
    assert main(["pretrain", str(project), "--resume", str(run["id"]), "--events", "jsonl"]) == 0
    texts = [e["text"] for e in events_of(capsys.readouterr().out) if e["type"] == "message"]
    assert any("with 1 process(es) where the checkpoint was written by 2" in t for t in texts)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie no one reaped yet has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_ranks_whose_torchrun_was_killed_stop_with_a_checkpoint(project):
    """torchrun killed with SIGKILL (a scheduler's timeout) cannot stop its ranks: they
    trained on alone, holding the project, until their last step. Now they stop at their
    next step, save a checkpoint and mark the run stopped."""
    args = pretrain_args(project, "--steps", "100000", "--set", "train.log_every_seconds=0")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", free_port(), "-m", "ssl_studio", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    ranks: list[int] = []
    try:
        for line in launcher.stdout:
            if json.loads(line)["type"] == "step":  # both ranks train
                break
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
        ranks = [int(pid) for pid in children.split()]
        assert len(ranks) == 2
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=30)
        deadline = time.monotonic() + 120
        while any(alive(pid) for pid in ranks):
            assert time.monotonic() < deadline, "the ranks trained on without torchrun"
            time.sleep(0.5)
    finally:
        for pid in ranks:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if launcher.poll() is None:
            launcher.kill()
    with Store.open(project) as store:
        run = max(store.runs(), key=lambda r: r["id"])
        assert run["status"] == "stopped" and store.checkpoints(run["id"])
        assert run["summary"]["steps"] < 100000


def test_a_killed_run_resumes_from_its_last_checkpoint(project):
    args = pretrain_args(
        project,
        "--steps",
        "30",
        "--set",
        "train.checkpoint_every_steps=5",
        "--set",
        "train.log_every_seconds=0",
    )
    proc = subprocess.Popen(
        [str(BIN / "ssl-studio"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run_id, folder, seen = None, None, 0
    deadline = time.monotonic() + 180
    try:
        for line in proc.stdout:
            event = json.loads(line)
            if event["type"] == "checkpoint":
                seen = event["step"]
                folder = Path(event["path"]).parent
                run_id = int(folder.parts[-2])
            if event["type"] == "step" and event["step"] >= 12 and seen >= 10:
                proc.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "training did not get going"
    finally:  # never leave a run holding the project for the next test
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and run_id is not None
    # the newest checkpoint on disk (written atomically): one may have been written after
    # the last line read and before the kill
    last_checkpoint = max(int(p.stem.split("-")[1]) for p in folder.glob("step-*.pt"))
    assert last_checkpoint >= seen and last_checkpoint % 5 == 0 and last_checkpoint < 30

    result = subprocess.run(
        [
            str(BIN / "ssl-studio"),
            "pretrain",
            str(project),
            "--resume",
            str(run_id),
            "--events",
            "jsonl",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    events = events_of(result.stdout)
    steps = [e["step"] for e in events if e["type"] == "step"]
    assert steps[0] == last_checkpoint + 1 and steps[-1] == 30
    messages = [e["text"] for e in events if e["type"] == "message"]
    assert f"Resumed at step {last_checkpoint}." in messages
    with Store.open(project) as store:
        run = store.run(run_id)
        losses = store.metrics(run_id, "loss")
    assert run["status"] == "done" and run["summary"]["steps"] == 30
    assert [s for s, _ in losses] == list(range(1, 31))  # the loss curve carries on


def test_tasks_lists_every_task_with_its_options(capsys):
    assert main(["tasks", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    names = [t["name"] for t in info["tasks"]]
    assert names == list(TASKS)  # the registry's order
    types = {o["type"] for t in info["tasks"] for o in t["options"]}
    assert not [t for t in types if t.startswith("<")], types  # "float", not "<class ...>"
    modalities = {t["name"]: t["modalities"] for t in info["tasks"]}
    assert modalities["ts2vec"] == ["timeseries"] and modalities["mae"] == ["image"]
    fits = {t["name"]: t["backbones"] for t in info["tasks"]}  # None: every backbone
    assert fits["ts2vec"] == ["ts-conv"] and fits["masked"] is None and fits["simclr"] is None
    assert main(["tasks"]) == 0
    assert "ts2vec [timeseries; ts-conv only] (default for series): " in capsys.readouterr().out
    kinds = {b["name"]: b["modality"] for b in info["backbones"]}
    assert kinds["ts-conv"] == "timeseries" and kinds["resnet18"] == "image"
    assert any(o["name"] == "time_warp" for o in info["series_augment_options"])
    simclr = info["tasks"][0]
    assert simclr["modalities"] == ["image"] and len(simclr["explanation"]) > 80
    temperature = next(o for o in simclr["options"] if o["name"] == "temperature")
    assert temperature["default"] == 0.2 and temperature["help"]
    assert all(o["help"] for t in info["tasks"] for o in t["options"])
    assert {"cnn-small", "resnet18", "vit-tiny"} <= {b["name"] for b in info["backbones"]}
    assert any(o["name"] == "lr" for o in info["train_options"])
    optimizer = next(o for o in info["train_options"] if o["name"] == "optimizer")
    assert optimizer["choices"] == ["adamw", "sgd"]  # the only values it takes
    for key in ("train_options", "augment_options", "series_augment_options"):
        assert all(o["help"] for o in info[key]), key  # every option explains itself
    vit = next(b for b in info["backbones"] if b["name"] == "vit-tiny")
    assert [(o["name"], o["default"]) for o in vit["options"]] == [("patch_size", None)]
    assert all(o["help"] for b in info["backbones"] for o in b["options"])
    assert main(["tasks"]) == 0
    text = capsys.readouterr().out
    assert "task.temperature = 0.2" in text and "backbone.patch_size = automatic" in text
    assert "augment.hflip = False: Mirror left-right" in text


def test_pretrain_text_mode_config_file_and_set(project, tmp_path, capsys):
    config = tmp_path / "run.toml"
    config.write_text('task = "rotation"\n[train]\nlr = 0.01\n')
    code = main(
        [
            "pretrain",
            str(project),
            "--dataset",
            "images",
            "--config",
            str(config),
            "--steps",
            "2",
            "--image-size",
            "32",
            "--batch-size",
            "8",
            "--set",
            "task.all_rotations=False",  # Python's spelling is a switch too, not text
            "--set",
            "train.seed=3",
            "--set",
            "backbone.stem_stride=2",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Run " in out and " done: 2 steps" in out
    run_id = int(out.split("Run ")[1].split()[0])
    with Store.open(project) as store:
        run = store.run(run_id)
    assert run["task"] == "rotation" and run["config"]["train"]["lr"] == 0.01
    assert run["config"]["train"]["seed"] == 3
    assert run["config"]["task_options"] == {"all_rotations": False}
    assert run["config"]["backbone_options"] == {"stem_stride": 2}
    assert main(["pretrain", str(project), "--dataset", "images", "--set", "train.nope=1"]) == 1
    assert "Unknown option(s) nope; valid train options are: " in capsys.readouterr().err
    # wrong types are refused where they enter, with the option's name, before any run
    for wrong, said in (
        ("train.lr=fast", "train.lr must be a number (or empty), not 'fast'"),
        ("augment.crop_scale=2", "augment.crop_scale must be two numbers [low, high]"),
        ("augment.hflip=maybe", "augment.hflip must be true or false"),
        ("task.temperature=hot", "task.temperature must be a number"),
        ("train=5", "train must be a table of options"),
    ):
        assert main(["pretrain", str(project), "--dataset", "images", "--set", wrong]) == 1
        assert said in capsys.readouterr().err, wrong
    assert main(["pretrain", str(project), "--dataset", "images", "--set", "backbone.nope=1"]) == 1
    assert "valid options are: stem_stride" in capsys.readouterr().err
    # a resumed run keeps its settings: others given with --resume are refused, not ignored
    assert main(["pretrain", str(project), "--resume", str(run_id), "--steps", "9"]) == 1
    assert "leave out --steps" in capsys.readouterr().err
    assert main(["pretrain", str(project), "--resume", str(run_id)]) == 1  # it is done
    assert f"Run {run_id} is done: it trained all its steps" in capsys.readouterr().err
    assert main(["pretrain", str(project), "--resume", "999"]) == 1
    assert "There is no run 999 in this project; to resume, give a pretraining run" in (
        capsys.readouterr().err
    )
    # info lists the runs, so a headless user finds the id to fine-tune from
    assert main(["info", str(project)]) == 0
    out = capsys.readouterr().out
    assert f"  {run_id}: pretrain rotation cnn-small on 'images': done, 2 steps" in out
    assert main(["info", str(project), "--json"]) == 0
    [listed] = [r for r in json.loads(capsys.readouterr().out)["runs"] if r["id"] == run_id]
    assert (listed["kind"], listed["task"], listed["status"], listed["steps"]) == (
        "pretrain",
        "rotation",
        "done",
        2,
    )


def test_pretrain_refuses_a_partly_imported_dataset_unless_told(tmp_path, capsys):
    """The command line trained on a stopped import's part without a word, as the window
    did; now both refuse, and the flag (the window's Yes) trains on it knowingly."""
    folder = tmp_path / "images"
    folder.mkdir()
    rng = np.random.default_rng(2)
    for i in range(10):
        Image.fromarray(rng.integers(0, 255, (24, 24), dtype=np.uint8)).save(folder / f"{i}.png")
    project = tmp_path / "p"
    main(["new", str(project)])
    main(["import", str(project), str(folder), "--cache-size", "32", "--workers", "1"])
    with Store.open(project, write=True) as store:  # as an import stopped with Ctrl+C
        stopped = store.start_import(store.dataset("images")["id"], {})
        store.finish_import(stopped, "cancelled", {"files_done": 4, "files_seen": 12})
    capsys.readouterr()
    run = pretrain_args(project, "--steps", "1", "--set", "train.health_every_steps=1000")
    assert main(run) == 1
    said = capsys.readouterr().err
    assert "'images' is only partly imported. Import stopped after 4 of 12 files" in said
    assert "import the folder again to finish" in said
    assert said.rstrip().endswith("anyway, set --allow-partial-import.")
    assert main([*run, "--allow-partial-import"]) == 0
    assert events_of(capsys.readouterr().out)[-1]["result"]["status"] == "done"


def test_a_series_task_on_an_image_dataset_suggests_the_image_tasks(project, capsys):
    """Not ts-conv, which the images cannot be read by, nor masked or forecast."""
    args = pretrain_args(project, "--steps", "1")
    args[args.index("simclr")] = "ts2vec"
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "ts2vec works on timeseries data, not image" in err
    image_tasks = [n for n, t in TASKS.items() if "image" in t.modalities and not t.backbones]
    assert f"choose the task {' or '.join(image_tasks)} " in err
    assert "ts-conv" not in err and "masked" not in err and "forecast" not in err
