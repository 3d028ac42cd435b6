"""Reading a project whose path is on a Windows share or holds URI delimiters."""

from __future__ import annotations

from pathlib import Path

import pytest

from ssl_studio.core.project.sqlite_uri import sqlite_uri
from ssl_studio.core.project.store import Store


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        # a share (and a mapped drive, which Windows resolves to one): no host part,
        # which SQLite on Windows refuses ("invalid uri authority")
        (r"\\fileserver\radiology\p\project.db", "file:////fileserver/radiology/p/project.db"),
        (r"\\?\UNC\fileserver\radiology\project.db", "file:////fileserver/radiology/project.db"),
        (r"Z:\studies\project.db", "file:///Z:/studies/project.db"),
        (r"\\?\C:\long\project.db", "file:///C:/long/project.db"),
        (
            r"C:\Users\Dr Zoë\50% #1?\项目\project.db",
            "file:///C:/Users/Dr%20Zo%C3%AB/50%25%20%231%3F/%E9%A1%B9%E7%9B%AE/project.db",
        ),
    ],
)
def test_windows_paths_become_uris_sqlite_accepts(path: str, uri: str):
    assert sqlite_uri(path, windows=True) == uri
    assert sqlite_uri(path, "mode=ro", windows=True) == uri + "?mode=ro"


def test_a_posix_path_is_made_absolute_and_encoded(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sqlite_uri("a b/p#1.db", windows=False) == (
        "file://" + str(tmp_path).replace(" ", "%20") + "/a%20b/p%231.db"
    )


def test_a_project_whose_path_holds_spaces_hashes_percents_and_non_ascii_opens(tmp_path: Path):
    root = tmp_path / "Dr Zoë's 50% #1? 项目"
    Store.create(root).close()
    with Store.open(root, write=True) as writer:
        writer.create_dataset("scans", "image", 64)
    with Store.open(root) as reader:
        assert reader.dataset("scans")["name"] == "scans"
        assert reader.conn.execute("PRAGMA database_list").fetchone()["file"] == str(
            root / "project.db"
        )


def test_the_reader_opens_the_path_it_was_given_not_where_it_resolves(tmp_path: Path, monkeypatch):
    """On Windows, resolve() turns a mapped drive (Z:\\) into its share (\\\\server\\...),
    whose URI SQLite refuses; the reader must not resolve the database path."""
    root = tmp_path / "project"
    Store.create(root).close()
    real_resolve = Path.resolve

    def to_the_share(self: Path, strict: bool = False) -> Path:
        if self.name == "project.db":
            return tmp_path / "unreachable share" / "project.db"
        return real_resolve(self, strict)

    monkeypatch.setattr(Path, "resolve", to_the_share)
    with Store.open(root) as reader:
        assert reader.datasets() == []
