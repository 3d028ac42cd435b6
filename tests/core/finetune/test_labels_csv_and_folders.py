"""Label sets from a CSV, from folder names and from clicks, with clear problems; exported
to a CSV that reads back as it was; class names in one spelling; a label CSV written
over safely."""

from __future__ import annotations

import pytest
from finetune_projects import write_shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_csv, labels_from_folders, set_labels
from ssl_studio.core.project.store import Store


@pytest.fixture
def project(tmp_path):
    write_shapes(tmp_path / "shapes", n=12)
    project = create_project(tmp_path / "project")
    import_data(
        ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32, workers=1)
    )
    return project


def labels_of(project, name):
    with Store.open(project) as store:
        ds = store.dataset("shapes")
        items = {i["id"]: i["rel_path"] for i in store.items(ds["id"])}
        return {items[k]: v for k, v in store.latest_labels(ds["id"], name).items()}


def test_folder_names_become_labels(project):
    report = labels_from_folders(project, "shapes")
    assert report.classes == {"circle": 6, "square": 6} and report.version == 1
    labels = labels_of(project, "folders")
    assert labels["circle/circle001.png"] == "circle" and len(labels) == 12


def test_csv_paths_relative_with_the_folder_name_or_absolute(project, tmp_path):
    shapes = tmp_path / "shapes"
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "file,diagnosis\n"
        "circle/circle001.png,round\n"  # relative to the imported folder
        "shapes/square/square000.png,angular\n"  # with the folder's own name
        f"{shapes / 'circle' / 'circle003.png'},round\n"  # absolute
        "circle/circle001.png,round\n"  # a duplicate
        "circle/nothere.png,round\n"  # unknown
        ",round\n"  # blank
    )
    report = labels_from_csv(project, "shapes", csv)
    assert labels_of(project, "labels") == {
        "circle/circle001.png": "round",
        "square/square000.png": "angular",
        "circle/circle003.png": "round",
    }
    text = " ".join(report.warnings)
    assert "1 row(s) name files that are not in dataset 'shapes'" in text
    assert "line 6 (circle/nothere.png)" in text
    assert "1 duplicate" in text and "without a path or label" in text
    assert "Too few examples of 'angular' (1)" in text


