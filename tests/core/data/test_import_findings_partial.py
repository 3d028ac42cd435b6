"""A dataset stays partly imported while any folder's import was stopped or cut off, until
that folder is imported to the end or is gone: the notes info and the Data panel give,
and pretraining's refusal."""

from __future__ import annotations

import shutil
from pathlib import Path

from stopped_imports import killed_import, pngs, stopped_import

from ssl_studio.core.config import ImportConfig
from ssl_studio.core.errors import ConfigError
from ssl_studio.core.events import Message
from ssl_studio.core.jobs import import_data
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def dataset_notes(project: Path) -> tuple[str | None, str | None]:
    """(partial_import_note, unfinished_note) of the project's one dataset, as info has it."""
    from ssl_studio.core.data.import_tally import partial_import_note, unfinished_note

    [dataset] = project_info(project)["datasets"]
    return partial_import_note(dataset["last_import"]), unfinished_note(dataset["last_import"])


def test_a_folder_stopped_then_a_folder_inside_it_imported_to_the_end_is_still_partial(
    project, tmp_path
):
    """The dataset's state followed its last import only: a stopped import of a folder,
    then an import of a folder inside it that finished, and the dataset counted as whole
    though most of the folder was never read. Importing the folder to the end finishes it."""
    folder = tmp_path / "study"
    pngs(folder / "a", 30)
    pngs(folder / "sub", 3)
    stopped = stopped_import(project, folder, name="ds")
    done = import_data(ImportConfig(project=project, paths=[folder / "sub"], name="ds", add=True))
    assert not done["cancelled"] and done["dataset"] == "ds"
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith("An earlier import of another folder (started ")
    assert (
        f" was stopped after {stopped['files_done']} of 33 files — import that folder again "
        "to finish (files already imported are kept, not imported again)."
    ) in partial
    assert "study" not in partial  # (its stored path is [redacted]: the import never named it)

    rest = import_data(ImportConfig(project=project, paths=[folder], name="ds"))
    assert not rest["cancelled"] and rest["files_done"] == 33
    assert dataset_notes(project) == (None, None)


def test_an_import_cut_off_then_another_folder_imported_to_the_end_is_still_partial(
    project, tmp_path, monkeypatch
):
    folder = tmp_path / "study"
    pngs(folder / "a", 12)
    pngs(folder / "sub", 2)
    killed_import(project, folder, monkeypatch, name="ds")
    with Store.open(project) as store:
        assert [r[0] for r in store.conn.execute("SELECT status FROM imports")] == ["running"]
    import_data(ImportConfig(project=project, paths=[folder / "sub"], name="ds", add=True))
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith("An earlier import of another folder (started ")
    assert partial.endswith(
        " did not finish (it was interrupted) — import that folder again to finish (files "
        "already imported are kept, not imported again)."
    )
    import_data(ImportConfig(project=project, paths=[folder], name="ds"))
    assert dataset_notes(project) == (None, None)


