"""The words of an intended use that may claim a clinical use: found in clauses that state
it, in English and German; none in clauses that deny or guard it (a review found the
first version marking "Not intended for diagnosis ...; must not be used without
radiologist review" as a claim, and missing "ohne Radiologen", "screening", "instead of a
second reader")."""

from __future__ import annotations

import pytest

from ssl_studio.core.export.clinical_claims import clinical_claims


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        (
            "Autonomous diagnosis of pneumonia in the ED; no radiologist review needed.",
            ["Autonomous", "diagnosis", "no radiologist review"],
        ),
        (
            "Automatische Befundung von Thoraxaufnahmen ohne Radiologen",
            ["Befundung", "ohne Radiologen"],
        ),
        (
            "Screening of mammograms to prioritise the worklist",
            ["Screening", "prioritise the worklist"],
        ),
        ("Works with no need for a radiologist", ["no need for a radiologist"]),
        ("Reads films instead of a second reader", ["instead of a second reader"]),
        ("Patients discharged without human oversight", ["without human oversight"]),
        ("For clinical use in the ward", ["clinical use"]),
        (
            "Not intended for diagnosis, treatment or triage; must not be used without "
            "radiologist review.",
            [],
        ),
        ("Do not use this model for diagnosis or treatment.", []),
        ("Research only, not for diagnosis or treatment.", []),
        ("Research tool; treatment decisions must not be based on it.", []),
        ("Nicht zur Diagnose oder Therapie bestimmt", []),
        ("No diagnosis is made.", []),
        ("Ranking chest radiographs for a second read in a research study.", []),
        ("", []),
    ],
)
def test_claims_are_found_where_stated_and_not_where_denied(text, claims):
    assert clinical_claims(text) == claims
