"""Kill pretraining with SIGKILL at random moments and check that nothing is lost.

    python tests/bench/chaos_kill.py [--kills 20] [--every 10] [--seed 0]

Makes a project from the demo chest X-rays, starts ``ssl-studio pretrain`` and SIGKILLs it
N times: half at a random moment after the first step (most steps write metrics to the
database, so many kills land in a database write), half the instant a checkpoint's
temporary file appears (a kill during the checkpoint write). After every kill it checks
``PRAGMA integrity_check``, that the newest checkpoint loads, how many steps were lost
(last step reported minus the newest checkpoint's step), and then resumes the run with
``--resume`` and checks that it goes on from that checkpoint. Prints a table and one JSON
line {"kills", "integrity_ok", "resumed_ok", "max_steps_lost", "checkpoint_every", ...}.
Target: every kill ok with N = 20, and no more steps lost than one checkpoint interval.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.resources import demo_dir

CLI = [sys.executable, "-m", "ssl_studio"]


def integrity(project: Path) -> str:
    conn = sqlite3.connect(project / "project.db")
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def newest_checkpoint(run_dir: Path) -> tuple[int, bool]:
    """(step of the newest checkpoint file, whether it loads)."""
    files = sorted((run_dir / "checkpoints").glob("step-*.pt"))
    if not files:
        return 0, True
    try:
        state = load_checkpoint(files[-1])
        return int(state["progress"]["step"]), True
    except Exception:  # noqa: BLE001 - any failure is what this script looks for
        return int(files[-1].stem.split("-")[1]), False


class Run:
    """One ``ssl-studio pretrain`` process, its JSON-lines events read as they come."""

    def __init__(self, args: list[str]) -> None:
        self.errors = tempfile.TemporaryFile()  # shown when the run never got going
        self.proc = subprocess.Popen(
            [*CLI, "pretrain", *args, "--events", "jsonl"],
            stdout=subprocess.PIPE,
            stderr=self.errors,
        )
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.steps: list[int] = []
        self.run_id: int | None = None
        self._buffer = ""

    def poll(self) -> None:
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return
        self._buffer += chunk.decode(errors="replace")
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("type") == "step":
                self.steps.append(int(event["step"]))
            if event.get("type") == "checkpoint" and self.run_id is None:
                found = re.search(r"runs/(\d+)/", event["path"])
                self.run_id = int(found.group(1)) if found else None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.poll()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--every", type=int, default=10, help="checkpoint interval in steps")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        project = create_project(Path(tmp) / "chaos")
        import_data(ImportConfig(project=project, paths=[demo_dir() / "chest-xray"], cache_size=32))
        common = [
            str(project),
            "--dataset", "chest-xray", "--image-size", "32", "--batch-size", "32",
            "--steps", "100000",
            "--set", f"train.checkpoint_every_steps={args.every}",
            "--set", "train.log_every_seconds=0",
            "--set", "train.health_every_steps=1000",
        ]  # fmt: skip
        run_id: int | None = None
        for kill in range(args.kills):
            mode = "checkpoint write" if kill % 2 else "random moment"
            # a resumed run keeps its own settings (the command refuses others)
            run = Run([str(project), "--resume", str(run_id)] if run_id else common)
            before = newest_checkpoint(project / "runs" / str(run_id))[0] if run_id else 0
            started = time.monotonic()
            deadline = started + 300
            while not run.steps and time.monotonic() < deadline:
                run.poll()
                time.sleep(0.01)
            resumed_ok = bool(run.steps) and (run_id is None or run.steps[0] == before + 1)
            if not run.steps:
                run.errors.seek(0)
                print(run.errors.read().decode(errors="replace")[-2000:], file=sys.stderr)
            if mode == "random moment":
                end = time.monotonic() + rng.uniform(0.2, 3.0)
                while time.monotonic() < end:
                    run.poll()
                    time.sleep(0.005)
            else:  # kill as soon as a new checkpoint's temporary file exists
                folder = project / "runs"
                while time.monotonic() < deadline:
                    if any(folder.glob("*/checkpoints/.tmp-*")):
                        break
                    run.poll()
                    time.sleep(0.0005)
            run.kill()
            run_id = run_id or run.run_id or _only_run(project)
            step, loads = newest_checkpoint(project / "runs" / str(run_id))
            resume_next = step > 0  # killed before its first checkpoint: start a new run
            last = max(run.steps, default=before)
            rows.append(
                {
                    "kill": kill + 1,
                    "mode": mode,
                    "last_step": last,
                    "checkpoint": step,
                    "lost": last - step,
                    "integrity": integrity(project),
                    "loads": loads,
                    "resumed_ok": resumed_ok,
                }
            )
            print(
                f"kill {kill + 1:2d} ({mode:16}) at step {last:4d}: checkpoint {step:4d}, "
                f"lost {last - step:3d}, db {rows[-1]['integrity']}, loads {loads}, "
                f"resumed {'ok' if resumed_ok else 'NO'}",
                flush=True,
            )
            if not resume_next:
                run_id = None
        final = Run([str(project), "--resume", str(run_id)])
        step_before = newest_checkpoint(project / "runs" / str(run_id))[0]
        end = time.monotonic() + 300
        while not final.steps and time.monotonic() < end:
            final.poll()
            time.sleep(0.01)
        final_ok = bool(final.steps) and final.steps[0] == step_before + 1
        final.kill()
        leftovers = len(list((project / "runs").glob("*/checkpoints/.tmp-*")))
    out = {
        "kills": args.kills,
        "integrity_ok": sum(r["integrity"] == "ok" for r in rows),
        "loads_ok": sum(r["loads"] for r in rows),
        "resumed_ok": sum(r["resumed_ok"] for r in rows[1:]) + int(final_ok),
        "max_steps_lost": max(r["lost"] for r in rows),
        "checkpoint_every": args.every,
        "temporary_files_left": leftovers,
    }
    print(json.dumps(out))
    return 0


def _only_run(project: Path) -> int:
    runs = sorted(int(p.name) for p in (project / "runs").iterdir() if p.name.isdigit())
    return runs[-1]


if __name__ == "__main__":
    sys.exit(main())
