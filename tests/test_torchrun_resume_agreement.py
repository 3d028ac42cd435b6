"""``--resume latest`` under torchrun: each process reads it on its own before joining.
When they chose different runs (the project changed between their reads: simulated
here), every process stops at once, said once, and neither run is touched."""

from __future__ import annotations

from pathlib import Path

from test_torchrun_failures import torchrun_job
from torchrun_projects import noise_project

from ssl_studio.cli import main
from ssl_studio.core.project.store import Store

# each rank "reads" the latest run as RUNS (comma-separated) says for its rank
DISAGREEING = """
import os, sys
import ssl_studio.cli_pretrain as cli_pretrain
runs = os.environ["RUNS"].split(",")
cli_pretrain.latest_run = lambda *args: int(runs[int(os.environ["RANK"])])
from ssl_studio.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_processes_that_chose_different_runs_stop_together(tmp_path: Path, monkeypatch):
    project = noise_project(tmp_path)
    options = ["--image-size", "32", "--batch-size", "8", "--device", "cpu", "--steps", "2"]
    for _ in range(2):
        assert main(["pretrain", str(project), "--dataset", "images", *options]) == 0
    with Store.open(project, write=True) as store:  # (both cut off: resumable)
        with store.transaction():
            store.conn.execute("UPDATE runs SET status = 'interrupted'")
        ids = sorted(r["id"] for r in store.runs())
    script = tmp_path / "disagreeing.py"
    script.write_text(DISAGREEING)
    monkeypatch.setenv("RUNS", ",".join(map(str, ids)))
    status, output = torchrun_job(
        str(script), "pretrain", str(project), "--resume", "latest", "--device", "cpu",
        seconds=90,
    )  # fmt: skip
    assert status != 0
    said = f"chose different runs to resume (run {ids[0]} and run {ids[1]})"
    assert output.count(said) == 1, output[-3000:]
    with Store.open(project) as store:
        assert [r["status"] for r in store.runs()] == ["interrupted", "interrupted"]
