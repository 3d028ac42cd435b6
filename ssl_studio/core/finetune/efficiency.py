"""The label-efficiency job: how test performance grows with labels per class, for the
chosen protocol and the from-scratch baseline, over several seeds.

One test split (from ``cfg.seed``) is held out for every point, so the points are
comparable; at each k, each seed draws its own k training labels per class from the
rest (splits.k_per_class: nested across k, one item per patient first where patients
are named) and also sets the fits' weight initialisation, batch order, augmentations
and probe cross-validation folds: the std over the seeds, of their point estimates,
spreads by all of these. The seed also sets the bootstrap resamples of each seed's
interval, which change no point estimate. The curve is stored as a run (kind
``label-efficiency``) with ``runs/<id>/label_efficiency.json``.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from ssl_studio.core.atomic_files import write_json_atomically
from ssl_studio.core.config_fields import to_dict
from ssl_studio.core.engine.checkpoint import versions
from ssl_studio.core.engine.device import describe, pick_device
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.evaluation.metrics import classification_report, metric_title
from ssl_studio.core.evaluation.patient_groups import ITEM_SPLIT_CAVEAT, add_caveat
from ssl_studio.core.evaluation.report_text import mean_std_text
from ssl_studio.core.evaluation.splits import k_per_class, split_labeled
from ssl_studio.core.events import Message, Progress, Reporter, StopToken
from ssl_studio.core.finetune.data import LabeledData, predict_proba
from ssl_studio.core.finetune.protocols import fit_protocol
from ssl_studio.core.finetune.setup import prepare, recommended_protocol
from ssl_studio.core.finetune_config import LABEL_EFFICIENCY_KS, FinetuneConfig
from ssl_studio.core.pretrain_setup import rebuild_task
from ssl_studio.core.project.deleting import delete_leftover_scratch
from ssl_studio.core.project.scratch import scratch_folder
from ssl_studio.core.project.split_file import read_split
from ssl_studio.core.project.store import Store

JOB = "label-efficiency"
CURVE_METRICS = ("accuracy", "balanced_accuracy", "roc_auc")
CURVE_BOOT = 200
CURVE_FILE = "label_efficiency.json"  # in the run's folder


def _point(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and std over seeds of each metric, with every seed's value and 95 % interval."""
    out: dict[str, Any] = {}
    for name in CURVE_METRICS:
        values = [r[name]["value"] for r in reports if r[name]["value"] is not None]
        out[name] = {
            "mean": statistics.fmean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else 0.0 if values else None,
            "seeds": [r[name] for r in reports],
        }
    return out


def label_efficiency(
    cfg: FinetuneConfig,
    *,
    ks: tuple[int | None, ...] = LABEL_EFFICIENCY_KS,
    seeds: tuple[int, ...] = (0, 1, 2),
    report: Reporter,
    stop: StopToken,
) -> dict[str, Any]:
    """Run the protocol and the scratch baseline at each k (labels per class) x seed."""
    cfg.validate()
    if not ks or any(k is not None and k < 1 for k in ks):
        raise ConfigError("Labels per class must be whole numbers from 1 (or all).")
    if not seeds:
        raise ConfigError("A label-efficiency curve needs at least one seed.")
    assert cfg.run is not None
    with Store.open(cfg.project, write=True, purpose="ssl-studio label-efficiency") as store:
        cfg, _, state, spec, data, found = prepare(store, cfg)
        split = split_labeled(
            data.y,
            data.groups,
            test_fraction=cfg.test_fraction,
            seed=cfg.seed,
            names=data.classes,
        )
        split.note = data.with_copies_noted(split.note)
        have = np.bincount(data.y[split.train], minlength=len(data.classes))  # per class
        if split.note:
            report(Message(JOB, split.note))
        available = int(have.min())
        ks = _distinct(ks, have)
        device = pick_device(cfg.train.device)
        encoder = rebuild_task(state).trained_encoder
        store.mark_interrupted_runs()
        delete_leftover_scratch(store)  # (what cannot be deleted yet waits for later)
        protocol = cfg.protocol
        run_id = store.create_run(
            found["id"],
            "label-efficiency",
            {
                "task": protocol,
                "backbone": spec["backbone"],
                "config": {**to_dict(cfg), "ks": list(ks), "seeds": list(seeds)},
                "device": describe(device),
                "world_size": 1,
                "versions": versions(),
                "parent_run_id": cfg.run,
            },
        )
        run_dir = store.paths.run_folder(run_id)  # made new by create_run
        curve: list[dict[str, Any]] = []
        points = [(k, s) for k in ks for s in seeds]
        status = "done"
        try:
            with scratch_folder(run_dir) as scratch_dir:  # (kept if a file is held: scratch.py)
                for k in ks:
                    chosen = (
                        protocol if protocol != "auto" else recommended_protocol(k or available)
                    )
                    reports: dict[str, list[dict[str, Any]]] = {chosen: [], "scratch": []}
                    for seed in seeds:
                        train = k_per_class(split.train, data.y, k, seed=seed, groups=data.groups)
                        run_cfg = dataclasses.replace(cfg, seed=seed)
                        for name, scores in reports.items():
                            scored = None if stop.stopped else _fit_and_score(
                                name, encoder, spec, data, train, split.test, run_cfg,
                                device=device, run_dir=scratch_dir, stop=stop,
                            )  # fmt: skip
                            if scored is None:
                                break
                            scores.append(scored)
                        if stop.stopped:
                            break
                        done = len(curve) * len(seeds) + len(reports["scratch"])
                        report(Progress(JOB, done=done, total=len(points), phase=f"k={k or 'all'}"))
                    if any(len(scores) < len(seeds) for scores in reports.values()):
                        status = "stopped"  # a point with a model stopped early is not kept
                        break
                    point = {
                        "k": k,
                        "labels_per_class": _per_class_figure(k, have),
                        # every training label (k = 25 when no class has more is "all")
                        "every_label": bool(k is None or (have <= k).all()),
                        "per_class": {
                            c: int(min(k, n) if k else n)
                            for c, n in zip(data.classes, have, strict=True)
                        },
                        "protocol": chosen,
                        chosen: _point(reports[chosen]),
                        "scratch": _point(reports["scratch"]),
                    }
                    curve.append(point)
                    report(Message(JOB, _line(point, chosen, data.classes)))
        except BaseException as exc:
            store.fail_run(run_id, exc)
            raise
        result = {
            "run_id": run_id,
            "status": status,
            "classes": data.classes,
            "test_items": int(len(split.test)),
            # (so a card can say whether they are its model's test items: item ids only)
            "test_ids": sorted(int(i) for i in data.ids[split.test]),
            "seeds": list(seeds),
            # (the card lists the curve only for a model of the same label version)
            "label_version": cfg.label_version,  # (prepare's: the newest unless told)
            **({"note": note} if (note := _note(cfg, split.note)) else {}),
            "curve": curve,
        }
        write_json_atomically(run_dir / CURVE_FILE, result)
        chosen_protocols = list(dict.fromkeys(p["protocol"] for p in curve))  # in k order
        summary = {k: v for k, v in result.items() if k != "curve"}
        store.finish_run(run_id, status, {**summary, "protocols": chosen_protocols})
    return result


