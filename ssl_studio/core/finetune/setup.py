"""What a fine-tuning job starts from: the pretraining run, its architecture, the
labeled items, and the protocol ``auto`` picks. Shared by the fine-tuning and the
label-efficiency jobs and by the export."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.patient_groups import split_groups
from ssl_studio.core.evaluation.splits import Split
from ssl_studio.core.finetune.data import LabeledData, positive_class
from ssl_studio.core.finetune.plan import planned_split
from ssl_studio.core.finetune_config import FinetuneConfig
from ssl_studio.core.labels import label_set_to_use
from ssl_studio.core.pretrain import USABLE_STATUSES, latest_checkpoint
from ssl_studio.core.project.split_file import SPLIT_FILE, read_split
from ssl_studio.core.project.store import Store
from ssl_studio.core.wording import resume_command

LINEAR_UP_TO = 25  # labels per class up to which "auto" picks the linear probe


def recommended_protocol(per_class: int) -> str:
    """What ``auto`` picks: the frozen linear probe while labels are few (it cannot
    overfit the encoder), full fine-tuning once there are more than 25 per class."""
    return "linear" if per_class <= LINEAR_UP_TO else "full"


def source_of(store: Store, run_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the pretraining run's row, its newest checkpoint)."""
    run = store.run_of_kind(run_id, "pretrain", "fine-tune")
    if run["status"] == "failed":  # (its checkpoints are good: a failure keeps the last)
        why = f" ({run['error']})" if run.get("error") else ""
        raise ConfigError(
            f"Pretraining run {run_id} failed{why}. Resume it once the cause is fixed "
            f"({resume_command(store.paths.root, run_id, int(run.get('world_size') or 1))}), "
            "or start a new run; fine-tuning takes runs that are done, stopped or "
            "interrupted."
        )
    if run["status"] not in USABLE_STATUSES:
        raise ConfigError(f"Pretraining run {run_id} is {run['status']}; wait for it to end.")
    return run, latest_checkpoint(store.paths.root / run["folder"])


def labeled_data(
    store: Store,
    dataset_name: str,
    label_set: str,
    spec: dict[str, Any],
    series_length: int,
    positive: str | None,
    version: int | None = None,
    min_classes: int = 2,
) -> LabeledData:
    """The labeled items of ``dataset_name`` under the newest version of ``label_set`` (or
    the given ``version``, as a run was trained and tested with it). Its groups keep
    patients and exact copies whole (patient_groups.split_groups)."""
    found = store.dataset_named(dataset_name)
    if found["modality"] != spec["modality"]:
        raise ConfigError(
            f"The encoder learned from {spec['modality']} data; dataset '{dataset_name}' "
            f"holds {found['modality']} data."
        )
    labels = store.latest_labels(found["id"], label_set, version)
    if not labels:
        names = ", ".join(sorted({s["name"] for s in store.label_sets(found["id"])}))
        raise ConfigError(
            f"Dataset '{dataset_name}' has no label set '{label_set}' "
            f"(it has: {names or 'none yet'}). Add labels with ssl-studio labels."
        )
    items = [i for i in store.items(found["id"]) if int(i["id"]) in labels]
    names = [labels[int(i["id"])] for i in items]
    try:
        classes = positive_class(sorted(set(names)), positive)
    except ValueError as exc:
        raise ConfigError(f"The positive class {exc}.") from exc
    if len(classes) < min_classes:
        raise ConfigError(
            f"Label set '{label_set}' has only the class {classes[0]!r}; fine-tuning needs "
            "examples of at least two classes."
        )
    return LabeledData(
        modality=spec["modality"],
        items=items,
        y=np.array([classes.index(n) for n in names], np.int64),
        classes=classes,
        groups=split_groups(
            [i.get("content_hash") for i in items], [i["patient_key"] for i in items]
        ),
        reader=CacheReader(
            store.paths.dataset_cache(found["id"]), store.cache_extents(found["id"])
        ),
        channels=spec["in_channels"],
        image_size=spec["image_size"],
        series_length=series_length,
    )


