"""Commands the command line suggests can be pasted back, also for a project folder
whose path has a space in it."""

from __future__ import annotations

import shlex
from pathlib import Path

from ssl_studio.cli import main
from ssl_studio.core import jobs
from ssl_studio.core.wording import command_line


def test_a_path_with_a_space_is_quoted_for_the_shell_of_the_machine():
    posix = command_line("ssl-studio", "pretrain", Path("/data/my scans"), "--resume", 3)
    assert posix == "ssl-studio pretrain '/data/my scans' --resume 3"
    assert shlex.split(posix)[2] == "/data/my scans"
    windows = command_line("ssl-studio", "info", r"C:\My scans\p", windows=True)
    assert windows == r'ssl-studio info "C:\My scans\p"'
    assert command_line("ssl-studio", "info", "/plain", windows=False) == "ssl-studio info /plain"


def _pasted(printed: str, hint: str) -> list[str]:
    line = next(line for line in printed.splitlines() if line.startswith(hint))
    return shlex.split(line.removeprefix(hint))


def test_resume_and_export_hints_name_a_spaced_project_so_it_can_be_pasted(
    tmp_path, monkeypatch, capsys
):
    project = tmp_path / "my project"
    stopped = {"run_id": 3, "status": "stopped", "steps": 5, "seconds": 1.0, "device": "cpu"}
    monkeypatch.setattr(jobs, "pretrain", lambda cfg, **_: {**stopped, "final_loss": None})
    main(["pretrain", str(project), "--dataset", "scans"])
    assert _pasted(capsys.readouterr().out, "Resume with: ") == [
        "ssl-studio", "pretrain", str(project), "--resume", "3",
    ]  # fmt: skip
    # a run stopped under torchrun resumes with as many processes (one in epochs must)
    two = {**stopped, "world_size": 2, "ranks_in_sync": True, "final_loss": None}
    monkeypatch.setattr(jobs, "pretrain", lambda cfg, **_: two)
    main(["pretrain", str(project), "--dataset", "scans"])
    assert _pasted(capsys.readouterr().out, "Resume with: ") == [
        "torchrun", "--nproc_per_node", "2", "-m", "ssl_studio",
        "pretrain", str(project), "--resume", "3",
    ]  # fmt: skip
    done = {"run_id": 4, "status": "done", "protocol": "knn", "train_labels": 8}
    monkeypatch.setattr(jobs, "finetune", lambda cfg, **_: {**done, "evaluation": "x", "test": {}})
    monkeypatch.setattr("ssl_studio.cli_models.print_report", lambda *a: None)
    assert main(["finetune", str(project), "--run", "3"]) == 0
    assert _pasted(capsys.readouterr().out, "Export with: ") == [
        "ssl-studio", "export", str(project), "--run", "4", "--out", "DIR",
    ]  # fmt: skip


def test_predict_given_a_spaced_project_names_it_quoted_in_its_commands(tmp_path):
    from ssl_studio.core.export.predict_job import _project_not_export

    project = tmp_path / "my project"
    message = _project_not_export(project)
    assert f"ssl-studio export {shlex.quote(str(project))} --run RUN_ID" in message
    assert f"(ssl-studio info {shlex.quote(str(project))} lists the runs)" in message


def test_a_run_stopped_on_several_machines_resumes_on_as_many(tmp_path, monkeypatch, capsys):
    """torchrun on 2 machines x 4 processes: the hint was --nproc_per_node 8 (one machine)."""
    project = tmp_path / "p"
    stopped = {"run_id": 3, "status": "stopped", "steps": 5, "seconds": 1.0, "device": "cuda"}
    eight = {**stopped, "world_size": 8, "ranks_in_sync": True, "final_loss": None}
    monkeypatch.setattr(jobs, "pretrain", lambda cfg, **_: eight)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    for name in ("PET_RDZV_BACKEND", "PET_RDZV_ENDPOINT", "TORCHELASTIC_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    main(["pretrain", str(project), "--dataset", "scans"])
    # (without the job's rendezvous options the machines never met: placeholders)
    assert _pasted(capsys.readouterr().out, "Resume with: ") == [
        "torchrun", "--nnodes", "2", "--nproc_per_node", "4",
        "--rdzv-backend", "c10d", "--rdzv-endpoint", "HEAD_NODE:29500", "--rdzv-id", "JOB_ID",
        "-m", "ssl_studio", "pretrain", str(project), "--resume", "3",
    ]  # fmt: skip
    monkeypatch.setenv("PET_RDZV_ENDPOINT", "node01:29500")
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "81234")
    main(["pretrain", str(project), "--dataset", "scans"])
    assert _pasted(capsys.readouterr().out, "Resume with: ")[5:11] == [
        "--rdzv-backend", "c10d", "--rdzv-endpoint", "node01:29500", "--rdzv-id", "81234",
    ]  # fmt: skip


def test_a_lost_peer_names_the_project_to_resume(tmp_path, monkeypatch):
    from ssl_studio.core.pretrain import _peer_lost

    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    text = _peer_lost(tmp_path / "my project", 7, 2)
    assert "PROJECT_DIR" not in text
    assert command_line("torchrun", "--nproc_per_node", 2, "-m", "ssl_studio", "pretrain",
                        tmp_path / "my project", "--resume", 7) in text  # fmt: skip
