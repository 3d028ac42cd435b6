"""The records behind the card's provenance: the precision a run trained in (resolved,
and kept per session of a resumed run; "not recorded" for older runs, never guessed),
the pretraining block of runs resumed or made by other code, and the label fingerprints
the project keeps (never the card)."""

from __future__ import annotations

import torch

from ssl_studio.core.export import card_markdown
from ssl_studio.core.export.card import pretraining_settings
from ssl_studio.core.export.card_provenance import provenance_lines, ran_on
from ssl_studio.core.export.card_trace import trace_markdown
from ssl_studio.core.finetune.label_fingerprints import labels_fingerprint
from ssl_studio.core.finetune.protocols import protocol_precision
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

CUDA = torch.device("cuda", 0)


def test_fine_tuning_s_precision_is_the_one_its_protocol_trains_in():
    assert protocol_precision("full", "fp16", CUDA) == "fp16"
    assert protocol_precision("scratch", "bf16", CUDA) == "bf16"
    assert protocol_precision("partial", "off", CUDA) == "fp32"
    assert protocol_precision("full", "auto", torch.device("cpu")) == "fp32"
    # the frozen-embedding protocols never run under autocast
    assert protocol_precision("knn", "fp16", CUDA) == "fp32"
    assert protocol_precision("linear", "bf16", CUDA) == "fp32"


def test_a_run_without_a_recorded_precision_says_not_recorded():
    old = {"device": "CPU (4 threads)", "config": {"train": {"amp": "auto"}}}
    assert ran_on(old) == {"device": "CPU (4 threads)", "precision": "not recorded"}
    assert ran_on({"config": None}) == {"device": "not recorded", "precision": "not recorded"}


def test_a_resumed_run_keeps_each_session_s_precision(tmp_path):
    project = create_project(tmp_path / "p")
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("d", "image", 32)
        config = {"precision": "bf16", "train": {}}
        run = store.create_run(dataset, "pretrain", {"config": config, "device": "H100 (CUDA)"})
        store.resume_run(run, "CPU (8 threads)", 1, step=100, precision="fp32")
        row = store.run(run)
    sessions = row["config"]["sessions"]
    assert [s.get("precision") for s in sessions] == ["bf16", "fp32"]
    assert ran_on(row) == {"device": "CPU (8 threads)", "precision": "fp32"}
    settings = pretraining_settings({**row, "kind": "pretrain"})
    assert settings["sessions"] == 2 and settings["precision"] == "fp32"
    assert "config" in settings and "sessions" not in settings["config"]
    assert any("its training session 2" in line for line in provenance_lines({
        "pretraining": settings}))  # fmt: skip


def test_the_pretraining_block_holds_that_run_s_own_versions_not_the_classifier_s():
    source = {
        "kind": "pretrain",
        "device": "CPU (1 thread)",
        "versions": {"torch": "2.0.0", "ssl_studio_code": "git abc123"},
        "config": {
            "project": "/home/jane/p",
            "preset": "quick",
            "precision": "fp32",
            "train": {"grad_clip": 1.0, "log_every_seconds": 0.5},
        },  # fmt: skip
    }
    settings = pretraining_settings(source, {"versions": {"torch": "2.5.0"}})
    assert settings["versions"]["torch"] == "2.0.0"
    assert settings["config"] == {"preset": "quick", "train": {"grad_clip": 1.0}}
    text = "\n".join(provenance_lines({"pretraining": settings}))
    assert "git abc123" in text and "torch `2.0.0`" in text and "jane" not in text


def test_a_labels_fingerprint_is_of_the_pairs_in_any_order_and_sees_one_change():
    pairs = [(f"h{i}", "a" if i % 2 else "b") for i in range(4)]
    found = labels_fingerprint(pairs)
    assert found["items"] == 4 and len(found["sha256"]) == 64 and found["content"]
    assert labels_fingerprint(pairs[::-1])["sha256"] == found["sha256"]
    changed = [(pairs[0][0], "a"), *pairs[1:]]
    assert labels_fingerprint(changed)["sha256"] != found["sha256"]
    unhashed = labels_fingerprint([(None, "a"), *pairs[1:]])  # (identifies nothing)
    assert unhashed["sha256"] is None and unhashed["content"] is False


def test_a_card_says_nothing_of_label_fingerprints_even_one_that_held_them():
    """A card written by the version that put them there is not repeated on reading."""
    held = {"train": {"items": 40, "sha256": "ab" * 32, "content": True}}
    lines = trace_markdown({"training": {"labels_fingerprint": held}})
    assert not any("ab" * 32 in line or "Label" in line for line in lines)


def test_the_pretraining_block_leaves_out_the_dataset_s_name_as_it_was_then():
    source = {
        "kind": "pretrain",
        "config": {"dataset": "Doe^Jane 1234", "preset": "quick", "precision": "fp32"},
    }
    settings = pretraining_settings(source)
    assert settings["config"] == {"preset": "quick"}
    assert "Doe" not in "\n".join(provenance_lines({"pretraining": settings}))


