"""The project store: the only code that speaks SQL (SQLite through sqlite-utils).

It grew past one short file, so it is a package: ``base`` opens the database (write lock,
schema version, transactions) and one mixin per record family holds its queries. No SQL
lives anywhere else in SSL Studio.
"""

from __future__ import annotations

from ssl_studio.core.project.store.base import StoreBase, folder_bytes, now
from ssl_studio.core.project.store.card_details import CardDetailRecords
from ssl_studio.core.project.store.change_marks import ChangeMarks
from ssl_studio.core.project.store.datasets import DatasetRecords
from ssl_studio.core.project.store.erasures import ErasureRecords
from ssl_studio.core.project.store.import_history import ImportHistory
from ssl_studio.core.project.store.import_report import ImportReport
from ssl_studio.core.project.store.imports import FileRow, ImportRecords
from ssl_studio.core.project.store.item_table import ItemTable, ItemTables
from ssl_studio.core.project.store.items import ItemRecords
from ssl_studio.core.project.store.path_redaction import PathRedaction
from ssl_studio.core.project.store.removals import RemovalRecords
from ssl_studio.core.project.store.runs import RunRecords
from ssl_studio.core.project.store.unfinished_imports import UnfinishedImports
from ssl_studio.core.project.store.walk_errors import WalkErrors

__all__ = ["FileRow", "ItemTable", "Store", "folder_bytes", "now"]


class Store(
    DatasetRecords,
    ImportRecords,
    ItemRecords,
    ItemTables,
    ImportHistory,
    ImportReport,
    WalkErrors,
    PathRedaction,
    RunRecords,
    RemovalRecords,
    ErasureRecords,
    CardDetailRecords,
    UnfinishedImports,
    ChangeMarks,
    StoreBase,
):
    """One open project. Use ``Store.create`` / ``Store.open`` and close it (or ``with``)."""
