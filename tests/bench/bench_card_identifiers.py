"""How long the card details' patient-ID check takes (export/card_identifiers.py): each
distinct candidate costs one PBKDF2 derivation (data/privacy.patient_key).

Baseline, in the same process: the old rule re-implemented here (words cut at
whitespace and ,;:()[]{}<>"' , pieces at -_/.#|, every run of pieces for words of up to 8
pieces, `tried` reset per field (privacy.patient_key's own memo made the repeats
cheap already), and the same check again at every export).
Ours: card_identifiers.refuse_known_patient_ids (candidates on any non-alphanumeric
character, runs of at most 4 pieces, one derivation per distinct candidate across the
fields) at save; the export skips it while the details and the
project's patients are unchanged (card_details.checked_marker).

    python tests/bench/bench_card_identifiers.py

Prints a table (derivations and seconds, save then export), then one JSON line
{"cases": {name: {"old_s", "new_save_s", "new_export_s", "ratio_save", "ratio_export"}}};
ratios are old over new (export: old over the marker check, which derives nothing).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

from ssl_studio.core.data.privacy import patient_key
from ssl_studio.core.export import card_identifiers as ci

_OLD_WORD = re.compile(r"[^\s,;:()\[\]{}<>\"'“”‘’]+")
_OLD_PIECE = re.compile(r"[^-_/.#|]+")


def old_candidates(text: str):
    for found in _OLD_WORD.finditer(text):
        word = found.group().strip(".")
        if not any(c.isdigit() for c in word):
            continue
        spans = [m.span() for m in _OLD_PIECE.finditer(word)]
        longest = len(spans) if len(spans) <= 8 else 1
        for i, (start, _) in enumerate(spans):
            for _, end in spans[i : i + longest]:
                if any(c.isdigit() for c in word[start:end]):
                    yield word[start:end]


def old_check(texts: dict[str, str], salt: bytes) -> int:
    n = 0
    for text in texts.values():
        tried: set[str] = set()
        for word in old_candidates(text):
            if word not in tried:
                tried.add(word)
                patient_key(salt, word)
                n += 1
    return n


CASES = {
    "plausible": {
        "Known caveats": (
            "Sensitivity 0.91 (95% CI 0.88-0.93), specificity 0.85 [0.80-0.89] at threshold "
            "0.43; trained on 2019-2021 data, n=1234 images from 567 patients. " * 20
        )[:2000],
        "Data source": ("Tested 2022-01 to 2022-06 at site 3 (n=1234). " * 40)[:2000],
    },
    "filenames": {
        "Data source": " ".join(f"scan_{i}.dcm" for i in range(180))[:2000],
        "Known caveats": " ".join(f"scan_{i}.dcm" for i in range(180))[:2000],
    },
}


def main() -> None:
    out = {}
    print(f"{'case':>10}  {'old derivations':>15}  {'old s':>6}  {'new derivations':>15}  "
          f"{'new save s':>10}  {'new export s':>12}")  # fmt: skip
    for name, texts in CASES.items():
        patient_key.cache_clear()
        t = time.perf_counter()
        old_n = old_check(texts, os.urandom(16))
        old_s = time.perf_counter() - t
        patient_key.cache_clear()  # (privacy.patient_key remembers recent keys)
        t = time.perf_counter()
        ci.refuse_known_patient_ids(texts, os.urandom(16), {"none"})
        new_s = time.perf_counter() - t
        # at export: the marker (a digest of the details and the patient keys) matches
        t = time.perf_counter()
        kept = hashlib.sha256(json.dumps([texts, ["none"]]).encode()).hexdigest()
        _ = kept == hashlib.sha256(json.dumps([texts, ["none"]]).encode()).hexdigest()
        export_s = time.perf_counter() - t
        new_n = ci.candidate_count(texts)
        print(f"{name:>10}  {old_n:>15}  {old_s:>6.2f}  {new_n:>15}  {new_s:>10.2f}  "
              f"{export_s:>12.5f}")  # fmt: skip
        out[name] = {
            "old_s": round(old_s, 3),
            "new_save_s": round(new_s, 3),
            "new_export_s": round(export_s, 6),
            "ratio_save": round(old_s / new_s, 2),
            "ratio_export": round(old_s / max(export_s, 1e-9), 1),
        }
    print(json.dumps({"cases": out}))


if __name__ == "__main__":
    main()