def test_a_stopped_folder_named_before_is_named_and_a_parent_folder_finishes_it(project, tmp_path):
    """A root imported to the end before keeps its stored (redacted) path, so the note
    names it; importing the folder that holds it to the end finishes it too."""
    top = tmp_path / "study"
    first, second = pngs(top / "first", 2), pngs(top / "second", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    stopped_import(project, first, name="ds")
    import_data(ImportConfig(project=project, paths=[second], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert partial.startswith(f"An earlier import of '{first}' (started ")
    assert "import that folder again to finish" in partial

    import_data(ImportConfig(project=project, paths=[top], name="ds", add=True))
    assert dataset_notes(project) == (None, None)


def refused_for_pretraining(project: Path) -> bool:
    """Whether pretraining refuses the project's one dataset as partly imported."""
    from ssl_studio.core.pretrain import _refuse_partial_import

    with Store.open(project) as store:
        [dataset] = store.datasets()
        try:
            _refuse_partial_import(dataset, store.last_import(dataset["id"]))
        except ConfigError:
            return True
    return False


def test_a_stopped_folder_deleted_then_another_folder_imported_is_no_longer_partial(
    project, tmp_path
):
    """A folder deleted after its import was stopped kept the dataset partly imported for
    good: it cannot be imported again, and nothing else covered it. Any import of the
    dataset now covers it (its stored path is [redacted]: its import never named it, so it
    is known gone by the folder that held it)."""
    kept = pngs(tmp_path / "kept", 3)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", cache_size=16))
    gone = pngs(tmp_path / "gone", 30)
    done = stopped_import(project, gone, name="ds", add=True)["files_done"]
    assert refused_for_pretraining(project)
    shutil.rmtree(gone)
    again = import_data(ImportConfig(project=project, paths=[kept], name="ds", add=True))
    assert (again["unchanged"], again["missing"]) == (3, done)  # (its files are missing)
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)
    [dataset] = project_info(project)["datasets"]
    assert (dataset["files"]["ok"], dataset["files"]["missing"], dataset["items"]) == (3, done, 3)


def test_a_stopped_folder_named_before_and_deleted_is_covered_by_its_stored_path(project, tmp_path):
    """A root named by an earlier import that finished is known gone by its stored path,
    wherever the folder imported now lies; the note says it is gone until then."""
    first = pngs(tmp_path / "x" / "first", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    done = stopped_import(project, first, name="ds")["files_done"]
    other = pngs(tmp_path / "y" / "other", 2)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert "import that folder again to finish" in partial  # (it is still there)
    shutil.rmtree(first)
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial.startswith(f"An earlier import of '{first}' (started ")
    assert partial.endswith(
        f" was stopped after {done} of 30 files; that folder is no longer there — import any "
        "folder of the dataset (or use --allow-partial-import) to go on."
    )
    assert refused_for_pretraining(project)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)


def test_the_latest_import_stopped_in_a_folder_since_deleted_says_it_is_gone(project, tmp_path):
    """When the stopped import is the dataset's latest, its note asked to import a folder
    that is no longer there; it now says how to go on, as an earlier one's does."""
    first = pngs(tmp_path / "x" / "first", 2)
    import_data(ImportConfig(project=project, paths=[first], name="ds", cache_size=16))
    pngs(first, 30)  # (grown: its re-import is stopped)
    done = stopped_import(project, first, name="ds")["files_done"]
    partial, _ = dataset_notes(project)
    assert partial.startswith(f"Import stopped after {done} of 30 files — import the folder")
    shutil.rmtree(first)
    partial, unfinished = dataset_notes(project)
    assert partial == unfinished
    assert partial == (
        f"Import stopped after {done} of 30 files; that folder is no longer there — import "
        "any folder of the dataset (or use --allow-partial-import) to go on."
    )
    other = pngs(tmp_path / "y" / "other", 2)
    import_data(ImportConfig(project=project, paths=[other], name="ds", add=True))
    assert dataset_notes(project) == (None, None)
    assert not refused_for_pretraining(project)


def test_a_stopped_folder_still_there_keeps_the_dataset_partly_imported(project, tmp_path):
    """Only a root that is gone is covered: one still on disk (its stored path hidden
    whole) waits to be imported again, as before."""
    kept = pngs(tmp_path / "kept", 3)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", cache_size=16))
    stopped = pngs(tmp_path / "stopped", 30)
    stopped_import(project, stopped, name="ds", add=True)
    import_data(ImportConfig(project=project, paths=[kept], name="ds", add=True))
    partial, _ = dataset_notes(project)
    assert partial.startswith("An earlier import of another folder (started ")
    assert refused_for_pretraining(project)


def test_adding_to_a_dataset_that_is_not_there_says_so_and_names_a_stopped_one(project, tmp_path):
    """A first import stopped keeps its interim name, so `--name ds --add` of another
    folder silently made a second dataset; now it says so, and how to finish the first."""
    stopped_import(project, pngs(tmp_path / "first", 30), name="ds")
    said = []
    other = pngs(tmp_path / "other", 2)
    import_data(
        ImportConfig(project=project, paths=[other], name="ds", add=True), report=said.append
    )
    warnings = [e.text for e in said if isinstance(e, Message) and e.level == "warning"]
    assert warnings == [
        "No dataset of that name to add to, so these files make a new one. An earlier import "
        "that was stopped left '(importing)': import its folder again to finish that one."
    ]
