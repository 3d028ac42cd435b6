"""The bundled demo project."""

from __future__ import annotations

import pytest

from ssl_studio.cli import main
from ssl_studio.core.jobs import create_demo
from ssl_studio.core.project.info import project_info


def test_demo_project_imports_both_datasets_and_reimports_fast(tmp_path, capsys):
    results = create_demo(tmp_path / "demo")
    chest, motions = results["chest-xray"], results["basic-motions"]
    assert (chest["modality"], chest["items"], chest["failed"]) == ("image", 400, 0)
    assert (motions["modality"], motions["items"], motions["failed"]) == ("timeseries", 80, 0)
    info = {d["name"]: d for d in project_info(tmp_path / "demo")["datasets"]}
    assert info["chest-xray"]["cache_size"] == 64
    assert info["basic-motions"]["items_by_modality"] == {"CSV": 80}
    assert main(["demo", str(tmp_path / "demo"), "--no-gui"]) == 0  # again: nothing to do
    out = capsys.readouterr().out
    assert "400 files seen, 0 imported (0 items), 400 unchanged" in out


def test_a_demo_made_by_another_copy_of_the_app_is_left_as_it_is(tmp_path, monkeypatch):
    """The packaged app and a source checkout share the default demo folder."""
    import shutil

    from ssl_studio.core import jobs
    from ssl_studio.resources import demo_dir

    other = tmp_path / "other-copy" / "demo"
    shutil.copytree(demo_dir(), other)
    create_demo(tmp_path / "demo")
    monkeypatch.setattr("ssl_studio.resources.demo_dir", lambda: other)
    said = []
    assert create_demo(tmp_path / "demo", report=said.append) == {}
    assert [e.text for e in said if isinstance(e, jobs.Message)] == [
        "The demo dataset 'chest-xray' is already in the project.",
        "The demo dataset 'basic-motions' is already in the project.",
    ]
    info = {d["name"]: d["items"] for d in project_info(tmp_path / "demo")["datasets"]}
    assert info == {"chest-xray": 400, "basic-motions": 80}  # not doubled


@pytest.mark.parametrize("missing", ["all", "basic-motions", "empty chest-xray"])
def test_missing_demo_data_names_what_is_missing_and_makes_nothing(
    tmp_path, monkeypatch, capsys, missing
):
    """An install without resources/ (or with part of it): the demo says which folder is
    missing before it makes anything, in the app's job and on the command line."""
    import shutil

    from ssl_studio.core.errors import SSLStudioError
    from ssl_studio.resources import demo_dir

    demo = tmp_path / "resources" / "demo"
    if missing != "all":
        shutil.copytree(demo_dir() / "chest-xray", demo / "chest-xray")
        shutil.copytree(demo_dir() / "basic-motions", demo / "basic-motions")
        gone = demo / missing.removeprefix("empty ")
        shutil.rmtree(gone)
        if missing.startswith("empty"):
            gone.mkdir()
    else:
        gone = demo
    monkeypatch.setattr("ssl_studio.resources.resources_dir", lambda: demo.parent)
    with pytest.raises(SSLStudioError, match="SSL Studio is incomplete") as caught:
        create_demo(tmp_path / "demo")
    assert f"{gone} is missing or empty" in str(caught.value)
    assert not (tmp_path / "demo").exists()  # nothing half-made
    assert main(["demo", str(tmp_path / "demo"), "--no-gui"]) == 1
    err = capsys.readouterr().err
    assert f"{gone} is missing or empty" in err and "Traceback" not in err


def test_a_demo_stopped_with_ctrl_c_says_so_and_opens_nothing(tmp_path, capsys, monkeypatch):
    from ssl_studio.core.events import StopToken

    def pressed_ctrl_c(*_):
        token = StopToken()
        token.stop()
        return token

    monkeypatch.setattr("ssl_studio.cli.stop_on_ctrl_c", pressed_ctrl_c)
    monkeypatch.setattr("ssl_studio.cli._open_gui", lambda *a, **k: 0 / 0)  # must not run
    assert main(["demo", str(tmp_path / "demo")]) == 130
    assert "Stopped; run ssl-studio demo again" in capsys.readouterr().out


def test_the_demo_window_opens_with_the_usual_signals(tmp_path, monkeypatch):
    """The import's Ctrl+C handler only asks the import to stop; once the window opens,
    SIGTERM must end the app again (it printed "Stopping..." and the window stayed)."""
    import signal

    create_demo(tmp_path / "demo")  # already imported: the command goes straight on
    seen = {}

    def window(*_args, **_kwargs):
        seen["term"] = signal.getsignal(signal.SIGTERM)
        seen["int"] = signal.getsignal(signal.SIGINT)
        return 0

    monkeypatch.setattr("ssl_studio.cli._open_gui", window)
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        assert main(["demo", str(tmp_path / "demo")]) == 0
    finally:
        signal.signal(signal.SIGTERM, before[0])
        signal.signal(signal.SIGINT, before[1])
    assert seen == {"term": signal.SIG_DFL, "int": signal.default_int_handler}


def test_the_demo_does_not_warn_about_its_own_cache_size(tmp_path, capsys):
    """The chest X-rays (28 px) are cached at 64 px on purpose (the quick preset trains
    at 64 px): the demo says nothing about scaling them up, and a user's import of the
    same images at 64 px still does."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.jobs import import_data
    from ssl_studio.resources import demo_sources

    assert main(["demo", str(tmp_path / "demo"), "--no-gui"]) == 0
    captured = capsys.readouterr()
    assert "scaled up" not in captured.out + captured.err
    said = []
    source = demo_sources(("chest-xray",))["chest-xray"]
    cfg = ImportConfig(project=tmp_path / "demo", paths=[source], name="mine", cache_size=64)
    import_data(cfg, report=said.append)
    assert any("so they were scaled up" in getattr(e, "text", "") for e in said)
