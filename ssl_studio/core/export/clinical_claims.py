"""Words of a user's intended use (card details) that may claim a clinical use the model is
not for (card.NOT_FOR_DIAGNOSIS): the export warns of them and MODEL_CARD.md marks them
beside the user's words, which are kept as written (a research study may name what it
studies). A clause that denies or guards ("not for diagnosis", "must not be used without
radiologist review", "nicht zur Diagnose") claims nothing; a warning, never a refusal,
so a word too many costs a sentence to read, and one too few the same as before."""

from __future__ import annotations

import re

# a clinical use: diagnosis, treatment, triage, screening, a decision without a clinician
_CLAIMS = re.compile(
    r"\b(?:diagnos\w*|autonom\w*|triag\w*|treat(?:ment|ing)?|therap\w*|screening|standalone|"
    r"befund\w*|behandl\w*|rule[sd]? out|prioriti[sz]\w* (?:the )?worklists?|"
    r"clinical (?:use|decisions?|practice|routine|care)|"
    r"instead of (?:a |the )?(?:second )?(?:readers?|radiologists?|physicians?|doctors?|"
    r"clinicians?)|"
    r"replac\w* (?:the |a )?(?:radiologists?|physicians?|doctors?|clinicians?)|"
    r"(?:without|ohne|no need for) (?:a |the |any )?(?:human |radiologist |physician )?"
    r"(?:review|oversight|supervision|radiolog\w*|physicians?|doctors?|clinicians?|ärzt\w*|"
    r"arzt)|"
    r"no (?:\w+ )?review)\b",
    re.IGNORECASE,
)
# a clause that denies or guards: its claims are none ("not", "must not", "nicht", "kein");
# a bare "no" denies unless it is the claim itself ("no need for", "no radiologist review")
_DENIES = re.compile(
    r"\b(?:not|never|don't|cannot|nicht|kein\w*|niemals|pas|only with|under supervision)\b|"
    r"\bno\b(?!\s+(?:need\b|(?:\w+\s+)?review\b))",
    re.IGNORECASE,
)
_CLAUSES = re.compile(r"[.;!?\n]+")


def clinical_claims(text: str | None) -> list[str]:
    """The words of ``text`` that may claim a clinical use, as written and in order, each
    once (clauses that deny or guard left out): ["Autonomous", "diagnosis",
    "no radiologist review"]; [] for none."""
    found: list[str] = []
    for clause in _CLAUSES.split(text or ""):
        if not _DENIES.search(clause):
            found += [m.group(0) for m in _CLAIMS.finditer(clause)]
    return list(dict.fromkeys(found))


def claimed_use(claims: list[str]) -> str:
    """The export's warning for an intended use that may claim a clinical use."""
    said = ", ".join(f"'{c}'" for c in claims)
    return (
        f"The intended use given for the card may claim a clinical use ({said}). The model "
        "card keeps those words as written, marked, under its own statement: this model is "
        "for research, not for clinical diagnosis or treatment, and was not validated for it."
    )
