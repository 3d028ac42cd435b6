"""The export job: a fine-tuning run -> an export folder (``predict`` is in
predict_job.py)."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.data.cache import CacheReader
from ssl_studio.core.data.series_channels import named
from ssl_studio.core.data.series_rates import common_rate
from ssl_studio.core.data_fingerprint import same_data
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.events import Message, Reporter, StopToken, ignore
from ssl_studio.core.export.card import card_fingerprint
from ssl_studio.core.export.card_details import CardDetails, refuse_patient_ids, stored_details
from ssl_studio.core.export.card_provenance import ran_on
from ssl_studio.core.export.card_trace import (
    run_dates,
    runs_scored_alike,
    scored_fingerprint,
    selection_sentence,
)
from ssl_studio.core.export.clinical_claims import claimed_use, clinical_claims
from ssl_studio.core.export.training_lengths import length_range
from ssl_studio.core.export.training_match import image_training
from ssl_studio.core.export.writer import FORMATS, check_export_place, export_classifier
from ssl_studio.core.finetune.efficiency import recorded_curves
from ssl_studio.core.finetune.evaluation_file import read_evaluation
from ssl_studio.core.finetune.saved import MODEL_FILE, load_model, with_paired
from ssl_studio.core.finetune.setup import labeled_data
from ssl_studio.core.finetune.split_changes import held_out_changes
from ssl_studio.core.project.label_changes import changed_advice, labels_changed
from ssl_studio.core.project.layout import within
from ssl_studio.core.project.split_file import SavedSplit, split_or_none
from ssl_studio.core.project.store import Store

PARITY_ITEMS = 8


def export_run(
    project: Path,
    run_id: int,
    out: Path,
    formats: tuple[str, ...] = FORMATS,
    report: Reporter = ignore,
    stop: StopToken | None = None,
    details: CardDetails | None = None,
) -> dict[str, Any]:
    """Export fine-tuning run ``run_id`` to the folder ``out``; returns the model card
    (raises events.Stopped when ``stop`` is set before the folder is complete). A used
    ``out`` or an unknown format is refused before anything is announced or read. The
    card holds ``details`` when given (and the project keeps them once the export is
    written), else the details the project keeps; either is refused when it holds the
    patient ID of a patient of the project (card_identifiers.py)."""
    check_export_place(Path(out), formats)
    with Store.open(project, write=True, purpose="ssl-studio export") as store:
        _refuse_project_internals(store, Path(out))
        run = store.run_of_kind(run_id, "finetune", "export")
        if run["status"] != "done":
            raise ConfigError(f"Fine-tuning run {run_id} is {run['status']}, not done.")
        run_dir = store.paths.root / run["folder"]
        classifier, state = load_model(run_dir / MODEL_FILE)
        split = split_or_none(run_dir)  # (None: the card leaves out what it tells)
        items = store.items(run["dataset_id"])
        train_ids = set(split.train) if split else set()
        trained = [i for i in items if i["id"] in train_ids]
        if state["spec"]["modality"] == "timeseries":  # predict reads CSVs as the import did
            reading = _series_reading(store, run, trained, state["spec"]["in_channels"])
        else:  # predict notes images unlike these (colour, size)
            reading = {"training_images": image_training(trained)}
        state = {**state, "spec": {**state["spec"], **reading}}
        recorded = (state.get("test") or {}).get("threshold_choice")
        if state.get("threshold") is not None and not recorded:  # (runs made before it)
            state = {**state, "threshold_choice": _threshold_choice(state, split)}
        source = store.run(state["parent_run_id"]) or {}
        facts = _data_facts(store, run, state, source, split, items)
        if split is not None:  # (several runs scored on these items: card_trace.py)
            facts["split"]["scored_alike"] = runs_scored_alike(store, run, split)
            if said := selection_sentence(facts["split"]["scored_alike"]):
                report(Message("export", said, level="warning"))
        if said := labels_changed(store, run):  # (the card says it too: card_markdown)
            facts["labels_changed"] = said
            report(Message("export", changed_advice(said), level="warning"))
        state = {**state, "data": {**facts, **held_out_changes(run_id, split, items)}}
        state = {**state, "label_efficiency": recorded_curves(store, run, state)}
        scratch = (state.get("info") or {}).get("protocol") == "scratch"
        dates = run_dates(run, source, scratch)
        state = {**state, "project_id": store.project_id, "dates": dates, "ran_on": ran_on(run)}
        given = details if details is not None else stored_details(store.card_details())
        # (kept ones too: saved before this check existed, or patients imported since;
        # kept ones checked when saved, against the same patients, are not derived again)
        checked = refuse_patient_ids(store, given, kept=details is None)
        state = {**state, "card_details": given.to_dict()}
        if claims := clinical_claims(given.intended_use):
            report(Message("export", claimed_use(claims), level="warning"))
        baseline = _baseline(store, run)
        if state.get("test"):  # (the paired comparison, added once the baseline was scored)
            state = {**state, "test": with_paired(state["test"], run_dir)}
        real = _real_inputs(store, state, split)
        report(Message("export", f"Exporting run {run_id} to {out} ({', '.join(formats)})."))
        try:
            card = export_classifier(
                classifier,
                state,
                Path(out),
                formats=formats,
                real_inputs=real,
                baseline=baseline,
                source=source,
                report=report,
                stop=stop,
            )
        except OSError as exc:  # the half-written folder is already gone (see writer.py)
            full = exc.errno == errno.ENOSPC
            raise ConfigError(
                f"The export to {out} stopped: "
                + (
                    "the disk is full. Free some space"
                    if full
                    else f"{exc.strerror or exc}. Fix it"
                )
                + " and export again; nothing was written and the project is unchanged."
            ) from exc
        store.add_export(run_id, str(Path(out).resolve()), list(formats), card)
        if details is not None:
            store.set_card_details(details.to_dict(), checked)
    return card


def _refuse_project_internals(store: Store, out: Path) -> None:
    """Refuse an export into the project's runs/ or cache/ (removing a run or a dataset,
    or importing again, deletes and rewrites what is there)."""
    for folder in (store.paths.runs, store.paths.cache):
        if within(out, folder):
            raise ConfigError(
                f"{out} is inside the project's {folder.name}/ folder, which SSL Studio "
                "deletes and rewrites; choose another folder, such as one in "
                f"{store.paths.exports}."
            )


def _series_reading(
    store: Store, run: dict[str, Any], items: list[dict[str, Any]], channels: int
) -> dict[str, Any]:
    """How predict must read series files to see what training saw: the import's CSV
    layout, the layout most files were read with (preferred where auto cannot tell: it
    decides file by file, and a short recording would be read sideways), the channels'
    names, when the run's training items all had the same ones, one per channel, and the
    whole header row of the training files when it also names other columns (a time,
    label or id column), all the same: a file without a header row is read as they were;
    the largest share of missing values of a training recording (most_missing); and the
    shortest, median and longest training recording in steps (training_lengths)."""
    layout = store.import_options(run["dataset_id"]).get("csv_layout") or "auto"
    prefer = store.preferred_layout(run["dataset_id"])
    metas = [json.loads(i["meta"] or "{}") for i in items]
    sets = {tuple(named(meta.get("channel_names")) or ()) for meta in metas}
    names = list(sets.pop()) if len(sets) == 1 else None
    if names is not None and len(names) != channels:
        names = None
    headers = {tuple(meta.get("columns") or ()) for meta in metas}
    header = list(headers.pop()) if len(headers) == 1 and names is not None else []
    if len(header) <= channels or not all(isinstance(n, str) and n for n in header):
        header = []  # no other column: a headerless file is read by position as it is
    rate = common_rate([i["sampling_rate"] for i in items])
    return {
        "csv_layout": layout,
        "csv_prefer": prefer,
        "channel_names": names,
        "csv_header": header or None,
        "sampling_rate": float(rate) if rate else None,
        # predict reads a series with fewer channels (by position) only if training did
        "fewest_channels": min((int(i["channels"]) for i in items), default=channels),
        # predict's notes compare a file's missing share with the training recordings'
        "most_missing": _most_missing(store, run["dataset_id"], items),
        # predict notes a series far shorter or longer than these (training_lengths.py)
        "training_lengths": length_range([int(i.get("length") or 0) for i in items]),
    }


def _most_missing(store: Store, dataset_id: int, items: list[dict[str, Any]]) -> float | None:
    """The largest share (rounded to 0.1 %) of a training recording's values missing,
    counted as predict counts a file's (input_checks.series_checks): in the channels that
    hold a value (one without any is left out; its mask is read only where a channel can
    be wholly empty: at least ``length`` values missing); None without items."""
    reader: CacheReader | None = None
    most = None
    for item in items:
        channels, length = int(item.get("channels") or 0), int(item.get("length") or 0)
        missing = int(item.get("n_missing") or 0)
        if channels and length and missing >= length:
            reader = reader or CacheReader(store.paths.dataset_cache(dataset_id))
            empty = channels - int(reader.observed_channels(item).sum())
            channels, missing = channels - empty, missing - empty * length
        share = round(missing / (channels * length), 3) if channels and length else 0.0
        most = share if most is None else max(most, share)
    return most


def _threshold_choice(state: dict[str, Any], split: SavedSplit | None) -> dict[str, Any]:
    """How the run chose its threshold: the method and the number of validation items."""
    val_items = len(split.val) if split else None
    return {"method": (state.get("config") or {}).get("threshold"), "val_items": val_items}


def _data_facts(
    store: Store,
    run: dict[str, Any],
    state: dict[str, Any],
    source: dict[str, Any],
    split: SavedSplit | None,
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """For the card's data section: the datasets by name, and, when the encoder was
    pretrained on the dataset the test items come from, how many of them it saw (without
    labels). ``items``: that dataset's items now; exact while it holds what it held then
    (its fingerprint matches).
    Another dataset could hold copies of the same files: not checked, and not said."""
    names = {d["id"]: d["name"] for d in store.datasets()}
    facts: dict[str, Any] = {
        "dataset": names.get(run.get("dataset_id"), state.get("dataset")),
        "pretraining_dataset": names.get(source.get("dataset_id")),
    }
    if split is None:
        return facts
    folds = split.folds or []
    # cross-validation scores every labeled item out-of-fold; its "test" part is empty
    test = split.ids("folds" if folds else "test") or []
    facts["split"] = {
        "folds": len(folds),
        "scored_items": len(test),
        # what they were: the card states its digests as sha256_128 (card.py)
        "test_fingerprint": card_fingerprint(scored_fingerprint(split, items)),
    }
    same = source.get("dataset_id") == run.get("dataset_id") in names
    if source.get("kind") != "pretrain" or not same:
        return facts
    held = {i["id"] for i in items}
    then = source.get("fingerprint") or {}
    facts["test_items_in_pretraining"] = {
        "test_items": len(test),
        "in_pretraining": sum(1 for i in test if i in held),
        "pretraining_items": then.get("items"),
        "exact": same_data(then, items) is True,
    }
    return facts


def _baseline(store: Store, run: dict[str, Any]) -> dict[str, Any] | None:
    summary = run.get("summary") or {}
    base_id = (summary.get("baseline") or {}).get("run_id")
    if base_id is None:
        return None
    base = store.run(base_id)
    if not base:
        return None
    return read_evaluation(
        store.paths.root / base["folder"],
        what=f"the test figures of baseline run {base_id} stored there",
        otherwise="delete it to export without the baseline's figures (fine-tune again with "
        "a baseline to measure them anew)",
    )


def _real_inputs(
    store: Store, state: dict[str, Any], split: SavedSplit | None
) -> tuple[np.ndarray, ...] | None:
    """A few held-out items as model inputs (for the parity check; kept in memory)."""
    if split is None:
        return None
    try:
        spec = state["spec"]
        data = labeled_data(
            store, state["dataset"], state["label_set"], spec, state["series_length"], None
        )
        test_ids = split.test[:PARITY_ITEMS]
        where = {int(i): p for p, i in enumerate(data.ids)}
        positions = np.array([where[i] for i in test_ids if i in where], np.int64)
        if len(positions) == 0:
            return None
        _, x, observed = next(data.inputs(positions, chunk=PARITY_ITEMS))
    except (SSLStudioError, OSError, KeyError):
        return None  # labels changed since: the golden batch still checks parity
    if observed is None:
        return (x.numpy(),)
    return x.numpy(), observed.numpy().astype(np.float32)