def _fit_and_score(
    protocol: str,
    encoder: Any,
    spec: dict[str, Any],
    data: LabeledData,
    train: np.ndarray,
    test: np.ndarray,
    cfg: FinetuneConfig,
    *,
    device: Any,
    run_dir: Path,
    stop: StopToken,
) -> dict[str, Any] | None:
    """One protocol trained on ``train`` and scored on ``test``; None when it was stopped
    (a model stopped early is not what the curve measures)."""
    fitted = fit_protocol(
        protocol,
        encoder,
        spec,
        data,
        train,
        cfg,
        device=device,
        run_dir=run_dir,
        stop=stop,
        job=JOB,
    )
    if fitted.info.get("status", "done") != "done" or fitted.classifier is None:
        return None
    proba = predict_proba(fitted.classifier.to(device), data, test, device)
    report = classification_report(
        data.y[test],
        proba,
        data.classes,
        n_boot=CURVE_BOOT,
        seed=cfg.seed,
        groups=data.groups[test],
    )
    return report if cfg.group_by_patient else add_caveat(report)


def _note(cfg: FinetuneConfig, split_note: str | None) -> str | None:
    """What the curve's reader must know of its test split (by item; its share)."""
    caveat = None if cfg.group_by_patient else ITEM_SPLIT_CAVEAT
    return " ".join(filter(None, (caveat, split_note))) or None


def _distinct(ks: tuple[int | None, ...], have: np.ndarray) -> tuple[int | None, ...]:
    """The ks that train on different labels: k = 25 and "all" are the same point when no
    class has more than 16 training labels (the first of equal ones is kept)."""
    seen, out = set(), []
    for k in ks:
        counts = tuple(int(min(k, n)) if k else int(n) for n in have)
        if counts not in seen:
            seen.add(counts)
            out.append(k)
    return tuple(out)


def _per_class_figure(k: int | None, have: np.ndarray) -> int | float:
    """The point's x (on the chart): k while every class has k training labels, else
    the mean labels per class it really trained on, to one decimal (k = 100 with 184 and
    24 available: 62, not 24; 1, 3, 3 and 3 labels: 2.5, not a "2" no class had). Tables
    name the point by ``labels_text``, the classes' own counts."""
    counts = np.minimum(have, k) if k else have
    if k and (have >= k).all():
        return int(k)
    mean = round(float(counts.mean()), 1)
    return int(mean) if mean.is_integer() else mean


def labels_text(point: dict[str, Any]) -> str:
    """A curve point's labels per class as every table writes it (the command line, the
    wizard, the card): "5" when every class trained on 5; "1 to 3" (the fewest and the
    most of any class) when the classes had different numbers, so no table shows a mean
    no class trained on. A point stored without its per-class counts: its figure."""
    counts = list((point.get("per_class") or {}).values())
    if not counts:
        return f"{point['labels_per_class']}"
    low, high = min(counts), max(counts)
    return f"{low}" if low == high else f"{low} to {high}"


