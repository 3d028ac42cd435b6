"""What a run trained on, without identifiers: the data fingerprint (counts and a hash of
the items' content, data/content_hash.py), comparing one with the items now, and the check
that a stopped run resumes on the data it began with."""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from ssl_studio.core.errors import ConfigError


def fingerprint(items: list[dict[str, Any]]) -> dict[str, Any]:
    """What a run trained on, without identifiers: counts and a hash.

    When every item has its content hash (imports since schema 6: data/content_hash.py)
    the hash is over those, sorted: the same data gives the same fingerprint in any
    project and import order, other data another (``"content": True``). Otherwise (items
    imported before) it is the older kind, over the item ids and cache slots, which
    tells only which items of this project were used (``"content": False``).
    ``order_sha256`` (content only) also hashes the items' order as given (training reads
    them by id): a resumed run must see the same items in the same places."""
    hashes = [item.get("content_hash") for item in items]
    content = bool(items) and all(hashes)
    digest = hashlib.sha256()
    if content:
        for value in sorted(hashes):
            digest.update(f"{value};".encode())
    else:
        for item in items:
            digest.update(f"{item['id']}:{item['cache_file']}:{item['cache_index']};".encode())
    modalities = Counter(item["modality"] or "unknown" for item in items)
    found = {
        "items": len(items),
        "modalities": dict(modalities),
        "sha256": digest.hexdigest()[:32],
        "content": content,
    }
    if content:
        ordered = hashlib.sha256("".join(f"{value};" for value in hashes).encode())
        found["order_sha256"] = ordered.hexdigest()[:32]
    return found


def same_data(
    recorded: dict[str, Any] | None, items: list[dict[str, Any]], *, in_order: bool = False
) -> bool | None:
    """Whether ``items`` are the data a recorded fingerprint was taken of, compared the
    way it was taken (a fingerprint recorded before content hashes, without "content",
    is compared by item ids and cache slots); None when nothing was recorded.
    in_order: also in the same order (where the fingerprint recorded it)."""
    if not recorded or not recorded.get("sha256"):
        return None
    now = fingerprint(items)
    if not recorded.get("content") and now["content"]:  # the older kind, taken again
        now = fingerprint([{**item, "content_hash": None} for item in items])
    same = now["sha256"] == recorded["sha256"] and now["items"] == recorded.get("items")
    if in_order and recorded.get("order_sha256"):
        same = same and now.get("order_sha256") == recorded["order_sha256"]
    return same


def refuse_changed_data(
    run: dict[str, Any],
    dataset: dict[str, Any],
    items: list[dict[str, Any]],
    imports_since: list[dict[str, Any]] | None = None,
) -> str | None:
    """ConfigError when the dataset a stopped run trained on changed since (items added,
    changed or gone): resumed, it would go on with other data than its record says.

    A run begun before content hashes (its fingerprint of the older kind, of item ids and
    cache slots) cannot be checked by content, and importing changed files again moves
    their cache slots even when their pixels are the same (files touched). When it still
    has as many items, and the imports since it began (``imports_since``:
    Store.imports_since) added no file and lost none, so its items are the same ones (an
    item keeps its id when its file is read again), it is resumed: the warning returned
    says that they cannot be verified to be the same data. None: nothing to say."""
    recorded = run.get("fingerprint") or {}
    if same_data(recorded, items, in_order=True) is not False:  # (None: nothing recorded)
        return None
    then, now = recorded.get("items"), len(items)
    if not recorded.get("content") and then == now and _same_items_since(imports_since):
        return (
            f"Run {run['id']} began before SSL Studio recorded the content of items, and "
            f"files of dataset '{dataset['name']}' were imported again since: it still "
            f"holds the same {now} items, but whether they are the same data cannot be "
            "verified. Resuming; if the files' contents changed, start a new run instead."
        )
    if then == now and same_data(recorded, items):
        change = f"still holds the same {now} items, but some changed places (files swapped)"
    elif then == now:
        change = f"still holds {now} items, but some of them changed"
    else:
        change = f"now holds {now} usable items ({now - then:+d})"
    raise ConfigError(
        f"Run {run['id']} began on {then} items of dataset '{dataset['name']}', which "
        f"{change} (an import since it stopped). Resuming it would train on other data "
        "than the run began with, and its record would not say so. Start a new run "
        "instead; the checkpoints of this run can still be fine-tuned from as they are."
    )


def _same_items_since(imports: list[dict[str, Any]] | None) -> bool:
    """Whether imports (summaries, with status) kept the dataset's items the same ones:
    each finished, adding no file and losing none (files only read again)."""
    if imports is None:
        return False
    return all(
        i.get("status") == "done" and not i.get("new") and not i.get("missing") for i in imports
    )