def spec_of(state: dict[str, Any]) -> dict[str, Any]:
    """The architecture of a pretraining checkpoint."""
    return {
        "modality": state.get("modality", "image"),
        "backbone": state["backbone"],
        "backbone_options": state.get("backbone_options", {}),
        "in_channels": state["in_channels"],
        "image_size": state["image_size"],
    }


def reused_split(store: Store, run_id: int, data: LabeledData) -> Split:
    """The split of an earlier fine-tuning run, as positions in ``data`` (items that have
    lost their label are left out; newly labeled items join no part). A validation or test
    item that is an exact copy of an item of an earlier part (the same content hash: a
    split made before copies were kept together, or a copy imported since) is left out
    too, and the note says how many."""
    run = store.run(run_id)
    run_dir = store.paths.root / run["folder"] if run else None
    if run_dir is None or not (run_dir / SPLIT_FILE).is_file():
        raise ConfigError(f"Run {run_id} has no split to reuse; pick a fine-tuning run.")
    saved = read_split(run_dir)
    if saved.folds is not None:
        raise ConfigError(
            f"Run {run_id} was cross-validated, so it has no test split to reuse (its "
            "model trained on every label). Cross-validate again with the same --seed and "
            "--folds to get the same folds."
        )
    where = {int(i): p for p, i in enumerate(data.ids)}
    parts = {
        k: np.array(sorted(where[i] for i in saved.ids(k) or [] if i in where), np.int64)
        for k in ("train", "val", "test")
    }
    seen = {data.items[p].get("content_hash") for p in parts["train"]} - {None}
    dropped = 0
    for part in ("val", "test"):
        kept = [p for p in parts[part] if data.items[p].get("content_hash") not in seen]
        dropped += len(parts[part]) - len(kept)
        seen |= {data.items[p].get("content_hash") for p in kept} - {None}
        parts[part] = np.array(kept, np.int64)
    copies = (
        f"{dropped} held-out item{'s' if dropped > 1 else ''} of run {run_id}'s split "
        f"{'are exact copies' if dropped > 1 else 'is an exact copy'} of items it trains or "
        "tunes on (the same content): left out."
    )
    note = " ".join(filter(None, (saved.note, copies if dropped else None))) or None
    return Split(parts["train"], parts["val"], parts["test"], note=note)


def chosen_label_set(store: Store, dataset_name: str, name: str) -> str:
    """``name``, or when it is empty the dataset's only label set (an error names the
    choices when there are several, and says how to add labels when there are none)."""
    found = store.dataset(dataset_name)
    if name or found is None:
        return name
    names = sorted({s["name"] for s in store.label_sets(found["id"])})
    return label_set_to_use(dataset_name, names, "", "--labels")


