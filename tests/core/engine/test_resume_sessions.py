"""A run resumed with another number of processes says what happens to its global batch,
and its record keeps each session's processes and device (they were overwritten)."""

from __future__ import annotations

import json

from fake_training import train

from ssl_studio.cli import main
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.events import Message
from ssl_studio.core.project.run_record import run_record
from ssl_studio.core.project.store import Store


def test_resuming_with_fewer_processes_names_the_global_batch(tmp_path):
    train(tmp_path, steps=4, checkpoint_every_steps=2, accumulate=2)
    saved = load_checkpoint(tmp_path / "checkpoints" / "step-0000002.pt")
    saved["rng_ranks"] = saved["rng_ranks"] * 2  # as if two processes had written it
    events: list = []
    train(tmp_path, steps=4, checkpoint_every_steps=2, accumulate=2, resume=saved, events=events)
    [warning] = [e.text for e in events if isinstance(e, Message) and e.level == "warning"]
    assert "global batch 32 -> 16 (16 per process), learning rate unchanged" in warning


def test_each_session_of_a_resumed_run_is_kept_in_its_record(project, capsys):
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("d", "image", 32)
        run_id = store.create_run(dataset, "pretrain", {"device": "cuda:0", "world_size": 4})
        store.finish_run(run_id, "interrupted")
        store.resume_run(run_id, "cuda:0", 2, step=300)
        store.finish_run(run_id, "stopped", {"steps": 500})
        store.resume_run(run_id, "cpu", 1, step=500)
        store.finish_run(run_id, "done", {"steps": 600})
    sessions = run_record(project, run_id)["sessions"]
    assert [(s["from_step"], s["to_step"], s["processes"], s["device"]) for s in sessions] == [
        (0, 300, 4, "cuda:0"),
        (300, 500, 2, "cuda:0"),
        (500, 600, 1, "cpu"),
    ]
    assert "sessions" not in run_record(project, run_id)["config"]
    assert main(["info", str(project), "--run", str(run_id)]) == 0
    out = capsys.readouterr().out
    assert "steps 0-300: 4 process(es) on cuda:0" in out
    assert "steps 500-600: 1 process(es) on cpu" in out
    assert main(["info", str(project), "--run", str(run_id), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["sessions"]) == 3
