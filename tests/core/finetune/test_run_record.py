"""`ssl-studio info PROJECT --run N`: a run's whole record from the project alone (a
researcher defending a result months later): config and options in effect, versions,
fingerprint, checkpoints and split sizes, and no path of this machine."""

from __future__ import annotations

import json

import pytest
from finetune_projects import quick_train

from ssl_studio.cli import main
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import finetune
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.run_record import run_record


def test_a_run_s_record_holds_what_reproducing_it_needs(image_project, capsys):
    project, run = image_project
    labels_from_folders(project, "shapes")
    result = finetune(
        FinetuneConfig(
            project=project,
            run=run,
            labels="folders",
            protocol="linear",
            baseline=False,
            n_boot=20,
            train=quick_train(steps=3),
        )
    )
    pre = run_record(project, run)
    assert pre["kind"] == "pretrain" and pre["dataset"] == "shapes"
    assert set(pre["config"]["in_effect"]) == {"backbone_options", "augment", "task_options"}
    assert {"torch", "numpy", "scikit-learn"} <= set(pre["versions"])
    assert pre["fingerprint"]["items"] > 0 and pre["checkpoints"][-1]["step"] > 0
    assert pre["checkpoints"][-1]["file"].startswith(f"runs/{run}/checkpoints/step-")

    tuned = run_record(project, result["run_id"])
    assert tuned["parent_run"] == run and tuned["config"]["label_version"] == 1
    assert tuned["config"]["source_step"] == pre["checkpoints"][-1]["step"]
    assert tuned["split"] == {"train": 32, "val": 0, "test": 8}
    assert "project" not in tuned["config"] and str(project) not in json.dumps(tuned)

    assert main(["info", str(project), "--run", str(result["run_id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(tuned))
    assert main(["info", str(project), "--run", str(run)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"Run {run}: pretrain ") and '"in_effect": {' in text
    with pytest.raises(ConfigError, match=r"The project has no run 99; its runs are 1, "):
        run_record(project, 99)
