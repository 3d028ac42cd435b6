"""Whether a fine-tuning run's labels were changed after it: its label set has a newer
version (a CSV imported again, labels corrected in the app) or is gone. The run's model,
test figures and curve stay those of the labels it trained on (they are kept, not
recomputed); ``info``, the Runs page and ``export`` say so, so a model of corrected labels
is not taken for a current one."""

from __future__ import annotations

from typing import Any

from ssl_studio.core.project.store import Store

LABELED_KINDS = ("finetune", "label-efficiency")


def labels_changed(store: Store, run: dict[str, Any]) -> str | None:
    """ "label set 'finding' is at version 3 now; run 4 trained on version 2" for a
    fine-tuning or label-efficiency run whose label set changed since, "… is gone …"
    for one removed; None when it is as the run used it, or the run did not record it."""
    if run["kind"] not in LABELED_KINDS:
        return None
    config, summary = run.get("config") or {}, run.get("summary") or {}
    name = config.get("labels")
    used = config.get("label_version", summary.get("label_version"))
    if not name or not isinstance(used, int):
        return None
    now = store.label_version(run["dataset_id"], str(name))
    if now == used:
        return None
    if now is None:
        return f"label set '{name}' is gone; run {run['id']} trained on its version {used}"
    return f"label set '{name}' is at version {now} now; run {run['id']} trained on version {used}"


def changed_advice(said: str) -> str:
    """The sentence a user reads: what changed, and that the run's figures and model are
    of the older labels (fine-tune again for the current ones)."""
    return (
        f"The labels changed after this run: {said}. Its model and test figures are those "
        "of the older labels; fine-tune again for a model of the current ones."
    )
