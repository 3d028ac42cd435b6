"""An exported model can be traced back (clinical-safety audit): the card names its project
(a random id: run numbers repeat across projects), the exact code that trained it, when
its runs ran and when it was exported, a fingerprint of the items it was tested on, and
how many models of the project were scored on those same items (choosing among them by
their test figures makes those figures optimistic)."""

from __future__ import annotations

import json

import pytest
from finetune_projects import folder_labels_config, written_card

from ssl_studio.core.data_fingerprint import fingerprint
from ssl_studio.core.export.card import card_fingerprint
from ssl_studio.core.jobs import export, finetune
from ssl_studio.core.project.run_record import run_record
from ssl_studio.core.project.split_file import read_split
from ssl_studio.core.project.store import Store

FORMATS = ("safetensors",)


@pytest.fixture(scope="module")
def tuned(image_project):
    """(project, run A, run B scored on A's test items by --split-from, run C on a split
    of its own (another seed))."""
    project, pretrained = image_project
    half = {"test_fraction": 0.5}  # 20 test items: enough for a fingerprint
    first = finetune(folder_labels_config(project, pretrained, seed=1, **half))["run_id"]
    again = finetune(folder_labels_config(project, pretrained, seed=1, split_from=first))
    other = finetune(folder_labels_config(project, pretrained, seed=7, **half))["run_id"]
    return project, pretrained, first, again["run_id"], other


def _warnings(messages: list) -> list[str]:
    return [m.text for m in messages if getattr(m, "level", "") == "warning"]


def test_the_card_names_the_project_the_code_and_the_dates(tuned, tmp_path):
    project, pretrained, first, _, _ = tuned
    card = export(project, first, tmp_path / "a", FORMATS)
    again = export(project, first, tmp_path / "b", FORMATS)
    with Store.open(project) as store:
        project_id = store.project_id
        runs = {r: store.run(r) for r in (first, pretrained)}
    assert project_id and card["project_id"] == again["project_id"] == project_id
    written, markdown = written_card(tmp_path / "a")
    assert written["project_id"] == project_id
    assert f"- Project id: `{project_id}`" in markdown

    code = card["versions"]["ssl_studio_code"]  # recorded by the run when it trained
    assert code.startswith("git ") or code.endswith("(installed)")
    exported = card["exported_with"]["ssl_studio_code"]
    assert f"- Trained with SSL Studio code: {code}." in markdown
    assert f"- Exported with SSL Studio code: {exported}." in markdown

    dates = written["dates"]  # (the export's own: "created")
    assert dates["fine_tuning_run"] == {
        "started": runs[first]["started"],
        "finished": runs[first]["finished"],
    }
    assert dates["pretraining_run"]["started"] == runs[pretrained]["started"]
    assert dates["pretraining_run"]["finished"] == runs[pretrained]["finished"]
    day_time = written["created"].replace("T", " ").removesuffix("+00:00")
    assert f"- Exported: {day_time} (UTC)." in markdown
    started = runs[first]["started"].replace("T", " ").removesuffix("+00:00")
    assert f"- Fine-tuning run: started {started}, finished " in markdown
    assert "- Pretraining run: started " in markdown


def test_the_card_fingerprints_the_test_items(tuned, tmp_path):
    project, _, first, _, other = tuned
    card = export(project, first, tmp_path / "a", FORMATS)
    with Store.open(project) as store:
        run = store.run(first)
        items = {i["id"]: i for i in store.items(run["dataset_id"])}
        split = read_split(store.paths.root / run["folder"])
    tested = [items[i] for i in split.test]
    found = card["data"]["split"]["test_fingerprint"]
    whole = card_fingerprint(fingerprint(tested))
    assert found == {k: v for k, v in whole.items() if k != "order_sha256_128"}
    assert found["items"] == card["data"]["split"]["scored_items"] == len(split.test)
    assert found["content"] is True and len(found["sha256_128"]) == 32
    _, markdown = written_card(tmp_path / "a")
    assert f"{len(tested)} scored items, fingerprint `{found['sha256_128']}`" in markdown
    # another split, another fingerprint; the same items in any order, the same one
    elsewhere = export(project, other, tmp_path / "c", FORMATS)["data"]["split"]
    assert elsewhere["test_fingerprint"]["sha256_128"] != found["sha256_128"]
    assert fingerprint(tested[::-1])["sha256"] == found["sha256_128"]


