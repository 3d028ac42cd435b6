"""Whether a fine-tuning run's held-out items are still what it was tested on.

The run records in split.json the content hashes (data/content_hash.py) of its test and
validation items, beside their ids, and for a cross-validated run those of the items
scored out of fold (every fold's test items, fold after fold):
``"content": {"test": [...], "val": [...], "folds": [...]}``, one hash (or None) per id,
in the same order. Evaluating it again, or exporting it, compares them with the items
now: a file changed on disk and imported again gives its item another hash; a file
removed takes its item away. An item recorded without a hash (imported before hashes
were recorded) cannot be checked: the report and the card say how many. Runs from before
record no hashes at all: their items gone are counted from the ids, and every other item
is one that cannot be checked (an evaluate that scored fewer items than the run was
tested on said nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ssl_studio.core.project.split_file import SavedSplit

PARTS = ("test", "val", "folds")
_WORDS = {"test": "test", "val": "validation", "folds": "cross-validated"}


def recorded_hashes(split: SavedSplit, items: Iterable[Mapping[str, Any]]) -> dict:
    """What split.json records beside the item ids: ``{"content": {part: [hash, ...]}}``
    for the parts of ``split`` among PARTS; ``items``: the items the ids name (at
    least)."""
    hashes = {int(i["id"]): i.get("content_hash") for i in items}
    content = {
        part: [hashes.get(i) for i in ids] for part in PARTS if (ids := split.ids(part)) is not None
    }
    return {"content": content} if content else {}


def changes(saved: SavedSplit | None, items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Per part of a saved split: ``{"items": n, "changed": k, "gone": m, "unchecked":
    u}`` (k: items whose data differs now, m: items no longer usable, u: usable items
    recorded without a hash, which cannot be checked: all of them for a run from before
    hashes were recorded); ``items``: the usable items now. Empty when there is no split
    to read (None)."""
    if saved is None:
        return {}
    recorded = saved.content
    now = {int(i["id"]): i.get("content_hash") for i in items}
    found: dict[str, Any] = {}
    for part in PARTS:
        ids, hashes = saved.ids(part), recorded.get(part)
        if ids is None:
            continue
        if hashes is None or len(ids) != len(hashes):  # (recorded no hashes)
            hashes = [None] * len(ids)
        gone = sum(1 for i in ids if i not in now)
        pairs = [(then, now[i]) for i, then in zip(ids, hashes, strict=True) if i in now]
        changed = sum(1 for then, hash_now in pairs if then and hash_now != then)
        unchecked = sum(1 for then, _ in pairs if not then)
        found[part] = {"items": len(ids), "changed": changed, "gone": gone}
        if unchecked:
            found[part]["unchecked"] = unchecked
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
        changed, gone, of = counts["changed"], counts["gone"], f"of {counts['items']}"
        are = "is" if gone == 1 else "are"
        if not gone:  # ("2 of 8 test items changed and 0 are gone" said nothing of use)
            parts.append(f"{changed} {of} {_WORDS[part]} items changed")
        elif not changed:
            parts.append(f"{gone} {of} {_WORDS[part]} items {are} gone")
        else:
            parts.append(f"{changed} {of} {_WORDS[part]} items changed and {gone} {are} gone")
    if not parts:
        return None
    return f"{'; '.join(parts)} since run {run_id} was tested: {figures}"


def unchecked_sentence(found: Mapping[str, Any], run_id: int) -> str | None:
    """'5 of 80 test items could not be checked for changes since run 4 was tested
    (...)' (None when every item could be)."""
    parts = [
        f"{counts['unchecked']} of {counts['items']} {_WORDS[part]} items"
        for part in PARTS
        if (counts := found.get(part)) and counts.get("unchecked")
    ]
    if not parts:
        return None
    return (
        f"{'; '.join(parts)} could not be checked for changes since run {run_id} was "
        "tested (the run recorded no content hash for them: they, or the run, came before "
        "SSL Studio recorded one)."
    )


def unhashed_at_test(scored: Iterable[Mapping[str, Any]], part: str) -> dict[str, Any]:
    """For a report made now: ``{"data_unchecked": {part: u, "note"}}`` when ``u`` of the
    ``scored`` items (the test or out-of-fold items of ``part``) have no content hash, so
    a later evaluate or export cannot check them (``unchecked_sentence`` then says so),
    else {}."""
    scored = list(scored)
    u = sum(1 for i in scored if not i.get("content_hash"))
    if not u:
        return {}
    note = (
        f"{u} of {len(scored)} {_WORDS[part]} items have no content hash (imported before "
        "SSL Studio recorded one), so a later evaluate or export cannot tell whether they "
        "changed; importing the dataset again records it (unchanged files are not decoded "
        "again)."
    )
    return {"data_unchecked": {part: u, "note": note}}


def held_out_changes(
    run_id: int, saved: SavedSplit | None, items: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """For a model card's data facts: ``{"test_items_changed": {part counts, "note"}}``
    when held-out items of the run changed or went since it was tested, or could not be
    checked (recorded without a hash), else {}."""
    found = changes(saved, items)
    figures = (
        "the figures on this card are those measured then, on the items as they were "
        "(ssl-studio evaluate scores the items as they are now, and says so)."
    )
    notes = [
        changed_sentence(found, run_id, figures) if changed(found) else None,
        unchecked_sentence(found, run_id),
    ]
    if not any(notes):
        return {}
    return {"test_items_changed": {**found, "note": " ".join(filter(None, notes))}}
