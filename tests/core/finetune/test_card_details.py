"""The model card's details in the user's own words: checked, read from a file, kept in
the project, and escaped in MODEL_CARD.md."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ssl_studio.core.errors import ConfigError
from ssl_studio.core.export.card_about import about_lines, markdown_text, title
from ssl_studio.core.export.card_details import (
    FIELDS,
    CardDetails,
    load_card_details,
    remember_card_details,
    remembered_card_details,
)
from ssl_studio.core.jobs import create_project
from ssl_studio.core.project.store import Store

TOML = """\
model_name = "Chest X-ray triage"
model_version = "1.2"
developed_by = "Radiology research group"
intended_use = '''
Ranking chest radiographs for a second read
in a research study.'''
ethics_approval = "IRB 2024-117"
"""


def test_details_are_plain_text_kept_stripped_and_empty_ones_left_out():
    details = CardDetails.from_dict(
        {"model_name": "  Triage ", "caveats": "a\r\n  b\t c", "contact": ""}
    )
    assert details.to_dict() == {"model_name": "Triage", "caveats": "a\nb  c"}
    assert CardDetails().to_dict() == {}
    assert list(CardDetails(citation="x", model_name="y").to_dict()) == ["model_name", "citation"]


def test_an_unknown_key_is_named_with_the_known_ones():
    with pytest.raises(ConfigError) as caught:
        CardDetails.from_dict({"model_nmae": "x", "licence": "y"}, "card.toml")
    said = str(caught.value)
    assert "'licence', 'model_nmae' in card.toml" in said
    assert ", ".join(FIELDS) in said and "Rename or remove it" in said


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"model_version": 1.2},
            ["Version (model_version) in f is a number, not text", 'model_version = "..."'],
        ),
        ({"caveats": ["a"]}, ["Known caveats (caveats) in f is a list"]),
        ({"model_name": "two\nlines"}, ["Model name (model_name) in f must be one line"]),
        ({"contact": "x" * 301}, ["301 characters", "at most 300"]),
        ({"caveats": "bell\x07"}, ["control character ('\\x07')", "plain text only"]),
        ({"caveats": "right\u202eto left"}, ["control character"]),
    ],
)
def test_a_bad_value_says_which_key_and_what_to_do(data, words):
    with pytest.raises(ConfigError) as caught:
        CardDetails.from_dict(data, "f")
    for word in words:
        assert word in str(caught.value)


def test_a_value_that_is_not_text_is_not_echoed():
    """contact = 12345678 (a number: a phone or record number?) is named by field and
    kind only; the error may be printed or logged."""
    with pytest.raises(ConfigError) as caught:
        CardDetails.from_dict({"contact": 12345678, "caveats": None}, "card.toml")
    said = str(caught.value)
    assert "12345678" not in said and "Contact (contact) in card.toml is a number" in said


def test_typed_details_are_named_by_the_titles_the_dialog_shows():
    """Without a file the error names the field as the dialog does, so the dialog can
    show it as it is; the fields are CardDetails' own (FIELDS is read from it)."""
    with pytest.raises(ConfigError, match=r"^Model name must be one line; remove"):
        CardDetails.from_dict({"model_name": "two\nlines"})
    assert list(FIELDS) == [f.name for f in dataclasses.fields(CardDetails)]
    assert FIELDS["ethics_approval"].title == "Ethics approval / data-use agreement"


def test_details_load_from_toml_and_json(tmp_path):
    toml = tmp_path / "card.toml"
    toml.write_text(TOML, encoding="utf-8")
    details = load_card_details(toml)
    assert details.model_version == "1.2" and details.ethics_approval == "IRB 2024-117"
    assert (
        details.intended_use == "Ranking chest radiographs for a second read\nin a research study."
    )
    json_file = tmp_path / "card.json"
    json_file.write_text('{"citation": "Doe et al. 2025"}', encoding="utf-8")
    assert load_card_details(json_file).to_dict() == {"citation": "Doe et al. 2025"}


def test_a_bad_file_names_itself_the_key_or_the_line(tmp_path):
    bad = tmp_path / "card.toml"
    bad.write_text('model_name = "unclosed\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"card\.toml is not valid TOML: .*line 1.*Fix that line"):
        load_card_details(bad)
    bad.write_text("model_version = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\(model_version\) in .*card\.toml is a number, not"):
        load_card_details(bad)
    listed = tmp_path / "card.json"
    listed.write_text('["model_name"]', encoding="utf-8")
    with pytest.raises(ConfigError, match="holds a list, not a table"):
        load_card_details(listed)
    with pytest.raises(ConfigError, match="Cannot read the card details file .*missing.toml"):
        load_card_details(tmp_path / "missing.toml")


def test_the_project_keeps_the_details_until_they_are_cleared(tmp_path):
    project = create_project(tmp_path / "project")
    assert remembered_card_details(project) == CardDetails()
    details = CardDetails(model_name="Triage 模型", caveats="line one\nline two")
    remember_card_details(project, details)
    assert remembered_card_details(project) == details
    with Store.open(project) as store:
        assert "Triage 模型" in store.card_details()
    remember_card_details(project, CardDetails())
    assert remembered_card_details(project) == CardDetails()
    with Store.open(project) as store:
        assert store.card_details() is None


def test_kept_details_a_newer_version_wrote_are_read_without_what_it_added(tmp_path):
    project = create_project(tmp_path / "project")
    with Store.open(project, write=True) as store:
        store.set_card_details({"model_name": "M", "funding": "a grant", "caveats": 3})
    assert remembered_card_details(project) == CardDetails(model_name="M")


def test_user_text_cannot_change_the_card_s_layout():
    text = (
        "# heading\n| a | b |\n- item\n1. numbered\n===\n<b>html</b> [link](x) a_b*c* `code` &amp;"
    )
    escaped = markdown_text(text)
    assert escaped == (
        "\\# heading  \n  \\| a \\| b \\|  \n  \\- item  \n  1\\. numbered  \n  \\===  \n  "
        "\\<b\\>html\\</b\\> \\[link\\](x) a\\_b\\*c\\* \\`code\\` \\&amp;"
    )
    card = {
        "name": "ssl-studio-x",
        "details": {"model_name": "M*", "model_version": "2", "caveats": text},
    }
    lines = about_lines(card)
    assert lines[:2] == ["## About this model", ""]
    assert lines[2] == "- **Model name**: M\\*" and lines[4].startswith(
        "- **Known caveats**: \\# heading"
    )
    assert title(card) == "M\\* 2" and title({"name": "ssl-studio-x"}) == "ssl-studio-x"
    assert about_lines({"details": {"intended_use": "said elsewhere"}}) == []


def test_the_readme_s_example_file_holds_every_field(tmp_path):
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The model card's own words") :]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    file = tmp_path / "card.toml"
    file.write_text(example, encoding="utf-8")
    assert list(load_card_details(file).to_dict()) == list(FIELDS)
