"""Keyed pseudonyms: the same id and key always give the same pseudonym; the key is never stored."""

from __future__ import annotations

import hashlib
import hmac

from matcher.errors import ConfigError

MIN_KEY_BYTES = 16


class Pseudonymizer:
    """Replace ids by ``p_`` + 16 hex digits of HMAC-SHA256(key, id).

    >>> Pseudonymizer(b"a key of sixteen bytes").pseudonym("E1")
    'p_...'
    >>> p = Pseudonymizer(b"a key of sixteen bytes")
    >>> p.pseudonym("E1") == p.pseudonym("E1") != p.pseudonym("E2")
    True
    """

    def __init__(self, key: bytes) -> None:
        key = key.strip()
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the pseudonymisation key must have at least {MIN_KEY_BYTES} bytes")
        self._key = key

    def pseudonym(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return "p_" + digest[:16]

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<key hidden>)"
