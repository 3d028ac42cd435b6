"""Deleting runs (Runs panel) and datasets (Data panel): the plan is read, the user is told
what goes and how much disk it frees and asked (No by default), and the removal runs as a
job (core/project/removal.py), so it never overlaps an import or a training run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from ssl_studio.core.errors import SSLStudioError
from ssl_studio.core.project.removal import (
    RemovalPlan,
    plan_dataset_removal,
    plan_run_removal,
    remove,
)
from ssl_studio.core.project.store import Store
from ssl_studio.gui import dialogs
from ssl_studio.gui.context import AppContext


def delete_runs(panel: QWidget, context: AppContext, run_ids: list[int]) -> bool:
    """Ask, then delete ``run_ids`` and the runs fine-tuned from them. Whether it started."""

    def plan(store: Store) -> RemovalPlan:
        return plan_run_removal(store, run_ids, with_dependents=True)

    return _ask_and_remove(panel, context, "run", plan)


def remove_dataset(panel: QWidget, context: AppContext, name: str) -> bool:
    """Ask, then remove dataset ``name`` with its runs; once the user said yes, panels
    that show it let go of its cache files (``context.releasing``: Windows deletes no file
    a program holds open). Whether it started."""

    def plan(store: Store) -> RemovalPlan:
        return plan_dataset_removal(store, name, with_dependents=True)

    return _ask_and_remove(panel, context, "dataset", plan)


def _ask_and_remove(
    panel: QWidget,
    context: AppContext,
    kind: str,
    make_plan: Callable[[Store], RemovalPlan],
) -> bool:
    project = context.project
    if project is None:
        return False
    if context.runner.busy:
        dialogs.show_error(panel, f"Delete {kind}", context.still_running())
        return False
    plan: RemovalPlan | None = None
    with context.reading(panel), Store.open(project) as store:
        try:
            plan = make_plan(store)
        except SSLStudioError as exc:  # (removed meanwhile by another program)
            dialogs.show_error(panel, f"Delete {kind}", str(exc))
    if plan is None:
        return False
    if kind == "dataset":
        title = f"Remove dataset '{plan.dataset}'"
    else:
        title = f"Delete run{'s' if len(plan.run_ids) > 1 else ''} "
        title += ", ".join(str(i) for i in plan.run_ids)
    rereads = ("datasets", "runs", "exports") if kind == "dataset" else ("runs", "exports")
    release = plan.dataset if kind == "dataset" else None

    def job(report: object, stop: object) -> dict[str, Any]:
        return remove(project, plan)

    return confirm_and_run(panel, context, title, plan.describe(), job, rereads, release)


def confirm_and_run(
    panel: QWidget,
    context: AppContext,
    title: str,
    question: str,
    job: Callable[..., dict[str, Any]],
    rereads: tuple[str, ...],
    release: str | None = None,
) -> bool:
    """Ask ``question`` (No by default), then run the removal or erasure ``job`` titled
    ``title``; once the user said yes, panels that show dataset ``release`` let go of its
    cache files (Windows deletes no file a program holds open). When it ends, the panels
    read ``rereads`` again (after a failure too) and one notice names what is not gone
    yet. Whether it started."""
    if not dialogs.confirm(panel, f"{title}?", question, default_no=True):
        return False
    if release is not None:
        context.releasing.emit(release)

    def reread(*_: object) -> None:
        for what in rereads:
            context.notify(what)

    def done(result: dict[str, Any]) -> None:
        reread()
        said = [*result["left"], result["still_in_database"] or ""]
        if any(said):
            ending = "not everything is gone yet" if result["left"] else "not yet erased"
            text = "\n\n".join(s for s in said if s)
            dialogs.show_notice(panel, f"{title}: {ending}", text)

    return context.run(panel, title, job, done, reread)
