"""Permissions. A project on a read-only folder (a share, a DVD, someone else's folder)
can be viewed from the command line and the app; everything that would change it is
refused up front with a message that says what to do, and not one byte of it changes.

File permissions are real here: the checks run in a child process that cannot override
them (as root, which CI containers are, it drops every capability first)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from privilege_drop import run_child

from ssl_studio.core.config import ImportConfig, PretrainConfig, TrainConfig
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import create_project, export, finetune, import_data, pretrain
from ssl_studio.core.labels import labels_from_folders

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


READ_ONLY = "the project is read-only for you"


COPY_IT = "copy the project folder"  # someone else's folder, a read-only disk or share


MARKED = "marked read-only"  # the user's own folder: clear the marks


def give_to_someone_else(root: Path) -> bool:
    """Make ``root`` and all in it someone else's (nobody's) that the user may read, as on
    a share or a colleague's folder. Only root may; elsewhere the folder stays the user's
    own (False)."""
    if os.geteuid() != 0:
        return False
    for path in [root, *root.rglob("*")]:
        os.chown(path, 65534, 65534)
        path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() else 0))
    return True


def set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        flags = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~flags)


def fingerprint(root: Path) -> dict[str, str]:
    """Every file's hash; SQLite's shared-memory index and an empty WAL (which any reader
    of a writable folder may leave) hold no data and are left out."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A project with shapes in two class folders, labels, a pretraining run, a
    fine-tuned run and an export; then the project and the export made read-only."""
    root = tmp_path_factory.mktemp("read-only")
    rng = np.random.default_rng(0)
    for kind in ("bright", "dark"):
        (root / "shapes" / kind).mkdir(parents=True)
        for i in range(12):
            level = 200 if kind == "bright" else 60
            pixels = rng.normal(level, 20, (24, 24)).clip(0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / "shapes" / kind / f"{i}.png")
    project = create_project(root / "project")
    import_data(ImportConfig(project=project, paths=[root / "shapes"], cache_size=32, workers=1))
    labels_from_folders(project, "shapes")
    train = TrainConfig(steps=2, batch_size=8, health_every_steps=10**6, log_every_seconds=0.0)
    run = pretrain(PretrainConfig(project=project, dataset="shapes", image_size=32, train=train))
    tuned = finetune(
        FinetuneConfig(
            project=project,
            run=run["run_id"],
            labels="folders",
            protocol="knn",
            n_boot=20,
            train=train,
        )
    )
    export(project, tuned["run_id"], root / "model")
    for path in (root, root / "shapes", root / "shapes" / "bright"):
        path.chmod(0o755)  # the child may read the data and write the output folder
    others = give_to_someone_else(project)
    set_writable(project, False)
    set_writable(root / "model", False)
    yield root, project, run["run_id"], tuned["run_id"], others
    set_writable(project, True)
    set_writable(root / "model", True)


def test_the_command_line_views_it_and_refuses_every_change(shared):
    root, project, run, tuned, others = shared
    before = fingerprint(project)
    p, data = str(project), str(root / "shapes")
    commands = {
        "info": ["info", p, "--json"],
        "report": ["report", p],
        "evaluate": ["evaluate", p, "--run", str(tuned), "--n-boot", "20", "--json"],
        "predict": ["predict", str(root / "model"), data, "--out", str(root / "p.csv")],
        "import": ["import", p, data, "--name", "more"],
        "labels": ["labels", p, "--dataset", "shapes", "--from-folders", "--name", "again"],
        "pretrain": ["pretrain", p, "--dataset", "shapes", "--steps", "2"],
        "finetune": ["finetune", p, "--run", str(run), "--labels", "folders"],
        "export": ["export", p, "--run", str(tuned), "--out", str(root / "model2")],
    }
    results = run_child(
        f"""
        import contextlib, io, json
        from ssl_studio.cli import main
        results = {{}}
        for name, argv in {commands!r}.items():
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(argv)
            results[name] = [code, out.getvalue(), err.getvalue()]
        print(json.dumps(results))
        """,
        root,
    )
    for name in ("info", "report", "evaluate", "predict"):
        code, out, err = results[name]
        assert code == 0, f"{name}: {err}"
    info = json.loads(results["info"][1])
    assert [(d["name"], d["items"]) for d in info["datasets"]] == [("shapes", 24)]
    assert len((root / "p.csv").read_text().splitlines()) == 25  # header + one row a file
    for name in ("import", "labels", "pretrain", "finetune", "export"):
        code, out, err = results[name]
        assert code == 1, f"{name} was not refused: {out} {err}"
        assert READ_ONLY in err, f"{name}: {err}"
        advice = COPY_IT if others else f'chmod -R u+w "{project}"'
        assert advice in err and (MARKED in err) != others, f"{name}: {err}"
        assert "Traceback" not in err
    assert not (root / "model2").exists()
    assert fingerprint(project) == before


def test_the_app_opens_it_for_viewing_and_says_why_changes_fail(shared):
    root, project, _, _, _ = shared
    before = fingerprint(project)
    result = run_child(
        f"""
        import json
        from pathlib import Path
        from PySide6.QtCore import QSettings
        from ssl_studio.gui import dialogs
        from ssl_studio.gui.app import application
        from ssl_studio.gui.main_window import MainWindow

        shown = []
        dialogs.QMessageBox.warning = lambda _, title, text: shown.append((title, text))
        dialogs.QMessageBox.information = lambda _, title, text: shown.append((title, text))
        app = application()
        settings = QSettings("settings.ini", QSettings.Format.IniFormat)
        window = MainWindow(Path({str(project)!r}), settings=settings)
        window.show()
        opened = list(shown)
        tip = window.read_only_label.toolTip()
        pretrain_says = window.pretrain.view.status.text()
        window.data.select_dataset("shapes")
        rows = window.data.model.rowCount()
        window.show_step(1)
        can_change = [window.import_action.isEnabled(), window.pretrain.start_button.isEnabled(),
                      window.finetune.button.isEnabled(),
                      *(b.isEnabled() for b in window.data.import_buttons)]
        started = window.data.import_paths([Path({str(root / "shapes")!r})])
        mapped = window.map.compute()  # an embedding map only reads
        while window.runner.busy:
            app.processEvents()
        app.processEvents()
        print(json.dumps({{"title": window.windowTitle(), "opened": opened, "rows": rows,
                          "can_change": can_change, "import_started": started,
                          "mapped": mapped and window.map.map is not None,
                          "shown": shown[len(opened):], "tip": tip,
                          "pretrain_says": pretrain_says}}))
        window.close()
        """,
        root,
    )
    assert result["title"] == "project (read-only) — SSL Studio"
    [(title, text)] = result["opened"]
    assert title == "The project is read-only" and READ_ONLY in text
    assert result["tip"] == text  # the status bar's "Read-only project" says what to do
    assert "Read-only project" in result["pretrain_says"]  # which (not always "copy it")
    assert result["rows"] == 24  # the data can be browsed, and a map made
    assert result["mapped"]
    assert result["can_change"] == [False] * 5  # import (menu, 2 buttons), pretrain, fine-tune
    # a drop still imports nothing, and says why
    [(title, text)] = result["shown"]
    assert READ_ONLY in text and not result["import_started"], title
    assert fingerprint(project) == before


@pytest.mark.parametrize("part", ["project.db", "cache", "runs", "exports"])
def test_one_read_only_part_refuses_a_writer_before_it_records_anything(tmp_path, part):
    project = create_project(tmp_path / "project")
    tmp_path.chmod(0o755)
    before = fingerprint(project)
    target = project / part
    target.chmod(target.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        result = run_child(
            f"""
            import json
            from ssl_studio.core.errors import ProjectReadOnlyError
            from ssl_studio.core.project.store import Store
            try:
                with Store.open({str(project)!r}, write=True) as store:
                    store.create_dataset("scans", "image", 64)
                print(json.dumps({{"refused": ""}}))
            except ProjectReadOnlyError as exc:
                with Store.open({str(project)!r}) as store:  # still readable
                    print(json.dumps({{"refused": str(exc), "datasets": store.datasets()}}))
            """,
            tmp_path,
        )
    finally:
        target.chmod(target.stat().st_mode | stat.S_IWUSR)
    assert READ_ONLY in result["refused"] and f"write {target}" in result["refused"]
    # the user's own folder (a copy of a read-only project): clear the marks, not copy it
    assert MARKED in result["refused"] and f'chmod -R u+w "{project}"' in result["refused"]
    assert COPY_IT not in result["refused"]
    assert result["datasets"] == []
    assert fingerprint(project) == before


def test_a_copy_of_a_read_only_project_says_how_to_make_it_writable(tmp_path):
    """cp -r keeps the modes: the copy is the user's own but marked read-only. The message
    says how to clear the marks (not to copy it again), and after that it imports."""
    project = create_project(tmp_path / "project")
    data = tmp_path / "scans"
    data.mkdir()
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(data / "a.png")
    tmp_path.chmod(0o755)
    set_writable(project, False)
    script = f"""
        import contextlib, io, json
        from ssl_studio.cli import main
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["import", {str(project)!r}, {str(data)!r}, "--cache-size", "16"])
        print(json.dumps([code, err.getvalue()]))
        """
    try:
        code, err = run_child(script, tmp_path)
        assert code == 1 and READ_ONLY in err and MARKED in err, err
        assert f'chmod -R u+w "{project}"' in err and COPY_IT not in err, err
        subprocess.run(["chmod", "-R", "u+w", str(project)], check=True)  # as it says
        code, err = run_child(script, tmp_path)
        assert code == 0, err
    finally:
        set_writable(project, True)


def test_someone_elses_folder_or_a_read_only_disk_still_says_copy_it(tmp_path, monkeypatch):
    from ssl_studio.core.project import lock

    folder = tmp_path / "project"
    folder.mkdir()
    folder.chmod(0o555)  # the user's own, marked read-only
    assert MARKED in str(lock.read_only_error(folder, "Permission denied"))
    with monkeypatch.context() as m:  # someone else's
        m.setattr(lock.os, "getuid", lambda: folder.stat().st_uid + 1)
        text = str(lock.read_only_error(folder, "Permission denied"))
        assert COPY_IT in text and MARKED not in text
    with monkeypatch.context() as m:  # on a read-only disk, the marks cannot be changed

        class ReadOnlyDisk:
            f_flag = os.ST_RDONLY

        m.setattr(lock.os, "statvfs", lambda _: ReadOnlyDisk())
        text = str(lock.read_only_error(folder, "Read-only file system"))
        assert COPY_IT in text and MARKED not in text
    folder.chmod(0o755)  # writable: whatever refused it, it was not the marks
    assert COPY_IT in str(lock.read_only_error(folder, "Permission denied"))


def _older_schema(project: Path, version: int) -> None:
    """Take ``project``'s database back to schema ``version`` (5: without migration 6's
    column; 4: also without migration 5's; 3: also without migration 4's; 2: also without
    migration 3's index; 1: also without migration 2's run columns and indexes)."""
    conn = sqlite3.connect(project / "project.db")
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    conn.execute("ALTER TABLE items DROP COLUMN content_hash")
    if version <= 4:
        conn.execute("ALTER TABLE files DROP COLUMN reread")
    if version <= 3:
        conn.execute("ALTER TABLE import_errors DROP COLUMN root_id")
    if version <= 2:
        conn.execute("DROP INDEX idx_labels_item_id")
    if version == 1:
        for name in ("idx_runs_dataset_id", "idx_checkpoints_run_id_step"):
            assert name in indexes
            conn.execute(f"DROP INDEX {name}")
        for column in ("device", "world_size", "fingerprint", "versions", "summary", "error"):
            conn.execute(f"ALTER TABLE runs DROP COLUMN {column}")
    conn.execute(f"PRAGMA user_version={version}")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_a_read_only_project_of_an_older_schema_is_viewed_as_it_is(tmp_path, version):
    from ssl_studio.core.project.store import Store

    project = create_project(tmp_path / "project")
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("scans", "image", 64)
        run = store.create_run(dataset, "pretrain", {"task": "simclr", "config": {}})
        store.finish_run(run, "done", {"steps": 5})
    _older_schema(project, version)
    tmp_path.chmod(0o755)
    set_writable(project, False)
    before = fingerprint(project)
    try:
        result = run_child(
            f"""
            import contextlib, io, json
            from ssl_studio.cli import main
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = main(["info", {str(project)!r}, "--json"])
            print(json.dumps([code, out.getvalue(), err.getvalue()]))
            """,
            tmp_path,
        )
    finally:
        set_writable(project, True)
    code, out, err = result
    assert code == 0, err
    info = json.loads(out)
    assert info["schema_version"] == version
    assert [d["name"] for d in info["datasets"]] == ["scans"]
    [shown] = info["runs"]
    steps = None if version == 1 else 5  # version 1 kept no summary
    assert (shown["task"], shown["status"], shown["steps"]) == ("simclr", "done", steps)
    assert shown["device"] == "" and shown["error"] is None
    assert fingerprint(project) == before
