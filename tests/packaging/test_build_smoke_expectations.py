"""packaging/build.sh smoke-tests each release bundle by grepping the output of its
commands for fixed texts (``expect "..."``). The bundle takes minutes to build, so a text
the command line no longer prints was found only at release time: every build failed at
"parity vs PyTorch" once the export said "Parity: the TorchScript and ONNX programs ...".
Here build.sh's own commands run in-process (on a small copy of the demo data), and
each text it expects must be in the output of the command before it."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

from ssl_studio.cli import main

ROOT = Path(__file__).resolve().parents[2]
BUILD_SH = ROOT / "packaging" / "build.sh"
DEMO = ROOT / "resources" / "demo"
ONLY_IN_THE_BUNDLE = {"--bundle-check"}  # an option of packaging/launch.py, not of the CLI


def smoke_steps(script: str) -> list[tuple[str, list[str]]]:
    """The smoke test's steps in order, up to its last ``expect``: ("run", argv),
    ("expect", [text]) and ("json", [expression])."""
    steps: list[tuple[str, list[str]]] = []
    for line in script.split("# ---- smoke test", 1)[1].splitlines():
        for part in line.strip().split(" && "):
            found = re.fullmatch(r"(run|expect|json) (.+)", part)
            if found:
                steps.append((found[1], shlex.split(found[2])))
    last = max(i for i, (kind, _) in enumerate(steps) if kind == "expect")
    return steps[: last + 1]


def small_demo(folder: Path) -> Path:
    """The demo data's layout with 12 images a class and 4 recordings."""
    for kind in ("normal", "pneumonia"):
        (folder / "chest-xray" / kind).mkdir(parents=True)
        for path in sorted((DEMO / "chest-xray" / kind).glob("*.png"))[:12]:
            shutil.copy(path, folder / "chest-xray" / kind)
    (folder / "basic-motions").mkdir()
    for path in sorted((DEMO / "basic-motions").glob("*.csv"))[:4]:
        shutil.copy(path, folder / "basic-motions")
    return folder


def run_in_process(argv: list[str], capsys) -> tuple[int, str]:
    """Exit status and output (stdout and stderr, as build.sh's 2>&1) of ``ssl-studio``."""
    try:
        code = main(argv)
    except SystemExit as exc:  # --version, --help
        code = exc.code or 0
    out, err = capsys.readouterr()
    return code, out + err


def test_the_parser_finds_the_smoke_tests_steps():
    steps = smoke_steps(BUILD_SH.read_text())
    expected = [args[0] for kind, args in steps if kind == "expect"]
    assert expected[:3] == ["ssl-studio ", "pretrain", "gui"]
    assert len(expected) >= 7 and len([k for k, _ in steps if k == "run"]) >= 10
    assert ["demo", "--no-gui", "$WORK/demo"] in [args for _, args in steps]


def test_every_text_build_sh_expects_is_in_its_commands_output(tmp_path, monkeypatch, capsys):
    data = small_demo(tmp_path / "demo-data")
    monkeypatch.setattr("ssl_studio.resources.demo_dir", lambda: data)
    work = tmp_path / "work"
    work.mkdir()
    places = {"$ROOT/resources/demo": str(data), "$WORK": str(work), "$ROOT": str(ROOT)}
    output, checked = None, []
    for kind, args in smoke_steps(BUILD_SH.read_text()):
        if kind == "run":
            if set(args) & ONLY_IN_THE_BUNDLE:
                output = None
                continue
            argv = []
            for arg in args:
                for name, place in places.items():
                    arg = arg.replace(name, place)
                assert "$" not in arg, f"build.sh uses a variable this test lacks: {arg}"
                argv.append(arg)
            code, output = run_in_process(argv, capsys)
            assert code == 0, f"ssl-studio {shlex.join(argv)} failed:\n{output}"
            last = argv
        elif kind == "expect":
            assert output is not None, f"expect {args[0]!r} follows no command run here"
            assert args[0] in output, f"ssl-studio {shlex.join(last)} printed:\n{output}"
            checked.append(args[0])
        else:
            d = json.loads(output)  # noqa: F841 (the expression reads it)
            assert eval(args[0]), f"{args[0]} on ssl-studio {shlex.join(last)}:\n{output}"
    assert "accuracy" in checked and len(checked) >= 7
