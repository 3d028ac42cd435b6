"""An export's card holds the details the user wrote (given, or kept by the project),
and says only what SSL Studio knows without them; the command line sets, shows and
clears them."""

from __future__ import annotations

import pytest
from finetune_projects import folder_labels_config, written_card

from ssl_studio.cli import main
from ssl_studio.core.export.card import NOT_FOR_DIAGNOSIS, RESEARCH_USE
from ssl_studio.core.export.card_details import CardDetails, remembered_card_details
from ssl_studio.core.jobs import export, finetune

DETAILS = CardDetails(
    model_name="Shapes | triage",
    model_version="0.3",
    developed_by="Imaging lab",
    intended_use="Sorting shapes\n# for a study",
    data_source="Synthetic shapes <drawn> by a script",
    ethics_approval="Not needed: no patient data",
)


@pytest.fixture(scope="module")
def run(image_project):
    """(project, fine-tuning run id): a quick kNN classifier on the shapes."""
    project, pretraining = image_project
    cfg = folder_labels_config(project, pretraining)
    return project, finetune(cfg)["run_id"]


def test_the_card_holds_the_details_given_then_those_the_project_kept(run, tmp_path):
    project, run_id = run
    card, markdown = written_card(_export(project, run_id, tmp_path / "plain"))
    assert "details" not in card and card["intended_use"] == RESEARCH_USE
    assert "About this model" not in markdown and markdown.startswith("# ssl-studio-")

    export(project, run_id, tmp_path / "given", formats=("safetensors",), details=DETAILS)
    card, markdown = written_card(tmp_path / "given")
    assert card["details"] == DETAILS.to_dict()
    assert card["intended_use"] == RESEARCH_USE  # (the user's words never replace it)
    assert card["not_for_clinical_diagnosis"] == NOT_FOR_DIAGNOSIS
    assert markdown.startswith(f"# Shapes \\| triage 0.3\n\n**{NOT_FOR_DIAGNOSIS}**\n\n## About")
    assert "- **Data source**: Synthetic shapes \\<drawn\\> by a script" in markdown
    assert "- **Ethics approval / data-use agreement**: Not needed: no patient data" in markdown
    described = "As its makers describe it: Sorting shapes  \n  \\# for a study"
    assert f"Intended use: {RESEARCH_USE}\n\n{described}" in markdown
    assert "\n# for a study" not in markdown  # no heading of the user's making
    assert remembered_card_details(project) == DETAILS  # kept for the next export

    card, markdown = written_card(_export(project, run_id, tmp_path / "kept"))
    assert card["details"] == DETAILS.to_dict() and "## About this model" in markdown


def _export(project, run_id, out):
    export(project, run_id, out, formats=("safetensors",))
    return out


def test_the_command_line_sets_shows_and_clears_the_details(run, tmp_path, capsys):
    project, run_id = run
    assert main(["card-details", str(project), "--clear"]) == 0
    capsys.readouterr()
    assert main(["card-details", str(project)]) == 0
    assert "The project keeps no card details." in capsys.readouterr().out

    file = tmp_path / "card.toml"
    file.write_text('model_name = "CLI model"\ncaveats = """one\ntwo"""\n', encoding="utf-8")
    out = tmp_path / "cli-export"
    argv = ["export", str(project), "--run", str(run_id), "--out", str(out)]
    assert main([*argv, "--format", "safetensors", "--card-details", str(file)]) == 0
    card, markdown = written_card(out)
    assert card["details"] == {"model_name": "CLI model", "caveats": "one\ntwo"}
    assert "- **Known caveats**: one  \n  two" in markdown
    said = capsys.readouterr().out
    assert "  The card's own words (ssl-studio card-details): Model name, Known caveats." in said
    assert (
        "  Not on the card: Developed by, Contact, Data source, Data licence, Intended use. "
        "Whoever receives the folder will look for them; add them for the next export with "
        f"ssl-studio card-details {project} --set FILE (or export --card-details FILE)."
    ) in said
    assert main(["card-details", str(project), "--show"]) == 0
    shown = capsys.readouterr().out
    assert "  model_name (Model name): CLI model" in shown
    assert "  caveats (Known caveats): one\n      two" in shown

    file.write_text('model_nam = "typo"\n', encoding="utf-8")
    assert main(["card-details", str(project), "--set", str(file)]) == 1
    said = capsys.readouterr().err
    assert (
        "Unknown card detail 'model_nam' in " in said and "the known ones are: model_name" in said
    )
    assert main([*argv[:-1], str(tmp_path / "refused"), "--card-details", str(file)]) == 1
    assert not (tmp_path / "refused").exists()
    assert remembered_card_details(project).model_name == "CLI model"  # unchanged

    file.write_text('citation = "Doe 2025"\n', encoding="utf-8")
    assert main(["card-details", str(project), "--set", str(file)]) == 0
    assert "  citation (How to cite): Doe 2025" in capsys.readouterr().out
    assert remembered_card_details(project) == CardDetails(citation="Doe 2025")
    assert main(["card-details", str(project), "--clear"]) == 0
    assert remembered_card_details(project) == CardDetails()


def test_an_intended_use_that_claims_clinical_use_is_kept_under_the_statement_and_warned(
    run, tmp_path
):
    """A card.toml saying "Autonomous diagnosis ...; no radiologist review needed" became
    the card's intended use, contradicting its own "Not for clinical diagnosis" line."""
    project, run_id = run
    claim = "Autonomous diagnosis of pneumonia in the ED; no radiologist review needed."
    given = CardDetails(intended_use=claim)
    messages: list = []
    export(project, run_id, tmp_path / "claim", ("safetensors",), details=given,
           report=messages.append)  # fmt: skip
    card, markdown = written_card(tmp_path / "claim")
    assert card["intended_use"] == RESEARCH_USE and card["details"]["intended_use"] == claim
    said = "'Autonomous', 'diagnosis', 'no radiologist review'"
    assert f"**That description may claim a clinical use ({said}): this model is not" in markdown
    warned = [m.text for m in messages if getattr(m, "level", "") == "warning"]
    assert any(f"may claim a clinical use ({said})" in text for text in warned)
    messages.clear()  # a research study's own words pass without a word
    study = CardDetails(intended_use="Research only, not for diagnosis or treatment.")
    export(project, run_id, tmp_path / "study", ("safetensors",), details=study,
           report=messages.append)  # fmt: skip
    assert "may claim a clinical use" not in written_card(tmp_path / "study")[1]
    assert not [m for m in messages if getattr(m, "level", "") == "warning"]


def test_export_names_only_the_sharing_details_the_card_lacks(tmp_path):
    from ssl_studio.cli_card import card_words_lines
    from ssl_studio.core.export.card_details import SHARING_FIELDS

    given = {key: "x" for key in SHARING_FIELDS}
    assert card_words_lines(given, tmp_path) == [
        "  The card's own words (ssl-studio card-details): Developed by, Contact, Data source, "
        "Data licence, Intended use."
    ]
    lines = card_words_lines({k: v for k, v in given.items() if k != "contact"}, tmp_path)
    assert lines[1].startswith("  Not on the card: Contact. Whoever receives the folder")
    assert card_words_lines({}, tmp_path)[0].startswith("  Not on the card: Developed by, ")
