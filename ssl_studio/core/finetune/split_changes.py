"""Whether a fine-tuning run's held-out items are still what it was tested on.

The run records in split.json the content hashes (data/content_hash.py) of its test and
validation items, beside their ids: ``"content": {"test": [...], "val": [...]}``, one hash
(or None) per id, in the same order. Evaluating it again, or exporting it, compares them
with the items now: a file changed on disk and imported again gives its item another
hash; a file removed takes its item away. Runs from before record no hashes: nothing is
compared (they behave as they did)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PARTS = ("test", "val")
_WORDS = {"test": "test", "val": "validation"}


def recorded_hashes(split: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> dict:
    """What split.json records beside the item ids: ``{"content": {part: [hash, ...]}}``
    for the parts of ``split`` (item ids) among PARTS; ``items``: the items the ids name
    (at least)."""
    hashes = {int(i["id"]): i.get("content_hash") for i in items}
    content = {part: [hashes.get(int(i)) for i in split[part]] for part in PARTS if part in split}
    return {"content": content} if content else {}


def changes(saved: Mapping[str, Any], items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per part of a saved split that recorded hashes: ``{"items": n, "changed": k,
    "gone": m}`` (k: items whose data differs now, m: items no longer usable); ``items``:
    the usable items now. Empty when the split recorded none (older runs)."""
    recorded = saved.get("content") or {}
    now = {int(i["id"]): i.get("content_hash") for i in items}
    found: dict[str, Any] = {}
    for part in PARTS:
        ids, hashes = saved.get(part), recorded.get(part)
        if ids is None or hashes is None or len(ids) != len(hashes):
            continue
        gone = sum(1 for i in ids if int(i) not in now)
        changed = sum(
            1
            for i, then in zip(ids, hashes, strict=True)
            if then and int(i) in now and now[int(i)] != then
        )
        found[part] = {"items": len(ids), "changed": changed, "gone": gone}
    return found


def changed(found: Mapping[str, Any]) -> bool:
    """Whether ``changes`` found any held-out item changed or gone."""
    return any(p["changed"] or p["gone"] for p in found.values())


def changed_sentence(found: Mapping[str, Any], run_id: int, figures: str) -> str | None:
    """'3 of 80 test items changed and 2 are gone since run 4 was tested: FIGURES' (None
    when nothing changed); figures: what that means for the figures shown."""
    parts = []
    for part in PARTS:
        counts = found.get(part)
        if not counts or not (counts["changed"] or counts["gone"]):
            continue
        parts.append(
            f"{counts['changed']} of {counts['items']} {_WORDS[part]} items changed and "
            f"{counts['gone']} {'is' if counts['gone'] == 1 else 'are'} gone"
        )
    if not parts:
        return None
    return f"{'; '.join(parts)} since run {run_id} was tested: {figures}"


def held_out_changes(
    run_id: int, saved: Mapping[str, Any], items: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """For a model card's data facts: ``{"test_items_changed": {part counts, "note"}}``
    when held-out items of the run changed or went since it was tested, else {}."""
    found = changes(saved, items)
    if not changed(found):
        return {}
    figures = (
        "the figures on this card are those measured then, on the items as they were "
        "(ssl-studio evaluate scores the items as they are now, and says so)."
    )
    return {"test_items_changed": {**found, "note": changed_sentence(found, run_id, figures)}}