def curve_measure(curve: list[dict[str, Any]], classes: list[str] | None) -> tuple[str, str]:
    """(key, title) of the one measure a curve is read in: the ROC AUC where every point
    of every model has it, else the balanced accuracy (plain accuracy flatters a model
    that always calls the common class); titled as the reports title it (macro,
    one-vs-rest, for more than two classes; without ``classes``, as for two)."""
    models = [p[n] for p in curve for n in dict.fromkeys((p["protocol"], "scratch")) if n in p]
    key = (
        "roc_auc" if all(m["roc_auc"]["mean"] is not None for m in models) else "balanced_accuracy"
    )
    return key, metric_title(key, classes or 2)


def _line(point: dict[str, Any], protocol: str, classes: list[str]) -> str:
    key, metric = curve_measure([point], classes)

    counts = point["per_class"]
    uneven = len(set(counts.values())) > 1
    each = f" ({', '.join(f'{c} {n}' for c, n in counts.items())})" if uneven else ""
    return (
        f"{labels_text(point)} labels per class{each}: {protocol} {metric} "
        f"{mean_std_text(point[protocol][key])}, scratch {mean_std_text(point['scratch'][key])}"
    )


def recorded_curves(
    store: Store, run: dict[str, Any], state: dict[str, Any]
) -> list[dict[str, Any]]:
    """The curves of the project for fine-tuning run ``run``'s pretraining run, dataset,
    label set and label version (``state``: its saved model's; where the curve or the
    model did not record its label version, the curve is listed and its note says so),
    oldest first: {"run_id",
    "status", "measure", "seeds", "test_items", "on_model_test"? (whether the curve's test
    items are the model's own; absent where either side did not record them), "note"?,
    "points": [{"labels_per_class",
    "labels" (``labels_text``), "protocol", "pretrained": {"mean", "std"}, "scratch":
    {"mean", "std"}}]}. A curve
    file this version cannot read (a key missing) is {"run_id", "status": "unreadable",
    "note", "points": []}."""
    found: list[dict[str, Any]] = []
    model_test = _test_ids(store, run)
    for other in store.runs(run.get("dataset_id")):
        config = other.get("config") or {}
        if (
            other["kind"] != "label-efficiency"
            or other.get("parent_run_id") != state.get("parent_run_id")
            or config.get("labels") != state.get("label_set")
            or other.get("status") not in ("done", "stopped")
        ):
            continue
        try:
            path = store.paths.root / other["folder"] / CURVE_FILE
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, RecursionError):  # (damaged: not reused)
            continue
        if not isinstance(result, dict) or not result.get("curve"):
            continue
        version = result.get("label_version", _UNRECORDED)
        model_version = state.get("label_version", _UNRECORDED)
        unknown = version is _UNRECORDED or model_version is _UNRECORDED
        if not unknown and version != model_version:
            continue  # measured on other labels (the label set was edited since)
        try:
            listed = _listed(other, result)
        except (KeyError, AttributeError, TypeError, IndexError):
            said = f"its {CURVE_FILE} lacks what this version of SSL Studio reads: left out."
            found.append({"run_id": other["id"], "status": "unreadable", "note": said})
            continue
        curve_test = result.get("test_ids")
        if isinstance(curve_test, list) and model_test is not None:
            listed["on_model_test"] = sorted(curve_test) == model_test
        if unknown:  # (either side from before versions were recorded: said, not hidden)
            said = "Label version not recorded (measured before SSL Studio recorded it)."
            listed["note"] = " ".join(filter(None, (listed.get("note"), said)))
        found.append(listed)
    return found


_UNRECORDED = object()


def _test_ids(store: Store, run: dict[str, Any]) -> list[int] | None:
    """The sorted item ids of fine-tuning run ``run``'s test share (split.json); [] for a
    cross-validated run (scored out of fold on every item, no test share of its own);
    None where its split cannot be read."""
    try:
        saved = read_split(store.paths.root / run["folder"])
    except (ConfigError, KeyError, TypeError):
        return None
    return [] if saved.folds is not None else sorted(saved.test)


def _listed(run: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """A curve file's entry of ``recorded_curves`` (KeyError, AttributeError, ...: the
    file lacks what it reads)."""
    curve = result["curve"]
    key, measure = curve_measure(curve, result.get("classes"))
    return {
        "run_id": run["id"],
        "status": result.get("status", run["status"]),
        "measure": measure,
        "seeds": len(result.get("seeds") or []),
        "test_items": result.get("test_items"),
        **({"note": result["note"]} if result.get("note") else {}),
        "points": [
            {
                "labels_per_class": p["labels_per_class"],
                "labels": labels_text(p),
                "protocol": p["protocol"],
                "pretrained": p[p["protocol"]][key],
                "scratch": p["scratch"][key],
            }
            for p in curve
        ],
    }
