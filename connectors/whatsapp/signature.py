"""The webhook signature: Meta signs every webhook body with the app secret.

``X-Hub-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the raw body, keyed with the app
secret; a body whose header does not match (or a missing secret) is refused before it is read.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["verify_signature"]

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def verify_signature(body: bytes, header: str, secret: str) -> bool:
    """Check a ``sha256=<hex>`` header against the HMAC-SHA256 of ``body``."""
    if not secret or not isinstance(header, str):
        return False
    algorithm, _, received = header.strip().partition("=")
    # A header can hold anything, even bytes that are not UTF-8 (aiohttp hands them over as
    # lone surrogates, which cannot be encoded): only 64 hex digits are worth comparing.
    if algorithm.lower() != "sha256" or not _HEX64.fullmatch(received):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), received.lower().encode("ascii"))
