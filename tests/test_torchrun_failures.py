"""Failures of one rank under torchrun end the whole job (never a hang) with a clear word,
and the run stays resumable; so does a scheduler's warning signal (SIGUSR1)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from torchrun_projects import free_port, noise_project

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune.setup import source_of
from ssl_studio.core.project.store import Store

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return noise_project(tmp_path_factory.mktemp("torchrun-failures"))


def torchrun_job(*args: str, seconds: float = 120) -> tuple[int, str]:
    """``torchrun ARGS`` (a script or ``-m MODULE`` and its arguments) in two processes:
    (exit status, output).
    The test fails, with every process ended, when the job is not over within
    ``seconds`` (a rank waiting for ever in a collective)."""
    launcher = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_port", free_port(), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)},
    )  # fmt: skip
    try:
        output, _ = launcher.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        # torchrun starts its ranks in sessions of their own: end them by their ids
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
        for pid in [launcher.pid, *map(int, children.split())]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        launcher.communicate()
        pytest.fail(f"The job did not end within {seconds:.0f} s: a rank waited alone.")
    return launcher.returncode, output


def test_out_of_memory_on_one_rank_ends_every_rank(project):
    """Halving the batch on the rank that ran out of memory alone made it join other
    collectives than the other rank, which waited in DDP's all-reduce for ever."""
    status, output = torchrun_job(
        str(HERE / "oom_rank.py"),
        "pretrain", str(project), "--dataset", "images", "--task", "simclr",
        "--image-size", "32", "--batch-size", "8", "--device", "cpu", "--steps", "6",
        "--set", "train.checkpoint_every_steps=2",
    )  # fmt: skip
    assert status != 0
    assert "Out of GPU memory on process 1 at batch size 8 (step 3)" in output, output[-3000:]
    assert "its checkpoint at step 2 is kept" in output
    with Store.open(project) as store:
        run = max(store.runs(), key=lambda r: r["id"])
        assert [c["step"] for c in store.checkpoints(run["id"])] == [2]
    # the other process's peer was lost: the run was cut off, as by a kill, and can be
    # resumed or fine-tuned from (it was "failed", and its error said PROJECT_DIR)
    assert run["status"] == "interrupted", run
    assert "PROJECT_DIR" not in run["error"] and f"{project} --resume {run['id']}" in run["error"]


def test_fine_tuning_a_failed_run_says_it_failed_and_how_to_resume(project):
    """It said "Pretraining run N is failed; wait for it to end"."""
    with Store.open(project, write=True) as store:
        run_id = store.create_run(store.datasets()[0]["id"], "pretrain", {"world_size": 2})
        store.finish_run(run_id, "failed", error="The loss became nan at step 3.")
        with pytest.raises(ConfigError) as caught:
            source_of(store, run_id)
    text = str(caught.value)
    assert f"Pretraining run {run_id} failed (The loss became nan at step 3.)" in text
    assert f"torchrun --nproc_per_node 2 -m ssl_studio pretrain {project} --resume" in text
    assert "wait for it to end" not in text


def test_a_refused_config_is_said_once_not_by_every_process(project):
    status, output = torchrun_job(
        "-m", "ssl_studio", "pretrain", str(project), "--dataset", "nope", "--device", "cpu"
    )  # fmt: skip
    assert status != 0
    assert output.count("No dataset 'nope'") == 1, output[-3000:]


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux: SIGUSR1 and /proc")
def test_sigusr1_forwarded_by_torchrun_stops_every_rank_with_a_checkpoint(project):
    """SLURM's --signal=USR1@SECONDS, forwarded by torchrun --signals_to_handle: the
    ranks' default action for SIGUSR1 ended them at once, the run left "running"."""
    launcher = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--signals_to_handle", "SIGTERM,SIGUSR1", "--master_port", free_port(),
         "-m", "ssl_studio", "pretrain", str(project), "--dataset", "images", "--task",
         "simclr", "--image-size", "32", "--batch-size", "8", "--device", "cpu",
         "--steps", "100000", "--events", "jsonl", "--set", "train.log_every_seconds=0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)},
    )  # fmt: skip
    ranks: list[int] = []
    try:
        for line in launcher.stdout:
            if line.startswith("{") and json.loads(line)["type"] == "step":  # both train
                break
        children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children").read_text()
        ranks = [int(pid) for pid in children.split()]
        launcher.send_signal(signal.SIGUSR1)
        _, err = launcher.communicate(timeout=120)
    finally:
        for pid in [launcher.pid, *ranks]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    assert err.count("Stopping after the current step (SIGUSR1)") == 1  # the first rank's
    with Store.open(project) as store:
        run = max(store.runs(), key=lambda r: r["id"])
        assert run["status"] == "stopped", run
        assert [c["step"] for c in store.checkpoints(run["id"])] == [run["summary"]["steps"]]
