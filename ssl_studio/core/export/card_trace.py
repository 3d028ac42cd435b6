"""What ties an exported model to where it came from: the project's random id, the dates of
its runs and of the export, a fingerprint of the items its test figures were measured on,
and how many fine-tuning runs of the project were scored on those same items (choosing
among them by their test figures makes those figures optimistic). Never the label
values' fingerprints: with the images they give the labels away
(finetune/label_fingerprints.py; the project keeps them).

Read by export/job.py (the facts), card.py (the card's fields) and card_markdown.py (the
"Traceability" section and the note above the test figures)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ssl_studio.core.data_fingerprint import fingerprint
from ssl_studio.core.export.card_about import markdown_text
from ssl_studio.core.project.split_file import SavedSplit, split_or_none
from ssl_studio.core.project.store import Store


def scored_part(split: SavedSplit) -> str:
    """The part of a split its test figures were measured on: "folds" (cross-validation
    scores every labeled item out of fold) or "test"."""
    return "folds" if split.folds else "test"


def scored_ids(split: SavedSplit) -> frozenset[int]:
    """The ids of the items a run's test figures were measured on."""
    return frozenset(split.ids(scored_part(split)) or [])


def scored_fingerprint(
    split: SavedSplit, items: Iterable[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The data fingerprint (data_fingerprint.py) of the items a run was scored on: over
    the content hashes its split.json recorded for them (what was scored), else over
    those of the items now; None when no scored item is left to take it of. ``items``:
    the dataset's usable items now."""
    part = scored_part(split)
    ids = split.ids(part) or []
    recorded = split.content.get(part)
    now = {int(i["id"]): dict(i) for i in items}
    if recorded and len(recorded) == len(ids) and all(recorded):
        rows = [
            {**now.get(i, {"modality": None}), "id": i, "content_hash": h}
            for i, h in zip(ids, recorded, strict=True)
        ]
    else:  # (a run from before hashes were recorded: its items as they are now)
        rows = [now[i] for i in ids if i in now]
    if not rows:
        return None
    found = fingerprint(rows)
    found.pop("order_sha256", None)  # (the order of a split's list says nothing)
    if len(rows) < FEWEST_FINGERPRINTED:  # (a digest of a few could be matched by guess)
        found.pop("sha256", None)
    return found


# fewer scored items than this get no digest: whoever holds a candidate image could compute
# the digest of a test set of one (or a few, with some of them) and so learn it was tested
FEWEST_FINGERPRINTED = 20


def runs_scored_alike(store: Store, run: Mapping[str, Any], split: SavedSplit) -> dict[str, Any]:
    """The finished fine-tuning runs of the project scored on the items ``run`` was
    scored on (its dataset; the same item ids, or some of them, or them and more: a
    ``--split-from`` run whose test items lost their labels scores fewer; drawing the same
    split again gives the same), this run among them: ``{"runs": n, "run_ids": [...]}``.
    The from-scratch baselines fine-tuning made beside other runs are left out (they are
    the comparison, each named on its run's card), unless it is ``run``."""
    mine = scored_ids(split)
    runs = [
        r
        for r in store.runs(run["dataset_id"])
        if r["kind"] == "finetune" and r["status"] == "done"
    ]
    baselines = {((r.get("summary") or {}).get("baseline") or {}).get("run_id") for r in runs}
    alike = []
    for other in runs:
        if other["id"] != run["id"] and other["id"] in baselines:
            continue
        if other["id"] == run["id"]:
            alike.append(other["id"])
            continue
        saved = split_or_none(store.paths.root / other["folder"])
        theirs = scored_ids(saved) if saved is not None else frozenset()
        if mine and theirs and (theirs <= mine or mine <= theirs):
            alike.append(other["id"])
    return {"runs": len(alike), "run_ids": sorted(alike)}


def selection_sentence(alike: Mapping[str, Any] | None) -> str | None:
    """The warning when more than one model was scored on the card's test items."""
    n = (alike or {}).get("runs") or 0
    if n <= 1:
        return None
    ids = alike.get("run_ids") or []
    named = f" (runs {', '.join(map(str, ids))})" if ids else ""
    return (
        f"{n} models of this project were scored on this test split{named}: choosing "
        "among them by their test figures would make those figures optimistic (the test "
        "labels then took part in a choice). Only figures on data none of them was chosen "
        "by say how the chosen one performs."
    )


def run_dates(
    run: Mapping[str, Any], source: Mapping[str, Any], scratch: bool = False
) -> dict[str, Any]:
    """When the fine-tuning run and its pretraining run started and finished (UTC, as
    the project recorded them; None where not recorded). ``scratch``: a from-scratch
    model, which learned nothing from the run it took its shape from (no pretraining)."""
    dates = {"fine_tuning_run": _dates(run)}
    if source.get("kind") == "pretrain" and not scratch:
        dates["pretraining_run"] = _dates(source)
    return dates


def _dates(run: Mapping[str, Any]) -> dict[str, Any]:
    return {"started": run.get("started"), "finished": run.get("finished")}


def trace_markdown(card: Mapping[str, Any]) -> list[str]:
    """MODEL_CARD.md's "Traceability" section (cards before it: the export date only)."""
    dates = card.get("dates") or {}
    lines = ["## Traceability", "", f"- Exported: {_when(card.get('created'))} (UTC)."]
    runs = (("fine_tuning_run", "Fine-tuning run"), ("pretraining_run", "Pretraining run"))
    for key, what in runs:
        if key in dates:
            span = dates[key] or {}
            lines.append(
                f"- {what}: started {_when(span.get('started'))}, finished "
                f"{_when(span.get('finished'))} (UTC)."
            )
    if card.get("project_id"):
        lines.append(
            f"- Project id: `{card['project_id']}` (random, made with the project: run "
            "numbers are counted per project)."
        )
    lines += _code_lines(card)
    split = (card.get("data") or {}).get("split") or {}
    found = split.get("test_fingerprint")
    if found and not found.get("sha256_128"):
        lines.append(
            f"- Test items: {found.get('items')} scored items (no fingerprint for fewer than "
            f"{FEWEST_FINGERPRINTED}: it would let whoever holds an image tell whether it "
            "was among them)."
        )
    elif found:
        lines.append(
            f"- Test items: {found.get('items')} scored items, fingerprint "
            f"`{found.get('sha256_128')}` (SHA-256 over their sorted content hashes, "
            "first 128 bits; "
            + ("content" if found.get("content") else "item ids of this project: older import")
            + "): data holding exactly these items (imported into SSL Studio) has the same "
            "fingerprint."
        )
    return [*lines, ""]


def _code_lines(card: Mapping[str, Any]) -> list[str]:
    """Which code trained and exported the model (code_identity.py), where recorded."""
    trained, exported = card.get("versions") or {}, card.get("exported_with") or {}
    code, export_code = trained.get("ssl_studio_code"), exported.get("ssl_studio_code")
    if not code and not export_code:
        return []
    if not code and trained.get("ssl_studio"):
        code = f"not recorded (the run predates it; version {trained['ssl_studio']})"
    lines = [f"- Trained with SSL Studio code: {markdown_text(str(code))}."] if code else []
    if export_code:
        lines.append(f"- Exported with SSL Studio code: {markdown_text(str(export_code))}.")
    return lines


def _when(stamp: Any) -> str:
    """'2026-11-30 05:39:31' from an ISO time stamp in UTC ('not recorded' for none)."""
    if not stamp:
        return "not recorded"
    text = str(stamp).replace("T", " ")
    return text.removesuffix("+00:00")
