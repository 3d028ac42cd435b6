"""What a model card says for reproducing its model: the device and precision each run
trained in, the pretraining run's whole setup (its config, code, versions and sessions),
without identifiers or paths, and never a fingerprint of the label values."""

from __future__ import annotations

import hashlib
import json

import pytest
from finetune_projects import quick_train, written_card

from ssl_studio.core.engine.checkpoint import load_checkpoint
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.jobs import export, finetune
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.split_file import read_split
from ssl_studio.core.project.store import Store

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.load.*:FutureWarning")


def _fine_tune(project, run, **options):
    """A kNN fine-tuning on label set "mine" with half the items held out (20 and 20), no
    baseline."""
    chosen = {
        **{"labels": "mine", "protocol": "knn", "n_boot": 10, "baseline": False},
        **{"test_fraction": 0.5, "folds": 1, "train": quick_train(steps=2)},
        **options,
    }
    return finetune(FinetuneConfig(project=project, run=run, **chosen))


@pytest.fixture(scope="module")
def exported(image_project, tmp_path_factory):
    """(project, pretraining run id, fine-tuning result, export folder)."""
    project, run = image_project
    labels_from_folders(project, "shapes", name="mine")
    result = _fine_tune(project, run)
    out = tmp_path_factory.mktemp("provenance") / "model"
    export(project, result["run_id"], out)
    return project, run, result, out


def test_the_card_says_which_device_and_precision_each_run_trained_in(exported):
    project, run, result, out = exported
    card, text = written_card(out)
    training = card["training"]
    assert training["config"]["train"]["device"] == "auto"  # (as asked: says neither)
    with Store.open(project) as store:
        fine_tuning, pretraining = store.run(result["run_id"]), store.run(run)
    assert training["device"] == fine_tuning["device"]
    assert training["device"].startswith("CPU (")
    assert training["precision"] == "fp32"  # (no CUDA here: full float32)
    assert training["pretraining"]["device"] == pretraining["device"]
    assert training["pretraining"]["precision"] == "fp32"
    # the runs keep it where they keep their device (the run's row)
    assert fine_tuning["config"]["precision"] == pretraining["config"]["precision"] == "fp32"
    assert f"Fine-tuning ran on: {training['device']}, precision fp32." in text
    assert f"Pretraining ran on: {training['pretraining']['device']}, precision fp32." in text
    assert text.count("- Precision: fp32: full 32-bit; bf16/fp16: mixed precision.") == 1


def test_the_card_holds_the_whole_pretraining_setup_and_its_own_versions(exported):
    project, run, _, out = exported
    card, text = written_card(out)
    done = card["training"]["pretraining"]
    with Store.open(project) as store:
        pretraining = store.run(run)
    train = done["config"]["train"]
    for key in ("warmup_fraction", "grad_clip", "momentum", "amp", "epochs", "compile"):
        assert train[key] == pretraining["config"]["train"][key]
    assert done["config"]["preset"] == pretraining["config"]["preset"]
    assert "project" not in done["config"] and "log_every_seconds" not in train
    assert done["versions"] == pretraining["versions"]  # its own, not the classifier's
    assert done["versions"]["torch"]
    assert done["sessions"] == 1
    assert "Pretraining options: preset quick" in text
    assert "Pretrained with SSL Studio code:" in text
    assert str(project) not in json.dumps(card) + text  # (never the project's folder)


def _expected_digest(project, run_dir, part):
    """SHA-256 over the sorted (content hash, class) pairs of a split part, from the
    project: the run's labels fingerprint computed independently."""
    ids = read_split(run_dir).ids(part)
    with Store.open(project) as store:
        dataset = store.dataset_named("shapes")
        hashes = {i["id"]: i["content_hash"] for i in store.items(dataset["id"])}
        labels = store.latest_labels(dataset["id"], "mine")
    pairs = sorted([hashes[i], labels[i]] for i in ids)
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()


def test_no_exported_file_holds_a_fingerprint_of_the_labels_the_project_keeps_them(exported):
    """A digest over (content hash, class) pairs gives every label away to whoever holds
    the images (try the label sets): it stays in the run's model.pt in the project."""
    project, _, result, out = exported
    run_dir = project / "runs" / str(result["run_id"])
    kept = load_checkpoint(run_dir / "model.pt")["labels_fingerprint"]
    digests = [_expected_digest(project, run_dir, part) for part in ("train", "test")]
    assert [kept["train"]["sha256"], kept["test"]["sha256"]] == digests
    card, text = written_card(out)
    assert "labels_fingerprint" not in card["training"] and "Label values" not in text
    for path in out.iterdir():  # (the card, its text, and each program's metadata)
        data = path.read_bytes()
        assert not any(d.encode() in data for d in digests), path.name


def test_a_renamed_dataset_s_old_name_is_on_no_card(exported, tmp_path):
    """An import renames a dataset whose name held a patient ID; the runs' configs keep
    the name they were given, which the card must not repeat (it names the dataset now)."""
    project, _, result, _ = exported
    with Store.open(project, write=True) as store:
        dataset = store.dataset_named("shapes")
        store.rename_dataset(dataset["id"], "renamed-set")
    try:
        export(project, result["run_id"], tmp_path / "renamed")
    finally:
        with Store.open(project, write=True) as store:
            store.rename_dataset(dataset["id"], "shapes")
    card, text = written_card(tmp_path / "renamed")
    assert "dataset" not in card["training"]["config"]
    assert "dataset" not in card["training"]["pretraining"]["config"]
    assert "shapes" not in json.dumps(card) + text
    assert "dataset 'renamed-set'" in text
