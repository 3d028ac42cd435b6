"""What the model card says of how its runs ran, for whoever wants to reproduce them:
the device and the precision each run trained in (as resolved: ``auto`` names neither),
the pretraining run's whole configuration, its own package versions and code, and how
many sessions it trained in (it may have been stopped and resumed).

Read by card.py (the card's fields) and card_markdown.py ("How it was made"). Nothing
here names a path: the project's folder is left out of the configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ssl_studio.core.export.card_about import code_span, markdown_text

NOT_RECORDED = "not recorded"
# the pretraining config's keys the card leaves out: the project's folder (a path of this
# machine, which may name a person) and the dataset's name when the run began (a later
# import renames a dataset whose name holds a patient ID, and this copy would keep it: the
# card's data section names the dataset as it is now), what the card states apart
# (in_effect, precision), and what only says how a session was started (resume_run,
# sessions: counted apart). The rest holds no name: options checked against their
# dataclasses (train, task_options, backbone_options, augment), numbers and choices.
# config keys no card shows: the project's folder (a path on this machine, which may name
# a person) and the dataset's name as it was then (a later import may have renamed one
# that named a patient); the card's "data" names the dataset as it is now
NAMES_AND_PATHS = ("project", "dataset")
LEFT_OUT = (*NAMES_AND_PATHS, "sessions", "in_effect", "precision", "resume_run")
TRAIN_LEFT_OUT = ("log_every_seconds",)  # (how often progress is shown: not the model's)
# train options MODEL_CARD.md leaves out besides checkpoint_* and log_*: the device asked
# for (the one it ran on has its own line) and what changes nothing in the model
MARKDOWN_LEFT_OUT = ("device", "keep_checkpoints", "health_every_steps")
PRECISION_WORDS = "fp32: full 32-bit; bf16/fp16: mixed precision"


def ran_on(run: Mapping[str, Any]) -> dict[str, str]:
    """{"device", "precision"} a run (its database row) trained on: of its last session
    (a resumed run's row holds that one's device). "not recorded" where the run did not
    record it (runs before the precision was recorded; a session resumed by such a
    version), never guessed from its ``amp`` setting."""
    config = run.get("config") or {}
    sessions = config.get("sessions") or []
    precision = sessions[-1].get("precision") if sessions else config.get("precision")
    return {
        "device": str(run.get("device") or NOT_RECORDED),
        "precision": str(precision or NOT_RECORDED),
    }


def pretraining_provenance(
    source: Mapping[str, Any], source_step: int | None = None
) -> dict[str, Any]:
    """The pretraining run's device, processes and precision, whole configuration (every train
    option: warm-up, clipping, momentum, amp, epochs, compile, ...; the preset; without
    LEFT_OUT), package versions and code (``versions``: its own, which may differ from the
    fine-tuning run's) and number of training sessions, as they were for the checkpoint
    the encoder came from: the session that wrote the one of step ``source_step`` (the
    last to begin before it; the run may have been resumed since, on another device or
    code), ``sessions`` counting it and those before. ``source_step`` None (classifiers
    saved before it was kept): the run's last session. ``versions_session``: the session
    whose versions ``versions`` are: that one where it kept its own, else the first (the
    run's row holds the first's; sessions resumed by earlier versions kept none)."""
    config = source.get("config") or {}
    kept = {k: v for k, v in config.items() if k not in LEFT_OUT}
    if isinstance(kept.get("train"), dict):
        kept["train"] = {k: v for k, v in kept["train"].items() if k not in TRAIN_LEFT_OUT}
    sessions = list(config.get("sessions") or [])
    if source_step is not None:  # (none began before step 0's checkpoint: the first)
        sessions = [s for s in sessions if s["from_step"] < source_step] or sessions[:1]
    chosen = sessions[-1] if sessions else {}
    own = chosen.get("versions")
    return {
        **(
            {
                "device": str(chosen.get("device") or NOT_RECORDED),
                "precision": str(chosen.get("precision") or NOT_RECORDED),
                "processes": chosen.get("processes"),
            }
            if sessions
            else {**ran_on(source), "processes": source.get("world_size")}  # (its row)
        ),
        "config": kept,
        "versions": own if own else source.get("versions"),
        "versions_session": len(sessions) if own else 1,
        "sessions": len(sessions) or 1,
    }


def provenance_lines(training: Mapping[str, Any]) -> list[str]:
    """MODEL_CARD.md's lines on the device and precision of each run (then what a
    precision means, once) and the pretraining's options, code and sessions ("How it was
    made"); cards before them: only what they hold."""
    lines = []
    if training.get("device") or training.get("precision"):
        lines.append(
            f"- Fine-tuning ran on: {_said(training.get('device'))}, precision "
            f"{_said(training.get('precision'))}."
        )
    done = training.get("pretraining") or {}
    if "precision" not in done:  # (cards before these fields: said as before)
        return [*lines, f"- Precision: {PRECISION_WORDS}."] if lines else lines
    sessions = done.get("sessions") or 1
    lines.append(
        f"- Pretraining ran on: {_said(done.get('device'))}, precision "
        f"{_said(done.get('precision'))}"
        + (
            f" (its training session {sessions}, which wrote the encoder's checkpoint: the "
            "run was stopped and resumed)"
            if sessions > 1
            else ""
        )
        + "."
    )
    lines.append(f"- Precision: {PRECISION_WORDS}.")
    return [*lines, *_options_line(done), *_versions_line(done, sessions)]


def has_provenance(pretraining: Mapping[str, Any]) -> bool:
    """Whether provenance_lines states the pretraining's device (cards since it does;
    the encoder's origin then leaves it out, so the card says it once)."""
    return "precision" in pretraining


def _options_line(done: Mapping[str, Any]) -> list[str]:
    """The pretraining options that shape the model (the preset and train options, not
    MARKDOWN_LEFT_OUT: the device is said on its own line), an unset one as "—"."""
    config = done.get("config") or {}
    train = config.get("train") or {}
    options = [f"preset {config['preset']}"] if config.get("preset") else []
    options += [
        f"{k} {'—' if v is None else v}"
        for k, v in train.items()
        if k not in MARKDOWN_LEFT_OUT and not k.startswith(("checkpoint_", "log_"))
    ]
    return [f"- Pretraining options: {markdown_text(', '.join(options))}."] if options else []


def _versions_line(done: Mapping[str, Any], sessions: int) -> list[str]:
    """The pretraining's SSL Studio code and torch version (whose session: see
    pretraining_provenance)."""
    versions = done.get("versions") or {}
    if not versions:
        return []
    code = versions.get("ssl_studio_code") or (
        f"not recorded (version {versions['ssl_studio']})"
        if versions.get("ssl_studio")
        else NOT_RECORDED
    )
    torch = versions.get("torch")
    of = done.get("versions_session") or 1
    return [
        f"- Pretrained with SSL Studio code: {markdown_text(str(code))}, torch "
        f"{code_span(str(torch)) if torch else NOT_RECORDED}"
        + (
            " (those of its first session: later sessions' were not recorded)"
            if of < sessions
            else ""
        )
        + "."
    ]


def _said(value: Any) -> str:
    return markdown_text(str(value or NOT_RECORDED))
