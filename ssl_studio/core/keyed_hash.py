"""Short keyed hashes (HMAC-SHA256 with a project's salt) of paths and names: what the
project keeps instead of them (core/data/privacy.py redacts; core/project looks up)."""

from __future__ import annotations

import hashlib
import hmac


def keyed_hash(salt: bytes, kind: str, value: str) -> str:
    """A short keyed hash (HMAC-SHA256) of ``value``; ``kind`` separates key spaces."""
    # surrogateescape: a file name that is not valid UTF-8 keeps its own bytes (and key)
    data = f"{kind}\0{value}".encode("utf-8", "surrogateescape")
    digest = hmac.new(salt, data, hashlib.sha256).hexdigest()
    return digest[:24]
