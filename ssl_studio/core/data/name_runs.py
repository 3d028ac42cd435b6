"""Where a single name part inside letters is still a name: runs of glued name parts.

A name part alone ("Ali", "Norma") is redacted in a path only where no letter touches
it, so the class folders ``malignant`` and ``normal`` survive patients Ali and Norma.
But people glue names together and to initials and titles: ``GarciaMaria``,
``JohnPaulDoe``, ``DoeJ_01.dcm``, ``JOHND``, ``MrDoe``. A part found inside letters is
redacted where it belongs to a run of such pieces whose outer edges meet no letter:
each edge of a piece meets no letter, or another piece of the run (another name part,
or anything else redacted), or a title before it, capitalised before a capital ("Mr",
"Patient": kept, as it names nobody; not "patella" for a patient "Ella"). A single
letter that is the initial of another part of the same name joins the run beside that
part and is redacted with it ("JDoe", "jdoe"; after the name only a capital, "DoeJ",
"JOHND": "normal" for Norma^Lee is a word). See ``privacy.redact``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ssl_studio.core.data.identifier_forms import MIN_REDACT_LENGTH
from ssl_studio.core.data.name_folding import keys_of

# titles and prefixes written before a name, glued only capitalised before a capital
# ("MrDoe", "PatientDoe", "HerrMüller"; not "profile" for a patient "Ile", nor
# "DRAME"); not French "M" alone ("Mali/" for a patient "Ali"), nor "pat" and "pt",
# which begin too many words ("patella", "ptose")
TITLES = ("patient", "prof", "herr", "frau", "mrs", "mme", "mr", "ms", "dr")
_TOKENS = re.compile(r"[\^=\s,_.\-'\u2019]+")  # the pieces of a name

Span = tuple[int, int]
# a name part found inside letters: its span and its folded key
Part = tuple[int, int, str]


def joined_forms(identifiers: Iterable[str]) -> frozenset[str]:
    """The names written without a separator (``"DoeJane"``, ``"JaneDoe"``) among the
    forms of ``identifiers``' names, casefolded: found anywhere, where a single name
    part is found only as a word (see ``privacy.rule_of``)."""
    found = set()
    for value in identifiers:
        tokens = [t.casefold() for t in _TOKENS.split(value) if t]
        if len(tokens) > 1:
            for order in (tokens, tokens[::-1], tokens[:2], tokens[1::-1]):
                found.add("".join(order))
    return frozenset(found)


def initials_of(identifiers: Iterable[str]) -> dict[str, frozenset[str]]:
    """For each name part's key, the initials (folded) of the other parts of the names
    it is part of ("doe": {"j"} for "Doe^John")."""
    found: dict[str, set[str]] = {}
    for value in identifiers:
        tokens = [t for t in _TOKENS.split(value) if t]
        if len(tokens) < 2:
            continue
        keys = [keys_of(t) for t in tokens]
        for i, own in enumerate(keys):
            others = {k[0] for j, ks in enumerate(keys) if j != i for k in ks if k}
            for key in own:
                found.setdefault(key, set()).update(others)
    return {key: frozenset(letters) for key, letters in found.items()}


def spaced_letter(char: str) -> bool:
    """A letter of a script that separates words with spaces (not CJK ideographs or
    kana, where a name runs into the next word)."""
    return char.isalpha() and ord(char) < 0x2E80


def word_touched(text: str, start: int, stop: int) -> bool:
    """Whether a letter of a script written with spaces touches ``text[start:stop]`` on
    a side where the match itself ends in such a letter: "Ali" in "malignant" is
    touched; "山田" in "山田太郎" or "Mr山田" is not (a Latin letter beside a kanji is
    no part of its word)."""
    return (start > 0 and spaced_letter(text[start - 1]) and spaced_letter(text[start])) or (
        stop < len(text) and spaced_letter(text[stop]) and spaced_letter(text[stop - 1])
    )


def run_spans(
    text: str,
    parts: list[Part],
    fixed: list[Span],
    initials: Mapping[str, frozenset[str]],
) -> list[Span]:
    """The spans of ``parts`` (name parts found inside letters) and of the initials
    beside them that lie in runs whose outer edges meet no letter (see the module
    docstring); ``fixed``: what is redacted anyway, which a run may meet."""
    parts = sorted(set(parts))
    pieces = [(start, stop, -1) for start, stop, _ in parts]  # (-1: a part)
    for index, (start, stop, key) in enumerate(parts):
        letters = initials.get(key, frozenset())
        for at in (start - 1, stop):  # (after a name, only a capital: not "NormaL"
            if at < 0 or at >= len(text) or (at == stop and not text[at].isupper()):
                continue  # in "normal" for Norma^Lee)
            if at < start and text[at].isupper() and text[start].islower():
                continue  # (a capitalised word, not an initial: "Mali" for Mehmet Ali)
            if _initial(text[at]) in letters:
                pieces.append((at, at + 1, index))
    cover = [0] * (len(text) + 1)  # how many kept pieces and fixed spans hold each char
    for start, stop in [(s, e) for s, e, _ in pieces] + fixed:
        for at in range(start, stop):
            cover[at] += 1
    alive = [True] * len(pieces)
    order = sorted(range(len(pieces)), key=lambda i: pieces[i][:2])
    changed = True
    while changed:  # drop pieces whose edges fail, both ways in turn, until none does
        changed = False
        for i in order:
            start, stop, owner = pieces[i]
            if alive[i] and not (
                (owner < 0 or alive[owner])  # (an initial beside no name part goes)
                and _edge_ok(text, start, cover, True)
                and _edge_ok(text, stop, cover, False)
            ):
                alive[i], changed = False, True
                for at in range(start, stop):
                    cover[at] -= 1
        order.reverse()
    return [pieces[i][:2] for i in range(len(pieces)) if alive[i]]


def _initial(char: str) -> str:
    """The folded key of one letter ("É" as "e")."""
    keys = keys_of(char)
    return min(keys)[:1] if keys else ""


def _edge_ok(text: str, at: int, cover: list[int], left: bool) -> bool:
    """Whether the edge of a piece at ``at`` (its start if ``left``, else its end) meets
    no letter, a kept piece or fixed span (``cover``: how many hold each char), a case
    change from lower to upper or from capitals to a capitalised word (camel case joins
    two words), or (before it) a title that meets no letter before."""
    outside = at - 1 if left else at
    if outside < 0 or outside >= len(text) or not spaced_letter(text[outside]):
        return True
    if cover[outside] > 0:  # (outside the piece: held by another)
        return True
    lower, upper = (text[outside], text[at]) if left else (text[at - 1], text[outside])
    if lower.islower() and upper.isupper():  # (camel case: "seriesSmith", "DoeGrossing")
        return True
    if left and text[outside].isupper() and text[at].isupper() and text[at + 1 : at + 2].islower():
        return True  # (capitals, then a capitalised word: "CTDoe", "JMDoe")
    if left and text[at].isupper():  # (a title glued only at a case change: "MrDoe")
        for title in TITLES:
            word = text[max(0, at - len(title)) : at]
            if word.casefold() == title and word[0].isupper() and word[1:].islower():
                edge = at - len(title) - 1
                if edge < 0 or not spaced_letter(text[edge]):
                    return True
    return False


def glued_at(raw: str, spans: list[Span], glued: set[str] | None) -> None:
    """Add to ``glued`` (if given) the values at ``spans`` of ``raw`` (a path that was
    redacted) that a letter touches: hidden inside a word, they are found anywhere again
    (``privacy.hidden_values``)."""
    for start, stop in spans if glued is not None else ():
        touch = raw[start - 1 : start] + raw[stop : stop + 1]
        if stop - start >= MIN_REDACT_LENGTH and any(c.isalpha() for c in touch):
            glued.add(raw[start:stop])
