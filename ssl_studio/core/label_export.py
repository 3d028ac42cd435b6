"""Label sets out of the project: the list of a dataset's label sets, and one written to a
CSV file that ``labels_from_csv`` reads back as it was (for another tool, a colleague, a
backup of labels given by clicking, or the version a run was trained with)."""

from __future__ import annotations

import csv
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from ssl_studio.core.atomic_files import replacing
from ssl_studio.core.errors import ConfigError, SSLStudioError
from ssl_studio.core.file_names import check_new_file_name
from ssl_studio.core.folder_access import write_refused
from ssl_studio.core.labels import _quote, label_set_to_use
from ssl_studio.core.project.store import Store
from ssl_studio.core.spreadsheet_cells import SPREADSHEET_ENCODING, SafeWriter

EXPORT_COLUMNS = ("item_id", "label", "stored_path", "index")


def export_labels(
    project: Path,
    dataset: str,
    out: Path,
    *,
    name: str = "",
    overwrite: bool = False,
    version: int | None = None,
) -> dict[str, Any]:
    """Write the newest version of label set ``name`` (the dataset's only one when empty;
    or its ``version``, as a run was trained with it) to ``out`` as CSV: item_id and
    label, which ``labels_from_csv`` reads back as they are,
    and the item's file as the project stores it (patient names [redacted]) with its index
    in the file, for people. ``out`` must not exist unless ``overwrite`` (the app's save
    dialog asked). Returns name, version, labels, out."""
    out = Path(out)
    check_new_file_name(out, "give another file name")
    if out.exists() and not overwrite:
        raise ConfigError(f"{out} already exists; give another file name.")
    if not out.parent.is_dir():
        raise ConfigError(f"The folder {out.parent} does not exist; give a file in one that does.")
    with Store.open(project) as store:
        found = store.dataset_named(dataset)
        sets = store.label_sets(found["id"])
        names = sorted({s["name"] for s in sets})
        name = label_set_to_use(dataset, names, name, "--name")
        if name not in names:
            raise ConfigError(
                f"Dataset '{dataset}' has no label set '{name}' (it has {_quote(names)})."
            )
        version = store.chosen_label_version(found["id"], name, version)
        labels = store.latest_labels(found["id"], name, version)
        items = {int(i["id"]): i for i in store.items(found["id"])}
    rows = []  # (an item whose file failed or went missing keeps its label, without a path)
    for item_id, label in sorted(labels.items()):
        item = items.get(item_id)
        rows.append([item_id, label, *((item["rel_path"], item["idx"]) if item else ("", ""))])
    # a file written over is replaced whole (it may be the user's only copy of these
    # labels): a full disk or a crash leaves the old one as it was
    try:
        opened: AbstractContextManager[IO[Any]] = (
            replacing(out, suffix=".csv", text=True, encoding=SPREADSHEET_ENCODING)
            if overwrite
            else out.open("x", encoding=SPREADSHEET_ENCODING, newline="")
        )
        with opened as f:
            writer = SafeWriter(csv.writer(f))  # a label '+ve' as text; read back as '+ve'
            writer.writerow(EXPORT_COLUMNS)
            writer.writerows(rows)
    except SSLStudioError:  # (a file marked read-only or held open: said as it is)
        raise
    except OSError as exc:
        if not write_refused(exc):
            raise
        # the folder refused the new file (or the temporary one beside the file written
        # over): "[Errno 13] ... .tmp-1a2b3c4d.csv" would say neither what nor what to do
        raise ConfigError(
            f"Cannot write {out}: the folder {out.parent} may not be written (its "
            "permissions or a read-only disk refuse new files). Save the labels in another "
            "folder."
        ) from exc
    return {"name": name, "version": version, "labels": len(rows), "out": str(out)}


def label_names(project: Path, dataset: str) -> list[dict[str, Any]]:
    """The dataset's label sets: name, version, source, created, n_labels (newest last)."""
    with Store.open(project) as store:
        return store.label_sets(store.dataset_named(dataset)["id"])