def test_models_scored_on_the_same_test_items_are_counted_and_warned_of(tuned, tmp_path):
    project, _, first, again, other = tuned
    messages: list = []
    card = export(project, again, tmp_path / "b", FORMATS, report=messages.append)
    alike = card["data"]["split"]["scored_alike"]
    assert alike == {"runs": 2, "run_ids": sorted([first, again])}
    said = f"2 models of this project were scored on this test split (runs {first}, "
    assert any(text.startswith(said) for text in _warnings(messages))
    _, markdown = written_card(tmp_path / "b")
    assert said in markdown
    assert "would make those figures optimistic" in markdown
    # a run on a split of its own: one model, nothing said
    messages.clear()
    alone = export(project, other, tmp_path / "c", FORMATS, report=messages.append)
    assert alone["data"]["split"]["scored_alike"] == {"runs": 1, "run_ids": [other]}
    assert not any("scored on this test split" in t for t in _warnings(messages))
    assert "scored on this test split" not in written_card(tmp_path / "c")[1]


def test_the_run_record_and_info_name_the_project_and_the_code(tuned, capsys):
    from ssl_studio.cli import main

    project, pretrained, first, _, _ = tuned
    with Store.open(project) as store:
        project_id = store.project_id
    record = run_record(project, first)
    assert record["project_id"] == project_id
    assert record["versions"]["ssl_studio_code"]
    assert run_record(project, pretrained)["versions"]["ssl_studio_code"]
    assert main(["info", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["project_id"] == project_id


def test_a_baseline_is_not_counted_and_a_from_scratch_card_names_no_pretraining(tuned, tmp_path):
    project, pretrained, *_ = tuned
    result = finetune(folder_labels_config(project, pretrained, seed=3, baseline=True))
    run, base = result["run_id"], result["baseline"]["run_id"]
    card = export(project, run, tmp_path / "tuned", FORMATS)
    assert card["data"]["split"]["scored_alike"] == {"runs": 1, "run_ids": [run]}
    scratch = export(project, base, tmp_path / "scratch", FORMATS)
    assert scratch["data"]["split"]["scored_alike"] == {"runs": 2, "run_ids": [run, base]}
    assert set(scratch["dates"]) == {"fine_tuning_run"}
    assert "- Pretraining run:" not in written_card(tmp_path / "scratch")[1]


def test_a_card_of_a_run_from_before_says_its_code_was_not_recorded():
    from ssl_studio.core.export.card_trace import trace_markdown

    card = {
        "created": "2026-01-02T03:04:05+00:00",
        "versions": {"ssl_studio": "0.2.0"},
        "exported_with": {"ssl_studio": "0.2.0", "ssl_studio_code": "git abc dirty"},
    }
    lines = trace_markdown(card)
    assert "- Exported: 2026-01-02 03:04:05 (UTC)." in lines
    assert (
        "- Trained with SSL Studio code: not recorded (the run predates it; version 0.2.0)."
        in lines
    )
    assert "- Exported with SSL Studio code: git abc dirty." in lines


def test_a_reused_split_that_lost_test_items_still_counts(tmp_path):
    """--split-from leaves out the test items that lost their labels: the run scored
    some of the same items, and choosing between the two by their figures is the same
    choice."""
    from types import SimpleNamespace

    from ssl_studio.core.export.card_trace import runs_scored_alike
    from ssl_studio.core.project.split_file import parsed_split

    tests = {1: [5, 6, 7, 8], 2: [5, 6, 7], 3: [5, 6, 9], 4: [5, 6, 7, 8], 5: [5, 6, 7, 8]}
    runs = []
    for run_id, test in tests.items():
        (tmp_path / str(run_id)).mkdir()
        split = {"train": [1, 2, 3, 4], "test": test}
        (tmp_path / str(run_id) / "split.json").write_text(json.dumps(split))
        status = "failed" if run_id == 5 else "done"
        runs.append({"id": run_id, "kind": "finetune", "status": status, "folder": str(run_id)})
    store = SimpleNamespace(runs=lambda dataset_id: runs, paths=SimpleNamespace(root=tmp_path))
    mine = parsed_split({"train": [1, 2, 3, 4], "test": tests[1]})
    found = runs_scored_alike(store, {"id": 1, "dataset_id": 1}, mine)
    assert found == {"runs": 3, "run_ids": [1, 2, 4]}  # (3: other items; 5: not scored)


def test_a_few_test_items_get_no_fingerprint(image_project, tmp_path):
    """8 test items: a digest of so few lets whoever holds some candidate images find out
    by trying whether they were tested (a review); the count stays. (Last in the file: its
    run joins the module's project.)"""
    project, pretrained = image_project
    run = finetune(folder_labels_config(project, pretrained, seed=3))["run_id"]
    found = export(project, run, tmp_path / "few", FORMATS)["data"]["split"]["test_fingerprint"]
    assert found["items"] == 8 and "sha256_128" not in found
    markdown = written_card(tmp_path / "few")[1]
    assert "- Test items: 8 scored items (no fingerprint for fewer than 20" in markdown
