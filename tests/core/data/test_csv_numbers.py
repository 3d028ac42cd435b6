"""Numbers in time-series CSV cells as European spreadsheets write them (csv_numbers.py):
German thousands dots beside decimal commas, a dot that does not tell, French and Swiss
thousands separators, missing-value markers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ssl_studio.cli import main
from ssl_studio.core.config import ImportConfig
from ssl_studio.core.data.records import ImportProblem
from ssl_studio.core.data.timeseries import decode_series_file
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.store import Store


def read(tmp_path: Path, text: str, name: str = "a.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    decoded = decode_series_file(path)
    for item in decoded.items:
        assert item.fields["n_missing"] == int(np.isnan(item.array).sum())
    return decoded


STEPS = [850, 920, 990, 1020, 1150]


@pytest.mark.parametrize("gap", [False, True])  # a missing cell must not change the reading
def test_german_thousands_beside_decimal_commas_keep_their_value(tmp_path, gap) -> None:
    cells = ["850", "920", "990", "1.020", "1.150"]
    if gap:
        cells.insert(2, "")
    rows = [f"{i};{c};36,{i % 10}" for i, c in enumerate(cells)]
    decoded = read(tmp_path, "Zeit;Schritte;Temperatur\n" + "\n".join(rows) + "\n")
    (item,) = decoded.items
    steps = item.array[0]
    np.testing.assert_array_equal(steps[~np.isnan(steps)], STEPS)
    assert not decoded.problems


def test_a_column_of_only_thousands_in_a_decimal_comma_file(tmp_path) -> None:
    text = "Zeit;Schritte;Temperatur\n1;150.000;36,1\n2;151.000;36,2\n3;152.500;36,3\n"
    (item,) = read(tmp_path, text).items
    np.testing.assert_array_equal(item.array[0], [150000, 151000, 152500])


def test_a_column_with_decimal_points_in_a_decimal_comma_file_stays_decimal(tmp_path) -> None:
    text = "a;b;c\n1;1.5;2,5\n2;1.020;3,5\n3;0.125;4,5\n"
    (item,) = read(tmp_path, text).items
    np.testing.assert_allclose(item.array[1], [1.5, 1.02, 0.125])


def test_dots_the_file_does_not_explain_are_decimal_points_with_a_warning(tmp_path) -> None:
    decoded = read(tmp_path, "Zeit;Schritte\n1;150.000\n2;151.000\n3;152.000\n")
    (item,) = decoded.items
    np.testing.assert_array_equal(item.array[0], [150, 151, 152])
    (note,) = decoded.problems
    assert (note.code, note.severity) == ("csv-number-dots", "warning")
    assert "column 'Schritte' of a.csv" in note.message
    assert "read as decimal points" in note.message and "thousands separators" in note.message


def test_the_dots_warning_is_in_the_import_report(project, tmp_path, capsys) -> None:
    folder = tmp_path / "rec"
    folder.mkdir()
    (folder / "a.csv").write_text("Zeit;Schritte\n1;150.000\n2;151.000\n3;152.000\n")
    import_data(ImportConfig(project=project, paths=[folder], workers=1))
    with Store.open(project) as store:
        [note] = store.import_errors(1)
    assert (note["path"], note["code"], note["severity"]) == ("a.csv", "csv-number-dots", "warning")
    assert main(["report", str(project)]) == 0
    assert (
        "a.csv: column 'Schritte' of a.csv holds numbers such as 1.020" in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    "text",
    [
        "Zeit;Schritte;T\n1;1.020;36.5\n2;1.150;36.25\n",  # decimal points elsewhere
        "Zeit,Schritte\n1,1.020\n2,1.150\n",  # comma-separated: the dot is a decimal point
    ],
)
def test_dots_the_file_explains_need_no_note(tmp_path, text) -> None:
    decoded = read(tmp_path, text)
    np.testing.assert_allclose(decoded.items[0].array[0], [1.02, 1.15])
    assert not decoded.problems


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_french_thousands_with_a_space(tmp_path, space) -> None:
    text = f"t;v\n1;1{space}200,5\n2;12{space}345{space}678\n3;-4{space}000\n4;7,25\n"
    (item,) = read(tmp_path, text).items
    np.testing.assert_allclose(item.array[0], [1200.5, 12345678, -4000, 7.25])


@pytest.mark.parametrize("mark", ["'", "\u2019"])
def test_swiss_thousands_with_an_apostrophe(tmp_path, mark) -> None:
    text = f"t;v\n1;1{mark}200.5\n2;3{mark}000\n3;99.75\n"
    (item,) = read(tmp_path, text).items
    np.testing.assert_allclose(item.array[0], [1200.5, 3000, 99.75])


@pytest.mark.parametrize("cell", ["1 20,5", "1'2000", "12 3"])
def test_loose_grouping_is_still_text(tmp_path, cell) -> None:
    with pytest.raises(ImportProblem) as caught:
        read(tmp_path, f"t;v\n1;5\n2;{cell}\n3;6\n")
    assert caught.value.code == "csv-mixed-types"


MARKERS = ["-", "--", "\u2014", "#N/A", "#n/a", "#NV", "n.a.", "N.A.", "k.A.", "K.A.", "?", "."]


@pytest.mark.parametrize("marker", MARKERS)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_missing_value_markers(tmp_path, marker, delimiter) -> None:
    rows = [["t", "v"], ["1", "-2"], ["2", marker], ["3", "-"], ["4", "-.5"], ["5", "3"]]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    (item,) = read(tmp_path, text).items
    np.testing.assert_array_equal(item.array[0], [-2, np.nan, np.nan, -0.5, 3])
    assert item.fields["n_missing"] == 2