def _resumed_twice(tmp_path, **second) -> dict:
    """A pretraining run's row: begun on an H100 in bf16 with 2 processes, resumed at
    step 100 on a CPU in fp32, then at step 300 on an A100 in fp16 with 4 processes;
    each with its own code (``second``: the second resume's other arguments)."""
    project = create_project(tmp_path / "p")
    code = {f"s{n}": {"torch": f"2.{n}.0", "ssl_studio_code": f"git {n}{n}"} for n in (1, 2, 3)}
    with Store.open(project, write=True) as store:
        dataset = store.create_dataset("d", "image", 32)
        began = {"config": {"precision": "bf16"}, "device": "H100 (CUDA)", "world_size": 2}
        run = store.create_run(dataset, "pretrain", {**began, "versions": code["s1"]})
        store.resume_run(run, "CPU (8 threads)", 1, 100, "fp32", versions=code["s2"])
        chosen = {"precision": "fp16", "versions": code["s3"], **second}
        store.resume_run(run, "A100 (CUDA)", 4, 300, **chosen)
        return {**store.run(run), "kind": "pretrain"}


def _said(settings: dict) -> tuple:
    keys = ("device", "precision", "processes", "sessions", "versions_session")
    return (*(settings[k] for k in keys), settings["versions"]["torch"])


def test_the_card_states_the_session_that_wrote_the_encoder_s_checkpoint(tmp_path):
    """Not the run's last (it may have been resumed since, elsewhere): the last session
    begun before the checkpoint's step, its versions, and how many sessions led to it."""
    source = _resumed_twice(tmp_path)
    at = {step: pretraining_settings(source, {"source_step": step}) for step in (100, 200, 400)}
    assert _said(at[100]) == ("H100 (CUDA)", "bf16", 2, 1, 1, "2.1.0")
    assert _said(at[200]) == ("CPU (8 threads)", "fp32", 1, 2, 2, "2.2.0")
    assert _said(at[400]) == ("A100 (CUDA)", "fp16", 4, 3, 3, "2.3.0")
    assert _said(pretraining_settings(source)) == _said(at[400])  # (step not kept: the last)
    text = "\n".join(provenance_lines({"pretraining": at[200]}))
    assert "Pretraining ran on: CPU (8 threads), precision fp32 (its training session 2," in text
    assert "git 22" in text and "first session" not in text


def test_a_session_resumed_without_its_versions_states_the_first_session_s(tmp_path):
    source = _resumed_twice(tmp_path, versions=None)  # (resumed by an earlier version)
    settings = pretraining_settings(source, {"source_step": 400})
    assert _said(settings) == ("A100 (CUDA)", "fp16", 4, 3, 1, "2.1.0")
    text = "\n".join(provenance_lines({"pretraining": settings}))
    assert "git 11" in text and "(those of its first session: later sessions'" in text


def test_the_pretraining_options_line_keeps_what_shapes_the_model_in_plain_words():
    """No device (its own line says where it ran), checkpoint, health or log settings
    (they change nothing in the model); an unset option reads "—", not None."""
    train = {
        **{"steps": None, "grad_clip": 1.0, "amp": "auto", "device": "cuda:1"},
        **{"checkpoint_every_steps": 200, "checkpoint_every_minutes": 10.0},
        **{"keep_checkpoints": 2, "health_every_steps": 50, "log_every_seconds": 0.5},
    }
    done = {
        "device": "H100 (CUDA)",
        "precision": "bf16",
        "config": {"preset": "quick", "train": train},
    }
    lines = provenance_lines({"pretraining": done})
    options = [line for line in lines if line.startswith("- Pretraining options:")]
    assert options == [r"- Pretraining options: preset quick, steps —, grad\_clip 1.0, amp auto."]
    said = "\n".join(lines)
    assert said.count("- Precision: fp32: full 32-bit; bf16/fp16: mixed precision.") == 1
    assert said.count("mixed precision") == 1


def test_the_encoder_s_origin_leaves_the_device_to_the_pretraining_line():
    done = {
        **{"steps": 10, "batch_size": 8, "optimizer": "adamw", "lr": 0.001, "seed": 0},
        **{"device": "H100 (CUDA)", "precision": "bf16", "sessions": 1, "config": {}},
    }
    training = {"pretext_task": "simclr", "pretraining_run": 1, "pretraining": done}
    said = "\n".join([card_markdown._encoder_origin(training), *provenance_lines(training)])
    assert said.count("H100 (CUDA)") == 1
    before = {k: v for k, v in done.items() if k not in ("precision", "sessions")}
    assert "on H100 (CUDA)" in card_markdown._encoder_origin({**training, "pretraining": before})
