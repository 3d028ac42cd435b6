"""The demo's labels, a few per class. The demo ships a label file for every item
(resources/demo/<dataset>-labels.csv: all 400 chest X-rays, the same classes as their
folders), which shows nothing of what pretraining is for: learning from few labels. So
the app offers a few of them per class, taken in the file's order (the same few every
time), as their own label set."""

from __future__ import annotations

import csv
import tempfile
from collections import Counter
from pathlib import Path

from ssl_studio.core.jobs import DEMO_DATASETS
from ssl_studio.core.labels import LabelReport, labels_from_csv

FEW_PER_CLASS = 10  # at most; a quarter of the smallest class at most too


def demo_labels_csv(project: Path, dataset: str) -> Path | None:
    """The demo's label file of ``dataset`` when it is a demo dataset (named as the demo
    names them, and imported from the demo's own folder, as create_demo imports it: a
    user's dataset that happens to be named 'chest-xray' is not) and the file is there;
    None otherwise."""
    from ssl_studio.resources import demo_dir

    if dataset not in {name for name, _ in DEMO_DATASETS}:
        return None
    path = demo_dir() / f"{dataset}-labels.csv"
    if not path.is_file() or not _imported_from(project, dataset, demo_dir() / dataset):
        return None
    return path


def _imported_from(project: Path, dataset: str, folder: Path) -> bool:
    """Whether ``folder`` is one of the roots the dataset ``dataset`` was imported from."""
    from ssl_studio.core.data.import_target import new_roots
    from ssl_studio.core.data.path_spelling import KnownRoots
    from ssl_studio.core.project.store import Store

    with Store.open(project) as store:
        existing = store.dataset(dataset)
        if not existing:
            return False
        roots = KnownRoots(store, existing["id"])
        return bool(roots.paths) and not new_roots(roots, roots.spellings([folder]))


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def few_per_class(path: Path) -> tuple[int, dict[str, int]]:
    """(how many per class the demo's few labels take, the file's labels per class)."""
    counts = dict(sorted(Counter(row["label"] for row in _rows(path)).items()))
    return max(2, min(FEW_PER_CLASS, min(counts.values()) // 4)), counts


def demo_few_labels(project: Path, dataset: str, path: Path) -> LabelReport:
    """Label set 'demo, N per class': the first N rows of each class of the demo's label
    file ``path`` (see few_per_class)."""
    n, _ = few_per_class(path)
    rows = _rows(path)
    taken: Counter[str] = Counter()
    kept = []
    for row in rows:
        if taken[row["label"]] < n:
            taken[row["label"]] += 1
            kept.append(row)
    with tempfile.TemporaryDirectory() as folder:
        few = Path(folder) / path.name
        with open(few, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(kept)
        return labels_from_csv(project, dataset, few, name=f"demo, {n} per class")
