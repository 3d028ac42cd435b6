"""Labels changed after a fine-tuning run (a new version of its label set): ``info``, the
export's messages and its model card say that the run's model and figures are those of
the older labels, and nothing is said while the labels are as the run used them."""

from __future__ import annotations

from finetune_projects import folder_labels_config, written_card

from ssl_studio.cli import EXIT_OK, main
from ssl_studio.core.jobs import export, finetune
from ssl_studio.core.labels import labels_from_folders
from ssl_studio.core.project.info import project_info
from ssl_studio.core.project.store import Store


def test_a_run_whose_labels_changed_after_it_is_flagged_in_info_and_the_export(
    image_project, tmp_path, capsys
):
    project, pretraining = image_project
    run = finetune(folder_labels_config(project, pretraining))["run_id"]

    def flagged() -> str | None:
        return next(r for r in project_info(project)["runs"] if r["id"] == run)["labels_changed"]

    assert flagged() is None
    again = labels_from_folders(project, "shapes", name="folders")  # the same labels again
    assert again.version == 1 and "no new version was made" in again.warnings[-1]
    assert flagged() is None
    messages: list = []
    export(project, run, tmp_path / "before", ("safetensors",), report=messages.append)
    assert not [m for m in messages if "labels changed" in getattr(m, "text", "").lower()]
    assert "labels changed" not in written_card(tmp_path / "before")[1].lower()

    with Store.open(project, write=True) as store:  # labels corrected: a version 2
        dataset = store.dataset("shapes")["id"]
        labels = store.latest_labels(dataset, "folders")
        first = min(labels)
        labels[first] = "square" if labels[first] == "circle" else "circle"
        store.add_label_set(dataset, "folders", "app", labels)
    said = f"label set 'folders' is at version 2 now; run {run} trained on version 1"
    assert flagged() == said
    assert main(["info", str(project)]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"The labels changed after this run: {said}. Its model and test figures" in out
    assert out.count("The labels changed after this run") == 1  # (not the pretraining run)

    messages.clear()
    export(project, run, tmp_path / "after", ("safetensors",), report=messages.append)
    warned = [m for m in messages if getattr(m, "level", "") == "warning" and said in m.text]
    assert len(warned) == 1 and "fine-tune again" in warned[0].text
    card, text = written_card(tmp_path / "after")
    assert card["data"]["labels_changed"] == said
    assert f"The labels changed after this run: {said}." in text
