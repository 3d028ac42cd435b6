"""A label CSV finds files whose names hold accented letters whichever way either side
encodes them: a folder copied from a Mac keeps decomposed names (NFD) on a Linux disk,
where a path typed into a CSV has them composed (NFC)."""

from __future__ import annotations

import unicodedata

import pytest
from finetune_projects import write_shapes

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.jobs import create_project, import_data
from ssl_studio.core.labels import labels_from_csv
from ssl_studio.core.project.store import Store

NAME = "Lungenentz\u00fcndung"  # "Lungenentzündung", composed


@pytest.mark.parametrize(("on_disk", "in_csv"), [("NFD", "NFC"), ("NFC", "NFD")])
def test_labels_attach_across_unicode_forms(tmp_path, on_disk, in_csv):
    data = tmp_path / "bilder"
    write_shapes(data, n=4)
    folder = unicodedata.normalize(on_disk, NAME)
    (data / "circle").rename(data / folder)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], cache_size=32, workers=1))
    with Store.open(project) as store:
        stored = sorted(i["rel_path"] for i in store.items(1))
    written = [p for p in stored if p.startswith(folder)]
    assert len(written) == 2
    csv = tmp_path / "labels.csv"
    rows = [f"{unicodedata.normalize(in_csv, p)},krank" for p in written]
    csv.write_text("path,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = labels_from_csv(project, "bilder", csv)
    assert report.classes == {"krank": 2}


@pytest.mark.parametrize(
    ("header", "sep"),
    [("Dateiname;Diagnose", ";"), ("Fichier;Étiquette", ";"), ("ファイル,診断", ",")],
)
def test_label_columns_headed_in_other_languages_are_found(tmp_path, header, sep):
    data = tmp_path / "shapes"
    write_shapes(data, n=4)
    project = create_project(tmp_path / "project")
    import_data(ImportConfig(project=project, paths=[data], cache_size=32, workers=1))
    with Store.open(project) as store:
        paths = [i["rel_path"] for i in store.items(1)]
    csv = tmp_path / "labels.csv"
    rows = [f"{p}{sep}{'rund' if p.startswith('circle') else 'eckig'}" for p in paths]
    csv.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8-sig")
    assert labels_from_csv(project, "shapes", csv).classes == {"rund": 2, "eckig": 2}