def prepare(
    store: Store, cfg: FinetuneConfig
) -> tuple[FinetuneConfig, dict, dict, dict, LabeledData, dict]:
    """What every fine-tuning job starts from: (cfg with its label set named, the
    pretraining run's row, its checkpoint, the architecture spec with cache size and
    series length, the labeled data, the labeled dataset's row). With
    ``cfg.group_by_patient`` off every labeled item is a group of its own."""
    assert cfg.run is not None
    source, state = source_of(store, cfg.run)
    spec = spec_of(state)
    dataset = cfg.dataset or state["dataset"]
    cfg = replace(cfg, labels=chosen_label_set(store, dataset, cfg.labels))
    series_length = state["config"].get("series_length") or 3000
    found = store.dataset(dataset)
    # (no such dataset or label set: labeled_data says so, naming those there are)
    if found and cfg.labels in {s["name"] for s in store.label_sets(found["id"])}:
        version = store.chosen_label_version(found["id"], cfg.labels, cfg.label_version)
        cfg = replace(cfg, label_version=version)
    _check_channels(store, cfg.run, found, spec)
    data = labeled_data(
        store, dataset, cfg.labels, spec, series_length, cfg.positive, cfg.label_version
    )
    if not cfg.group_by_patient:  # split (and resample) by item: the caveat says so
        data.split_by_item()
    if len(data.classes) > 2 and (cfg.positive or cfg.threshold != "default"):
        raise ConfigError(
            f"A positive class and a threshold belong to two-class problems; label set "
            f"'{cfg.labels}' has {len(data.classes)} classes ({', '.join(data.classes)}). "
            "Leave --positive and --threshold out."
        )
    # (only now, after the class count: with more than two classes there is no
    # threshold at all, so asking for validation labels for one would mislead)
    if cfg.threshold != "default" and cfg.val_fraction == 0 and cfg.split_from is None:
        raise ConfigError(
            "Picking a threshold needs validation labels: set val_fraction (e.g. 0.2)."
        )
    if cfg.threshold == "default" and cfg.val_fraction > 0:
        raise ConfigError(_unused_validation(cfg.labels, data.classes))
    spec = {**spec, "cache_size": found["cache_size"], "series_length": series_length}
    return cfg, source, state, spec, data, found


def _unused_validation(label_set: str, classes: list[str]) -> str:
    """Why a validation share with the default threshold is refused, and what to do: only
    a two-class model has a threshold to pick."""
    text = (
        "val_fraction holds labels out only to pick the decision threshold of a two-class "
        "model, and the default threshold needs none: they would be set aside for nothing. "
    )
    if len(classes) == 2:
        return text + (
            "Choose a threshold (youden, or sensitivity:0.9) or leave val_fraction at 0."
        )
    return text + (
        f"Label set '{label_set}' has {len(classes)} classes, which have no threshold to "
        "pick (each item goes to its most probable class): leave val_fraction at 0."
    )


def _check_channels(
    store: Store, run_id: int, found: dict[str, Any] | None, spec: dict[str, Any]
) -> None:
    """Refuse series of another number of channels than the run's encoder reads (images
    are converted to the run's channels; series channels mean different sensors).
    ``found``: the dataset's row (None: labeled_data says it does not exist)."""
    profile = store.item_profile(found["id"]) if found and spec["modality"] != "image" else None
    if profile is not None and profile[1] != spec["in_channels"]:
        raise ConfigError(
            f"Run {run_id} learned from series of {spec['in_channels']} channel(s); dataset "
            f"'{found['name']}' has {profile[1]}. Fine-tune on a dataset with the run's "
            f"channels (in the same order), or pretrain a run on '{found['name']}' first."
        )


def job_split(store: Store, cfg: FinetuneConfig, data: LabeledData) -> tuple[Split, bool]:
    """(the job's split: reused from ``cfg.split_from`` or planned anew, whether its
    patients are kept apart); ConfigError when nothing is left to test or train on."""
    reused = None
    apart = cfg.group_by_patient
    if cfg.split_from is not None:
        reused = reused_split(store, cfg.split_from, data)
        source = (store.run(cfg.split_from) or {}).get("config") or {}
        apart = cfg.group_by_patient and source.get("group_by_patient", True)
    split = planned_split(data.y, data.groups, cfg, data.classes, reused)
    if reused is None:  # (a reused split brings its own note)
        split.note = data.with_copies_noted(split.note)
    if split.folds:
        return split, apart
    if len(split.test) == 0:
        raise ConfigError(
            "No labeled item is left to test on (the reused split's test items lost "
            "their labels); label them again, or make a new split."
        )
    missing = set(range(len(data.classes))) - set(data.y[split.train].tolist())
    if missing:
        raise ConfigError(
            "After holding out the test items, no training labels are left for "
            f"{', '.join(data.classes[m] for m in sorted(missing))}. Label more examples."
        )
    return split, apart
