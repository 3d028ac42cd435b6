"""Whether the user's card details (card_details.py) hold a patient identifier.

The card goes to whoever receives the model, so what a hospital would call identifying
must not reach it. The project never keeps identifiers, only salted keys of the patient
IDs (data/privacy.py): a word of the details is a *known* patient ID when its key is one
of the project's. Two levels:

- refused: a word that is the patient ID of a patient in the project (DICOM PatientID,
  or the ID column of a series file). A word (between spaces) is cut into its letters
  and digits at every other character, and each piece and each run of up to
  MAX_JOINED pieces with what joins them is tried ("**12345**", "ID=12345", "`AB12345`"
  and "MRN-00123/x" give "12345", "AB12345", "MRN-00123" and "00123"), and the whole
  word from its first to its last letter or digit ("UKB-2019-03-12-001"; an ID holding
  a space, "AB 12345", is two words and is not found). Only candidates
  holding a digit and at most 64 characters (a DICOM PatientID's limit) are tried:
  patient IDs are numbers or codes, and each try costs the slow key derivation (about
  20-30 ms), so each distinct candidate is derived once, for all fields together
  (privacy.patient_key also remembers recent keys, so a dialog saved again after an
  edit pays mostly for the new words). Names, accession numbers and dates of birth are
  not kept in any form, so they cannot be recognised as this project's;
- warned about (the dialog asks for a second OK, the command line prints a warning and
  goes on): what looks like one anyway, a run of 6 or more digits (a medical record,
  accession or phone number) or a full date (1970-03-15, 15.03.1970, 03/15/1970: a date
  of birth?). An ethics approval number or date is fine and is kept when confirmed.

No message names what it found (it would be written to a terminal, a log or the
dialog): only the field and the character position.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ssl_studio.core.data.privacy import patient_key
from ssl_studio.core.errors import ConfigError

_WORD = re.compile(r"\S+")
_PIECE = re.compile(r"[^\W_]+")  # letters and digits: any other character cuts
MAX_JOINED = 4  # pieces in one run tried as a whole ("AB-12-34" is one, and its parts)
MAX_ID = 64  # characters: a DICOM PatientID (LO) holds no more
_ID_LIKE = (
    (re.compile(r"(?<!\d)\d{6,}(?!\d)"), "a long number (a medical record or accession number?)"),
    (
        re.compile(r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4})(?!\d)"),
        "a full date (a date of birth?)",
    ),
)


def _candidates(text: str) -> Iterator[tuple[int, str]]:
    """(position in ``text``, candidate) for each piece of letters and digits of a word
    (between spaces) and each run of up to MAX_JOINED consecutive pieces with what joins
    them, when it holds a digit and has at most MAX_ID characters."""
    for found in _WORD.finditer(text):
        word = found.group()
        if not any(c.isdigit() for c in word):
            continue
        spans = [m.span() for m in _PIECE.finditer(word)]
        runs = [(s, e) for i, (s, _) in enumerate(spans) for _, e in spans[i : i + MAX_JOINED]]
        if len(spans) > MAX_JOINED:  # the whole word too: "UKB-2019-03-12-001", "1.2.840.1"
            runs.append((spans[0][0], spans[-1][1]))
        for start, end in runs:
            piece = word[start:end]
            if len(piece) <= MAX_ID and any(c.isdigit() for c in piece):
                yield found.start() + start, piece


def candidate_count(texts: dict[str, str]) -> int:
    """How many distinct candidates ``texts`` give (each costs one key derivation)."""
    return len({word for text in texts.values() for _, word in _candidates(text)})


def refuse_known_patient_ids(
    texts: dict[str, str], salt: bytes, keys: set[str], *, then: str = "Nothing was saved."
) -> None:
    """Raise ConfigError when a text of ``texts`` ({field title: text}) holds the patient
    ID of a patient whose salted key (``salt``, data/privacy.patient_key) is in ``keys``;
    the message names the field and where in it, never the ID, and ends with ``then``
    (what happened, and where the text can be edited)."""
    if not keys or not salt:
        return
    tried: set[str] = set()  # one derivation per distinct candidate, across the fields
    for title, text in texts.items():
        for at, word in _candidates(text):
            if word in tried:
                continue
            tried.add(word)
            if patient_key(salt, word) in keys:
                raise ConfigError(
                    f"{title} holds the patient ID of a patient in this project "
                    f"(the word at character {at + 1}). A model card goes to whoever "
                    "receives the model: remove it, and say what the data are in counts "
                    f"and words instead. {then}"
                )


def id_like_warnings(texts: dict[str, str]) -> list[str]:
    """One sentence per text of ``texts`` ({field title: text}) that holds something
    shaped like an identifier (see the module's docstring); the sentence names the field,
    what it looks like and where, never the text itself."""
    said = []
    for title, text in texts.items():
        for pattern, what in _ID_LIKE:
            found = pattern.search(text)
            if found:
                said.append(
                    f"{title} holds {what} at character {found.start() + 1}. "
                    "A patient's ID, accession number or date of birth must never be on a "
                    "model card; an approval number or date may stay."
                )
                break
    return said