def test_conflicting_rows_save_nothing(project, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\ncircle/circle001.png,a\ncircle/circle001.png,b\n")
    with pytest.raises(
        ConfigError, match="different labels .* 'a' \\(line 2\\) vs 'b' \\(line 3\\)"
    ):
        labels_from_csv(project, "shapes", csv)
    assert labels_of(project, "labels") == {}


def test_unusable_csv_files_get_a_clear_message(project, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("name,value\na,b\n")
    with pytest.raises(ConfigError, match="needs a header row with a label column"):
        labels_from_csv(project, "shapes", csv)
    csv.write_text("path,label\nelsewhere/x.png,a\n")
    with pytest.raises(ConfigError, match="None of the 1 rows .* \\(for example 'circle/"):
        labels_from_csv(project, "shapes", csv)
    with pytest.raises(ConfigError, match="Cannot read the label file"):
        labels_from_csv(project, "shapes", tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="No dataset 'nope'"):
        labels_from_csv(project, "nope", csv)
    csv.write_text("path,label\ncircle/circle001.png," + "x" * 200_000 + "\n")
    with pytest.raises(ConfigError, match="cannot be read as CSV .* header row"):
        labels_from_csv(project, "shapes", csv)
    csv.write_text("item_id,label\n\u00b2,a\n")  # a superscript two is not an item id
    with pytest.raises(ConfigError, match="None of the 1 rows"):
        labels_from_csv(project, "shapes", csv)
    csv.write_text("path,label\n")
    with pytest.raises(ConfigError, match="has no rows of labels under its header row"):
        labels_from_csv(project, "shapes", csv)


def test_an_empty_path_never_falls_back_to_an_id_column_and_case_twins_are_named(project, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text(  # "id" here is an accession number, not an item id
        "id,path,label\n5,,pneumonia\n7,circle/circle001.png,Normal\n"
        "8,circle/circle003.png,normal\n9,square/square000.png,normal\n"
    )
    report = labels_from_csv(project, "shapes", csv)
    assert report.labeled == 3 and report.classes == {"Normal": 1, "normal": 2}
    text = " ".join(report.warnings)
    assert "1 row(s) without a path or label" in text
    assert "differ only in capitals are separate classes: 'Normal' / 'normal'" in text


def test_semicolon_csv_from_a_spreadsheet_is_read(project, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text("path;label\ncircle/circle001.png;round\nsquare/square000.png;angular\n")
    labels_from_csv(project, "shapes", csv, name="semicolons")
    assert labels_of(project, "semicolons") == {
        "circle/circle001.png": "round",
        "square/square000.png": "angular",
    }


def test_a_csv_saved_by_excel_on_windows_in_its_code_page_is_read(project, tmp_path):
    """Excel's "CSV" on Windows is Windows-1252, not UTF-8 (é is the byte E9): it was
    refused ("save it as CSV (UTF-8)"), although an import reads such a CSV."""
    csv = tmp_path / "labels.csv"
    text = "path;label\r\ncircle/circle001.png;bénin\r\nsquare/square000.png;malin\r\n"
    csv.write_bytes(text.encode("cp1252"))
    labels_from_csv(project, "shapes", csv, name="excel")
    assert labels_of(project, "excel") == {
        "circle/circle001.png": "bénin",
        "square/square000.png": "malin",
    }
    csv.write_bytes(text.replace(";", "\t").encode("utf-16"))  # Excel's "Unicode Text"
    labels_from_csv(project, "shapes", csv, name="unicode")
    assert labels_of(project, "unicode") == labels_of(project, "excel")
    csv.write_bytes(b"path,label\ncircle/circle001.png,\x81\n")  # (no cp1252 either)
    why = "not text in UTF-8, Windows-1252 or Shift-JIS; save it as CSV \\(UTF-8\\)"
    with pytest.raises(ConfigError, match=why):
        labels_from_csv(project, "shapes", csv)


def test_item_ids_and_clicks_make_new_versions(project, tmp_path):
    with Store.open(project) as store:
        ids = [i["id"] for i in store.items(1)]
    csv = tmp_path / "ids.csv"
    csv.write_text(f"item_id,label\n{ids[0]},x\n{ids[1]},y\n999999,y\n")
    first = labels_from_csv(project, "shapes", csv)
    assert first.warnings[0].startswith(  # an id is not a file
        "1 row(s) name item ids that are not in dataset 'shapes' and were left out: line 4"
    )
    second = set_labels(project, "shapes", {ids[1]: None, ids[2]: "y", ids[3]: "x"})
    assert (first.version, second.version) == (1, 2)
    with Store.open(project) as store:
        assert store.latest_labels(1, "labels") == {ids[0]: "x", ids[2]: "y", ids[3]: "x"}
        versions = [s["version"] for s in store.label_sets(1) if s["name"] == "labels"]
    assert versions == [1, 2]  # the first version is kept
    with pytest.raises(ConfigError, match="no item"):
        set_labels(project, "shapes", {10**6: "x"})


def test_csv_paths_never_reach_outside_the_imported_folder(project, tmp_path):
    """A path that climbs out of the data root (or names any other file on the machine)
    only matches imported items; nothing outside is opened, and it is reported."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the project")
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,label\n"
        "circle/circle001.png,round\n"
        "circle/circle003.png,round\n"
        "circle/../../secret.png,angular\n"  # climbs out of the imported folder
        f"{secret},angular\n"  # an absolute path elsewhere
        "../../../../etc/passwd,angular\n"
        "circle/../square/square000.png,angular\n"  # stays inside: still the same file
    )
    report = labels_from_csv(project, "shapes", csv)
    labels = labels_of(project, "labels")
    assert set(labels) <= {
        "circle/circle001.png",
        "circle/circle003.png",
        "square/square000.png",
    }
    assert "3 row(s) name files that are not in dataset 'shapes'" in " ".join(report.warnings)


def test_a_label_set_exports_to_a_csv_that_reads_back_as_it_was(project, tmp_path, capsys):
    """Labels given by clicking lived only in the project: now they can be written out
    (for another tool, a colleague or a backup) and read back by --csv unchanged."""
    import csv

    from ssl_studio.cli import main
    from ssl_studio.core.label_export import export_labels

    labels_from_folders(project, "shapes")
    with Store.open(project) as store:
        first = store.items(store.dataset("shapes")["id"])[0]["id"]
    set_labels(project, "shapes", {first: "odd one"}, name="folders")  # version 2
    out = tmp_path / "exported.csv"
    assert export_labels(project, "shapes", out) == {
        "name": "folders",
        "version": 2,
        "labels": 12,
        "out": str(out),
    }
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert list(rows[0]) == ["item_id", "label", "stored_path", "index"]
    assert {r["stored_path"] for r in rows} >= {"circle/circle001.png", "square/square000.png"}
    labels_from_csv(project, "shapes", out, name="again")
    assert labels_of(project, "again") == labels_of(project, "folders")
    with pytest.raises(ConfigError, match="already exists; give another file name"):
        export_labels(project, "shapes", out, name="folders")
    several = r"has 2 label sets \(again, folders\); choose one with --name NAME"
    with pytest.raises(ConfigError, match=several):
        export_labels(project, "shapes", tmp_path / "two.csv")
    with pytest.raises(ConfigError, match="has no label set 'x'"):
        export_labels(project, "shapes", tmp_path / "x.csv", name="x")
    args = ["labels", str(project), "--dataset", "shapes", "--name", "again"]
    assert main([*args, "--export", str(tmp_path / "cli.csv")]) == 0
    assert "Label set 'again' v1: 12 labels -> " in capsys.readouterr().out
    assert (tmp_path / "cli.csv").read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_an_earlier_version_of_a_label_set_exports_as_a_run_was_trained_with_it(
    project, tmp_path, capsys
):
    """A run's card names the label set's version; only the newest could be written out."""
    from ssl_studio.cli import main
    from ssl_studio.core.label_export import export_labels

    labels_from_folders(project, "shapes")
    before = labels_of(project, "folders")
    with Store.open(project) as store:
        first = store.items(store.dataset("shapes")["id"])[0]["id"]
    set_labels(project, "shapes", {first: "odd one"}, name="folders")  # version 2
    done = export_labels(project, "shapes", tmp_path / "v1.csv", version=1)
    assert done["version"] == 1
    labels_from_csv(project, "shapes", tmp_path / "v1.csv", name="v1")
    assert labels_of(project, "v1") == before != labels_of(project, "folders")
    with pytest.raises(ConfigError, match="has no version 3; it has versions 1, 2"):
        export_labels(project, "shapes", tmp_path / "v3.csv", name="folders", version=3)
    args = ["labels", str(project), "--dataset", "shapes", "--name", "folders"]
    assert main([*args, "--export", str(tmp_path / "cli.csv"), "--version", "1"]) == 0
    assert "Label set 'folders' v1: 12 labels -> " in capsys.readouterr().out
    assert main([*args, "--version", "1"]) != 0
    assert "--version picks the version of the label set --export writes" in (
        capsys.readouterr().err
    )


NFC, NFD = "\u00e9p ais", "e\u0301p ais"  # "ép ais" as typed, and as a macOS folder name


def test_class_names_differing_only_in_spaces_or_accent_encoding_are_one_class(project, tmp_path):
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,label\n"
        f"circle/circle001.png,{NFC}\ncircle/circle003.png,{NFD}\n"
        "square/square000.png,rare  one\nsquare/square002.png,rare one\n"
        "square/square004.png, rare\tone \n"
        "square/square000.png,rare one\n",  # the same file again: a duplicate, no conflict
        encoding="utf-8",
    )
    report = labels_from_csv(project, "shapes", csv)
    assert report.classes == {NFC: 2, "rare one": 3}
    assert set(labels_of(project, "labels").values()) == {NFC, "rare one"}
    merged = report.warnings[0]
    assert merged.startswith("Class names written in more than one way were taken as one")
    assert f"'{NFC}' (accented letters encoded in two ways" in merged
    assert "'rare one' ('rare\tone' / 'rare  one' / 'rare one')" in merged
    assert "1 duplicate row(s)" in " ".join(report.warnings)
    # clicks in the app: the names they give are read the same way
    with Store.open(project) as store:
        ids = [i["id"] for i in store.items(1)]
    clicked = set_labels(project, "shapes", {ids[5]: NFD, ids[6]: "rare   one"})
    assert clicked.classes == {NFC: 3, "rare one": 4} and not clicked.warnings


def test_folder_class_names_are_read_in_one_spelling(tmp_path):
    write_shapes(tmp_path / "shapes", n=4)
    (tmp_path / "shapes" / "circle").rename(tmp_path / "shapes" / NFD)
    project = create_project(tmp_path / "project")
    import_data(
        ImportConfig(project=project, paths=[tmp_path / "shapes"], cache_size=32, workers=1)
    )
    report = labels_from_folders(project, "shapes")
    assert report.classes == {NFC: 2, "square": 2}  # as a CSV typed on Windows names it


def test_labels_given_in_the_app_join_the_classes_of_a_set_saved_before_names_were_normalised(
    project,
):
    """A set stored by an older version holds "rare  one" and an NFD "bénin"; the app
    offers those names back, and one more label of each made four classes of two."""
    with Store.open(project, write=True) as store:
        ids = [i["id"] for i in store.items(1)]
        old = {ids[0]: "rare  one", ids[1]: "rare  one", ids[2]: NFD, ids[3]: NFD}
        store.add_label_set(1, "old", "an older version", old)
    clicked = set_labels(project, "shapes", {ids[4]: "rare  one", ids[5]: NFD}, name="old")
    assert clicked.classes == {NFC: 3, "rare one": 3}
    assert set(labels_of(project, "old").values()) == {NFC, "rare one"}


def test_writing_over_a_label_csv_that_fails_half_way_keeps_the_old_file(
    project, tmp_path, monkeypatch
):
    """--export over an existing file (maybe the user's only copy of those labels): a
    full disk half-way leaves it as it was, and no temporary file beside it."""
    import csv
    import errno

    from ssl_studio.core.label_export import export_labels

    labels_from_folders(project, "shapes")
    out = tmp_path / "mine" / "labels.csv"
    out.parent.mkdir()
    out.write_text("item_id,label\n1,my only copy\n", encoding="utf-8")
    out.chmod(0o640)
    real = csv.writer

    class FullDisk:
        def __init__(self, file, *args, **kwargs):
            self.writer = real(file, *args, **kwargs)
            self.file = file

        def writerow(self, row):
            return self.writer.writerow(row)

        def writerows(self, rows):
            self.file.flush()  # the header is in the file, then the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(csv, "writer", FullDisk)
    with pytest.raises(OSError, match="No space left"):
        export_labels(project, "shapes", out, overwrite=True)
    monkeypatch.undo()
    assert out.read_text(encoding="utf-8") == "item_id,label\n1,my only copy\n"
    assert [p.name for p in out.parent.iterdir()] == ["labels.csv"]
    assert export_labels(project, "shapes", out, overwrite=True)["labels"] == 12
    assert out.read_text(encoding="utf-8-sig").startswith("item_id,label,stored_path,index\n")
    assert out.stat().st_mode & 0o777 == 0o640  # written over, it keeps its permissions
